#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/browser/), unless `chromium` is on PATH.
#
# Idempotent and quiet: does nothing when Chromium is already there. Playwright (from PyPI) drives
# this Chromium through `executable_path`; never run `playwright install`, whose browser download
# cannot reach its host here.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi

fail() {
    echo "install-browser.sh: ERROR: $*" >&2
    echo "install-browser.sh: the browser tests need Debian's Chromium: apt-get install chromium" >&2
    exit 1
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: cannot install chromium."
    SUDO=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found (not a Debian-like system)."

echo "install-browser.sh: installing Debian's chromium (apt-get) ..." >&2
log="$(mktemp -t install-browser.XXXXXX.log)"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get update failed (log above)."
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core \
    >>"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get install chromium fonts-dejavu-core failed (log above)."
fi
rm -f "$log"

command -v chromium >/dev/null 2>&1 || fail "chromium was installed but is not on PATH."
echo "install-browser.sh: $(chromium --version 2>/dev/null || echo chromium) installed." >&2
