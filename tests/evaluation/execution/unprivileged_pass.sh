#!/usr/bin/env bash
# Issue 13: the execution sandbox's adversarial set and the canonical-pass / buggy-fail check of all
# 6 x 164 HumanEvalPack tasks, run again as an UNPRIVILEGED user (rootless sandbox: unprivileged user
# namespaces), and the canonical/buggy verdicts compared with the root run's.
#
#   bash tests/evaluation/execution/unprivileged_pass.sh [ROOT_VERDICTS.jsonl]
#
# Must start as root (CI): it creates the user (useradd, once), gives it its own copy of the evaluation
# cache (the Go build cache and C++ PCH dir must be writable by the user that compiles), and runs pytest
# through setpriv with uid/gid of that user, no supplementary groups, no capabilities (empty bounding set)
# and no_new_privs. Where toolchains live under root's 0700 home (pyenv, rustup), a private mount
# namespace of this script shows the user a tmpfs over /root with only those dirs bound back read-only;
# nothing on the host changes. Without ROOT_VERDICTS.jsonl, the root run of the canonical check is made
# here first (OCTOPACK_VERDICTS_OUT).
set -euo pipefail
cd "$(dirname "$0")/../../.."
repo="$(pwd)"
PY="$(cd "$(dirname "${OCTOPACK_VENV:-.venv}/bin/python")" && pwd)/python"
user="${OCTOPACK_CI_USER:-octopack-ci}"
files=(tests/evaluation/execution/test_sandbox_adversarial.py tests/evaluation/execution/test_sealed_sandbox.py
       "tests/evaluation/execution/test_canonical_buggy.py::test_canonical_pass_and_buggy_fail_all_984")
# (OCTOPACK_UNPRIV_FILES: other test files, e.g. while debugging; no verdict comparison without the canonical check)
if [ -n "${OCTOPACK_UNPRIV_FILES:-}" ]; then read -ra files <<< "$OCTOPACK_UNPRIV_FILES"; fi
compare=0; [[ " ${files[*]} " == *test_canonical_buggy* ]] && compare=1

if [ "$(id -u)" != 0 ]; then
  echo "unprivileged_pass: needs root to create the CI user; as $(id -un) the test run itself is already unprivileged" >&2
  exit 2
fi
work="$(mktemp -d -t octopack-unpriv-XXXXXX)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

root_verdicts="${1:-}"
if [ -z "$root_verdicts" ] && [ "$compare" = 1 ]; then
  root_verdicts="$work/root-verdicts.jsonl"
  echo "unprivileged_pass: root run of the canonical check first"
  OCTOPACK_VERDICTS_OUT="$root_verdicts" "$PY" -m pytest -q -p no:cacheprovider "${files[2]}"
fi

id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
uid="$(id -u "$user")"; gid="$(id -g "$user")"
home="$work/home"; mkdir -p "$home" "$work/tmp"; chown "$uid:$gid" "$home" "$work/tmp"

cache="${OCTOPACK_EVAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/octopack-spark/eval}"
cache="$(realpath "$cache")"
[ -d "$cache" ] || { echo "unprivileged_pass: no evaluation cache at $cache (run make setup-eval)" >&2; exit 1; }
# The user's own copy (paths inside, e.g. rust/externs.json, name the original location: the copy is
# mounted there in the private mount namespace below).
t0=$(date +%s)
cp -a "$cache" "$work/cache"
rm -rf "$work/cache/bin"  # the sandbox helper is rebuilt by the user (a fresh build of octobox.c)
chown -R "$uid:$gid" "$work/cache"
echo "unprivileged_pass: cache copied in $(( $(date +%s) - t0 )) s"

rustup_home="${RUSTUP_HOME:-$HOME/.rustup}"; cargo_home="${CARGO_HOME:-$HOME/.cargo}"
base_prefix="$("$PY" -c 'import sys; print(sys.base_prefix)')"
export OCTOPACK_UNPRIV_WORK="$work" OCTOPACK_UNPRIV_CACHE="$cache" OCTOPACK_UNPRIV_TOOLS="$base_prefix $rustup_home $cargo_home $repo"
export OCTOPACK_UNPRIV_REPO="$repo" OCTOPACK_UNPRIV_UID="$uid" OCTOPACK_UNPRIV_GID="$gid" OCTOPACK_UNPRIV_HOME="$home" OCTOPACK_UNPRIV_PY="$PY"
export OCTOPACK_UNPRIV_RUSTUP="$rustup_home" OCTOPACK_UNPRIV_CARGO="$cargo_home"
export OCTOPACK_UNPRIV_SHARED="${OCTOPACK_SHARED_DIR:-}" OCTOPACK_UNPRIV_HEP="${OCTOPACK_HUMANEVALPACK_DIR:-}"

