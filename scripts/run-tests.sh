#!/usr/bin/env bash
# Runs the whole suite on SQLite, then again on a throwaway PostgreSQL server on 127.0.0.1
# that lives in a temporary directory and is stopped by its PID. Exits non-zero if either run fails.
set -uo pipefail
cd "$(dirname "$0")/.."

PYTEST=(.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" -q)

echo "== tests on SQLite =="
"${PYTEST[@]}" "$@"
sqlite_status=$?

echo "== tests on PostgreSQL =="
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=${PGPORT:-54329}
PGTMP=$(mktemp -d)
chown postgres:postgres "$PGTMP"
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$PGBIN/initdb" -D "$PGTMP/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
PGPID=$(head -1 "$PGTMP/data/postmaster.pid")
stop_postgres() {
  kill -INT "$PGPID" 2>/dev/null
  while kill -0 "$PGPID" 2>/dev/null; do sleep 0.1; done
  rm -rf "$PGTMP"
}
trap stop_postgres EXIT
as_postgres psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE matcher_test"
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/matcher_test" "${PYTEST[@]}" "$@"
postgres_status=$?

echo "== SQLite: exit $sqlite_status; PostgreSQL: exit $postgres_status =="
[ "$sqlite_status" -eq 0 ] && [ "$postgres_status" -eq 0 ]
