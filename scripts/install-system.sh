#!/usr/bin/env bash
# Installs the Debian programs the tests drive for real, each only when missing:
#   chromium (+ a font)   browser tests (tests/browser/), driven by Playwright via `executable_path`
#   redis-server          Celery broker and knowledge cache (tests/server/test_server_celery.py, ...)
#   postgresql            the job store on PostgreSQL (tests/server/test_server_jobs.py, ...)
#
# Idempotent and quiet. Never run `playwright install`: its browser download cannot reach its host.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium fonts-dejavu-core)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[[ -x "$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n1)" ]] || need+=(postgresql)
[[ ${#need[@]} -eq 0 ]] && exit 0

fail() {
    echo "install-system.sh: ERROR: $*" >&2
    echo "install-system.sh: the tests need Debian's ${need[*]}: apt-get install ${need[*]}" >&2
    exit 1
}

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: cannot install ${need[*]}."
    SUDO=(sudo -n)
fi
command -v apt-get >/dev/null 2>&1 || fail "apt-get not found (not a Debian-like system)."

echo "install-system.sh: installing ${need[*]} (apt-get) ..." >&2
log="$(mktemp -t install-system.XXXXXX.log)"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update -qq >"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get update failed (log above)."
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get install ${need[*]} failed (log above)."
fi
rm -f "$log"
# The packages' own services are not used: the tests start private servers on free ports.
"${SUDO[@]}" service redis-server stop >/dev/null 2>&1 || true
"${SUDO[@]}" service postgresql stop >/dev/null 2>&1 || true
echo "install-system.sh: installed ${need[*]}." >&2
