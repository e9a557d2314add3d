From Coq Require Import List.
Import ListNotations.

Definition head_or {A} (d : A) (l : list A) : A :=
  match l with [] => d | x :: _ => x end.

Lemma head_or_cons : forall A (d x : A) l, head_or d (x :: l) = x.
Proof. reflexivity. Qed.
