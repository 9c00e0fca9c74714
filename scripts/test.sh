#!/usr/bin/env bash
# Every test of the appliance, from a fresh Debian machine with Python 3.11+:
# installs the Debian packages the real-parts tests use (when run as root and missing),
# makes .venv with the package and its test extra, then runs the whole suite (lint included).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v smtp-source >/dev/null || need+=(postfix)
command -v opendkim >/dev/null || need+=(opendkim opendkim-tools)
perl -MMail::DKIM -e1 2>/dev/null || need+=(libmail-dkim-perl)
command -v chromium >/dev/null || need+=(chromium)
command -v supervisord >/dev/null || true
command -v systemd-analyze >/dev/null || need+=(systemd)   # verify/security of systemd/ units
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing Debian packages (${need[*]}): run as root or 'sudo apt-get install ${need[*]}'" >&2
    echo "tests that need them are skipped" >&2
  fi
fi
if ! python3 -m venv .venv >/dev/null 2>&1; then
  # Debian's system Python keeps venv in a separate package.
  [ "$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
