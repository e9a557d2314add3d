#!/usr/bin/env bash
# The headless browser the report tests open `octopack report` pages in (tests/report/test_browser.py):
# Chromium from the system's packages, driven by the playwright Python package from the venv (its own
# browser download is not used). Idempotent: a quick no-op when a browser is already there.
# OCTOPACK_CHROMIUM=/path/to/chrome names another one.
set -euo pipefail

find_browser() {
  local b
  for b in "${OCTOPACK_CHROMIUM:-}" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  return 1
}

if path="$(find_browser)"; then
  echo "setup-report: browser $path"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-report: installing chromium (apt-get; a minute or two)"
  export DEBIAN_FRONTEND=noninteractive
  # Try the package lists as they are first; refresh them only when that fails (fresh container).
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
  echo "setup-report: browser $(find_browser)"
  exit 0
fi
msg="setup-report: no Chromium found and cannot install one here (needs root and apt-get): install the \
'chromium' package or set OCTOPACK_CHROMIUM; the browser test of 'octopack report' needs it"
if [ "${CI:-}" = "true" ]; then
  echo "$msg" >&2
  exit 1
fi
echo "$msg (it is skipped outside CI)" >&2
