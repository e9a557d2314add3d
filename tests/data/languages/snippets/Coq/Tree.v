Inductive tree (A : Type) : Type :=
| Leaf : tree A
| Node : tree A -> A -> tree A -> tree A.

Fixpoint size {A} (t : tree A) : nat :=
  match t with
  | Leaf _ => 0
  | Node _ l _ r => 1 + size l + size r
  end.
