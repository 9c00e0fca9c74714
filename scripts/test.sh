#!/usr/bin/env bash
# Every test of the appliance, from a fresh Debian machine with Python 3.11+:
# installs the Debian packages the real-parts tests use (when run as root and missing),
# builds the wheel and installs it (not editable) with its test extra into .venv, then runs
# the whole suite (lint included) against that install, as admins get it,
# then the non-slow, non-browser tests a second time on PostgreSQL: a private cluster on a
# loopback port in a temporary directory (APPLIANCE_TEST_POSTGRES=0 skips that run).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v smtp-source >/dev/null || need+=(postfix)
command -v opendkim >/dev/null || need+=(opendkim opendkim-tools)
perl -MMail::DKIM -e1 2>/dev/null || need+=(libmail-dkim-perl)
command -v chromium >/dev/null || need+=(chromium)
command -v supervisord >/dev/null || true
command -v systemd-analyze >/dev/null || need+=(systemd)   # verify/security of systemd/ units
# Debian's own Python with venv: the services-as-the-data-owner test installs there
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ "${APPLIANCE_TEST_POSTGRES:-1}" != 0 ] && [ -z "$(pg_bin)" ]; then
  need+=(postgresql)
fi
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
bash scripts/install-venv.sh test
# The tests spend much of their time waiting on the services they start: a process per
# core (at most 4), each taking whole modules (--dist loadfile), so module fixtures are
# made once.  APPLIANCE_TEST_WORKERS=0 runs them one after another in this process.
workers="${APPLIANCE_TEST_WORKERS:-$(n=$(nproc); echo $(( n > 4 ? 4 : n )))}"
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadfile)
rc=0
.venv/bin/python -P -m pytest "${parallel[@]}" "$@" || rc=$?
[ "${APPLIANCE_TEST_POSTGRES:-1}" = 0 ] && exit $rc
if [ -z "$(pg_bin)" ]; then
  echo "PostgreSQL is not installed: the PostgreSQL run is skipped" >&2
  exit $rc
fi
# A throw-away cluster: trust auth on 127.0.0.1 only, no fsync (tests, not data).
pg="$(pg_bin)"
pgdir="$(mktemp -d /tmp/appliance-pg.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "cd /tmp && $*"; else sh -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
stop_pg() { as_pg "$pg/pg_ctl -D $pgdir/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT
as_pg "$pg/initdb -D $pgdir/data -U postgres -A trust -E UTF8 --no-sync" >/dev/null
as_pg "$pg/pg_ctl -D $pgdir/data -l $pgdir/log -w -o \"-p $port -k $pgdir \
  -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_connections=200\" start" >/dev/null
echo "PostgreSQL run: the non-slow tests on a private cluster at 127.0.0.1:$port"
# the chromium tests check pages, which the SQLite run shows; leaving them out here keeps
# CI (both runs and the soak test) under 30 minutes on 2 cores
APPLIANCE_TEST_DATABASE="postgresql://postgres@127.0.0.1:$port/postgres" \
  .venv/bin/python -P -m pytest "${parallel[@]}" -m "not slow and not browser" "$@" || rc=$?
exit $rc
