#!/usr/bin/env bash
# Build the wheel admins install (docs/install.md) and install it, not editable, into .venv
# (made when missing), with the extras given (e.g. `test`).  The demo and the test suite run
# this install, never the checkout: a change to the code needs this script again.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if ! python3 -m venv .venv >/dev/null 2>&1; then
  # Debian's system Python keeps venv in a separate package.
  [ "$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
rm -rf build dist/appliance-*.whl   # build/ keeps deleted modules otherwise
.venv/bin/pip wheel -q --no-deps -w dist . >/dev/null
whl=$(ls dist/appliance-*.whl)
# Dependencies first, then the package itself again: the version number does not change
# between commits, so without --force-reinstall pip would keep an older build.
.venv/bin/pip install -q "$whl${extras:+[$extras]}"
.venv/bin/pip install -q --no-deps --force-reinstall "$whl"
