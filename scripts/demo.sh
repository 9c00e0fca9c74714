#!/usr/bin/env bash
# Start the whole appliance on its embedded default (SQLite in ./demo-data, SMTP on
# 127.0.0.1:2525, the panel on 127.0.0.1:8080, domain help.example.test) and print how to
# reach it and the admin login.  Ctrl-C stops every service.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-venv.sh
exec .venv/bin/appliance demo "$@"
