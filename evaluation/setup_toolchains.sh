#!/usr/bin/env bash
# Prepare everything HumanEvalPack execution needs, so that running samples needs no network:
#   apt: Boost headers (CPP/22), libssl-dev (CPP/162), gcc (sandbox helper)
#   npm: js-md5@0.7.3 (JavaScript/162)                         -> $CACHE/js/node_modules
#   Go:  testify v1.8.0 + deps in an offline module cache       -> $CACHE/go/{template,modcache}
#   Rust: rand 0.4.6, regex 1, md5 0.7.0 built once (debug)    -> $CACHE/rust/{deps,externs.json}
#   then (Python): sandbox helper, gomerge tool, warm Go build cache, a pass/fail self-check
#   in every language, and the reference runtimes of the canonical solutions when the data is found.
# Idempotent: a stamp (hash of this script + engine sources) makes a second run take about a second.
# Cache dir: $OCTOPACK_EVAL_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/octopack-spark/eval.
# Env: OCTOPACK_SKIP_REFERENCE=1 skips measuring reference runtimes; OCTOPACK_SETUP_FORCE=1 ignores the stamp.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${OCTOPACK_EVAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/octopack-spark/eval}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
export PATH="/usr/local/go/bin:$HOME/.cargo/bin:$PATH"

log() { printf '[setup-eval] %s\n' "$*" >&2; }
die() { printf '[setup-eval] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$CACHE/stamps"
STAMP="$CACHE/stamps/setup.stamp"
FINGERPRINT="$(cat "$0" "$ROOT"/evaluation/execution/*.py "$ROOT"/evaluation/execution/*.c \
    "$ROOT"/evaluation/execution/runners/*.py "$ROOT"/evaluation/execution/gomerge/*.go | sha256sum | cut -c1-32)"
if [ -z "${OCTOPACK_SETUP_FORCE:-}" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$FINGERPRINT" ]; then
    log "up to date ($CACHE)"
    exit 0
fi
[ "$(id -u)" = 0 ] || die "run as root: the sandbox needs namespaces and per-sample uids (and apt needs root)"

# ---------------------------------------------------------------- system packages
need_apt=()
[ -f /usr/include/boost/any.hpp ] || need_apt+=(libboost-dev)
[ -f /usr/include/openssl/md5.h ] || need_apt+=(libssl-dev)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v g++ >/dev/null || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

for tool in node npm java javac go rustc cargo g++ gcc; do
    command -v "$tool" >/dev/null || die "$tool not found (expected: Node 20, JDK >= 16, Go >= 1.21, Rust, g++)"
done
java_major="$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')"
[ "$java_major" -ge 16 ] || die "JDK >= 16 needed (Java/151 uses instanceof patterns), found $java_major"

# ---------------------------------------------------------------- js-md5
if [ ! -f "$CACHE/js/node_modules/js-md5/package.json" ]; then
    log "npm install js-md5@0.7.3"
    mkdir -p "$CACHE/js"
    (cd "$CACHE/js" && npm install --no-audit --no-fund --silent --prefix "$CACHE/js" js-md5@0.7.3 >/dev/null)
fi

# ---------------------------------------------------------------- Go: testify in an offline module cache
GO_T="$CACHE/go/template"
if [ ! -f "$GO_T/go.sum" ] || ! grep -q "stretchr/testify v1.8.0" "$GO_T/go.sum"; then
    log "go: downloading testify v1.8.0 into $CACHE/go/modcache"
    mkdir -p "$GO_T/p0" "$CACHE/go/modcache" "$CACHE/go/gopath"
    cat > "$GO_T/go.mod" <<'EOF'
module humaneval

go 1.18

require github.com/stretchr/testify v1.8.0
EOF
    cat > "$GO_T/p0/main_test.go" <<'EOF'
package main

import (
    "testing"
    "github.com/stretchr/testify/assert"
)

func TestSetup(t *testing.T) { assert.Equal(t, 1, 1) }
EOF
    (cd "$GO_T" && GOMODCACHE="$CACHE/go/modcache" GOPATH="$CACHE/go/gopath" GOFLAGS=-mod=mod \
        GOTOOLCHAIN=local GOTELEMETRY=off GOCACHE="$CACHE/go/build" go mod tidy)
    rm -rf "$GO_T/p0"
fi
mkdir -p "$CACHE/go/build"

# ---------------------------------------------------------------- Rust crates, built once
RD="$CACHE/rust/deps"
if [ ! -f "$CACHE/rust/externs.json" ]; then
    log "rust: building rand 0.4.6, regex 1, md5 0.7.0"
    mkdir -p "$RD/src"
    cat > "$RD/Cargo.toml" <<'EOF'
[package]
name = "octopack_deps"
version = "0.1.0"
edition = "2021"

[dependencies]
rand = "=0.4.6"
regex = "1"
md5 = "=0.7.0"
EOF
    : > "$RD/src/lib.rs"
    export CARGO_HOME="$CACHE/rust/cargo-home"
    (cd "$RD" && cargo build --quiet --message-format=json > "$CACHE/rust/build.jsonl")
    "$PY" - "$CACHE/rust/build.jsonl" "$RD/target/debug/deps" "$CACHE/rust/externs.json" <<'EOF'
import json, sys
build, deps, out = sys.argv[1:]
crates = {}
for line in open(build):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] in ("rand", "regex", "md5"):
        rlibs = [f for f in m["filenames"] if f.endswith(".rlib")]
        crates[m["target"]["name"]] = rlibs[0]
assert set(crates) == {"rand", "regex", "md5"}, crates
json.dump({"deps_dir": deps, "crates": crates}, open(out, "w"), indent=1)
EOF
fi

# ---------------------------------------------------------------- sandbox, PCH, warm caches, self-check
log "sandbox helper, gomerge tool, Go build cache, self-check, reference runtimes"
args=()
DATA="${OCTOPACK_HUMANEVALPACK_DIR:-$ROOT/octopack_spark/data/humanevalpack}"  # default: the bundled copy
if [ -z "${OCTOPACK_SKIP_REFERENCE:-}" ] && [ -f "$DATA/python.jsonl" ]; then
    args+=(--measure-reference "$DATA")
fi
(cd "$ROOT" && OCTOPACK_EVAL_CACHE="$CACHE" "$PY" -m evaluation.execution.warmup "${args[@]}")

echo "$FINGERPRINT" > "$STAMP"
log "done ($CACHE)"