# shellcheck disable=SC2016
unshare --mount --propagation private bash -euo pipefail -c '
  w="$OCTOPACK_UNPRIV_WORK"
  # Toolchains under a home dir others cannot enter (/root 0700): a tmpfs over it, those dirs bound back.
  if [ -d /root ] && [ "$(stat -c %a /root | cut -c3)" = 0 ]; then
    mkdir -p "$w/rootfs"
    mount --bind /root "$w/rootfs"
    mount -t tmpfs -o mode=0755 tmpfs /root
    for p in $OCTOPACK_UNPRIV_TOOLS; do
      case "$p" in /root/*)
        rel="${p#/root/}"; top="${rel%%/*}"
        [ -e "/root/$top" ] || { mkdir -p "/root/$top"; mount --bind -o ro "$w/rootfs/$top" "/root/$top"; }
      esac
    done
    umount -l "$w/rootfs"
  fi
  # The checkout under a folder others cannot enter (a CI clone in a `mktemp -d` folder is 0700): each
  # such ancestor gets a tmpfs over it with only the next path component bound back.
  dir=""; rest="${OCTOPACK_UNPRIV_REPO#/}"; n=0
  while [ -n "$rest" ]; do
    comp="${rest%%/*}"
    if [ "$rest" = "$comp" ]; then rest=""; else rest="${rest#*/}"; fi
    parent="${dir:-/}"; dir="$dir/$comp"
    if [ "$parent" != / ] && [ $(( 0$(stat -c %a "$parent") & 1 )) = 0 ]; then
      n=$((n + 1)); mkdir -p "$w/ancestor$n"
      mount --bind "$dir" "$w/ancestor$n"
      mount -t tmpfs -o mode=0755 tmpfs "$parent"
      mkdir -p "$dir"; mount --bind "$w/ancestor$n" "$dir"; umount -l "$w/ancestor$n"
    fi
  done
  mkdir -p "$OCTOPACK_UNPRIV_CACHE" 2>/dev/null || true
  mount --bind "$w/cache" "$OCTOPACK_UNPRIV_CACHE"
  exec setpriv --reuid="$OCTOPACK_UNPRIV_UID" --regid="$OCTOPACK_UNPRIV_GID" --clear-groups \
    --inh-caps=-all --bounding-set=-all --no-new-privs \
    env -i PATH="$OCTOPACK_UNPRIV_CARGO/bin:/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin" \
    HOME="$OCTOPACK_UNPRIV_HOME" LANG=C.UTF-8 RUSTUP_HOME="$OCTOPACK_UNPRIV_RUSTUP" CARGO_HOME="$OCTOPACK_UNPRIV_CARGO" \
    OCTOPACK_EVAL_CACHE="$OCTOPACK_UNPRIV_CACHE" OCTOPACK_VERDICTS_OUT="$OCTOPACK_UNPRIV_HOME/user-verdicts.jsonl" \
    ${OCTOPACK_UNPRIV_SHARED:+OCTOPACK_SHARED_DIR=$OCTOPACK_UNPRIV_SHARED} \
    ${OCTOPACK_UNPRIV_HEP:+OCTOPACK_HUMANEVALPACK_DIR=$OCTOPACK_UNPRIV_HEP} \
    TMPDIR="$w/tmp" \
    bash -c "id && \"$OCTOPACK_UNPRIV_PY\" -m pytest -q -ra -p no:cacheprovider $*"
' _ "${files[@]}"
[ "$compare" = 1 ] || exit 0

# Identical verdicts: every (task, sample) must pass or fail the same way in both runs (the two known-flaky
# canonicals excluded). The failure status must be the same too, except where it is a race between two
# limits: a program that exhausts a resource near its timeout (e.g. buggy Go/76's unbounded recursion
# reaches Go's 1 GB stack limit in about 7 s against a 5 s timeout) may end as timeout in one run and
# runtime_error / memory_limit in the other; those are listed but do not fail the comparison.
"$PY" - "$root_verdicts" "$home/user-verdicts.jsonl" <<'EOF'
import json, sys
flaky = ("Rust/32", "Go/95")
race = {"timeout", "runtime_error", "memory_limit"}
load = lambda p: {(r["task_id"], r["sample_id"]): r["status"] for r in map(json.loads, open(p))}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys(), "different requests in the two runs"
diff = [(k, a[k], b[k]) for k in sorted(a) if a[k] != b[k] and k[0] not in flaky]
races = [d for d in diff if {d[1], d[2]} <= race]
bad = [d for d in diff if d not in races]
print(f"unprivileged_pass: {len(a)} canonical/buggy verdicts, root vs unprivileged: "
      + ("identical" if not bad else f"{len(bad)} differ"), "(known-flaky", ", ".join(flaky), "excluded;",
      f"{len(races)} failing the same with a timeout-vs-limit race)")
for d in races:
    print("   race:", d)
for d in bad[:50]:
    print("   DIFFERENT:", d)
sys.exit(1 if bad else 0)
EOF
