#!/usr/bin/env bash
# Start the whole appliance on its embedded default (SQLite in ./demo-data, SMTP on
# 127.0.0.1:2525, the panel on 127.0.0.1:8080, domain help.example.test) and print how to
# reach it and the admin login.  Ctrl-C stops every service.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -m venv .venv >/dev/null 2>&1; then
  # Debian's system Python keeps venv in a separate package.
  [ "$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e .
exec .venv/bin/appliance demo "$@"
