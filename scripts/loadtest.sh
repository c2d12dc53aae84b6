#!/usr/bin/env bash
# Load test: gunicorn over a throwaway PostgreSQL holding 100k offers and 20k requests, measured with wrk.
#
# Starts PostgreSQL on 127.0.0.1 in a temporary directory, creates the schema and the demo data, starts gunicorn
# (workers from the CPUs, rate limits off), logs a coordinator in, then runs wrk for a bounded time and number of
# connections against the coordinator's queue, the case page, the candidates JSON and the public map. Prints
# req/s and p50/p99 latency per endpoint, and fails when any answer is not 200 or the case page's p99 is over
# CASE_P99_LIMIT_MS. Everything it starts is stopped by its PID.
#
# Knobs (environment): OFFERS (100000), REQUESTS (20000), DURATION (20s), CONNECTIONS (16), THREADS (2),
# WORKERS (CPUs), PGPORT (54339), APP_PORT (8765), CASE_P99_LIMIT_MS (500).
set -euo pipefail
cd "$(dirname "$0")/.."

OFFERS=${OFFERS:-100000}
REQUESTS=${REQUESTS:-20000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
CPUS=$(nproc)
WORKERS=${WORKERS:-$CPUS}
PGPORT=${PGPORT:-54339}
APP_PORT=${APP_PORT:-8765}
CASE_P99_LIMIT_MS=${CASE_P99_LIMIT_MS:-500}
BIN=.venv/bin

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

WORK=$(mktemp -d)
PGPID=""
APPPID=""
cleanup() {
  [ -n "$APPPID" ] && kill -TERM "$APPPID" 2>/dev/null && while kill -0 "$APPPID" 2>/dev/null; do sleep 0.1; done
  [ -n "$PGPID" ] && kill -INT "$PGPID" 2>/dev/null && while kill -0 "$PGPID" 2>/dev/null; do sleep 0.1; done
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== PostgreSQL on 127.0.0.1:$PGPORT =="
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
chown postgres:postgres "$WORK"
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_postgres "$PGBIN/initdb" -D "$WORK/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK -c fsync=off -c synchronous_commit=off -c max_connections=100" \
  start >/dev/null
PGPID=$(head -1 "$WORK/data/postmaster.pid")
as_postgres psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE matcher_load"

export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/matcher_load"
export MATCHER_ENV=development RATELIMIT_ENABLED=False
SECRET_KEY=$("$BIN/python" -c "import secrets; print(secrets.token_urlsafe(32))")
export SECRET_KEY

echo "== schema and data: $OFFERS offers, $REQUESTS requests =="
# The schema straight from the models: the load test measures the app, whatever the migrations' state.
"$BIN/python" -c "from wsgi import app; from matcher.extensions import db; app.app_context().push(); db.create_all()"
"$BIN/flask" --app wsgi demo-data --offers "$OFFERS" --requests "$REQUESTS" --seed 7
COORDINATOR=load-coordinator@example.org
PASSWORD="load test passphrase $RANDOM$RANDOM"
"$BIN/flask" --app wsgi create-user --email "$COORDINATOR" --password "$PASSWORD" --role coordinator --name "Load Test" \
  >/dev/null
as_postgres psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d matcher_load -qc "ANALYZE" >/dev/null
# 200 open cases, spread over the queue, for the case page and the candidates JSON to cycle through.
IDS=$(as_postgres psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d matcher_load -Atc \
  "SELECT id FROM housing_requests WHERE status = 'open' ORDER BY md5(id::text) LIMIT 200" | paste -sd, -)

echo "== gunicorn: $WORKERS workers on 127.0.0.1:$APP_PORT =="
"$BIN/gunicorn" --config scripts/gunicorn.conf.py --workers "$WORKERS" --bind "127.0.0.1:$APP_PORT" --timeout 120 \
  --log-level warning \
  --error-logfile "$WORK/gunicorn.log" wsgi:app &
APPPID=$!
BASE="http://127.0.0.1:$APP_PORT"
for _ in $(seq 1 300); do curl -fsS -o /dev/null "$BASE/" 2>/dev/null && break; sleep 0.2; done

# Log in as a person would (CSRF token from the form), and keep the session cookie for wrk.
SESSION=$(BASE="$BASE" LOGIN="$COORDINATOR" PASSWORD="$PASSWORD" "$BIN/python" - <<'PY'
import http.cookiejar, os, re, urllib.parse, urllib.request
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
base = os.environ["BASE"]
page = opener.open(base + "/auth/login").read().decode()
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode({"csrf_token": token, "login": os.environ["LOGIN"], "password": os.environ["PASSWORD"]})
opener.open(base + "/auth/login", data=form.encode())
print(next(c.value for c in jar if c.name == "session"))
PY
)

cat > "$WORK/measure.lua" <<LUA
local ids = {${IDS}}
local threads = {}
local counter = 0
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; pattern = args[1]; counter = math.random(1, #ids) end
function request()
  counter = counter % #ids + 1
  local path = string.gsub(pattern, "ID", tostring(ids[counter]))
  return wrk.format("GET", path)
end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.1f %.1f %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, bad_total, errors))
end
LUA

ENDPOINTS=(
  "queue|/coordinator/queue"
  "case page|/coordinator/requests/ID"
  "candidates JSON|/api/v1/requests/ID/candidates"
  "public map|/maps/"
  "public map data|/api/v1/map/cities?bbox=-25,34,45,72&zoom=4"
)
FIRST_ID=${IDS%%,*}
for entry in "${ENDPOINTS[@]}"; do
  path=${entry#*|}; path=${path//ID/$FIRST_ID}
  code=$(curl -s -o /dev/null -w "%{http_code}" -H "Cookie: session=$SESSION" "$BASE$path")
  [ "$code" = 200 ] || { echo "GET $path answered $code, not 200" >&2; cat "$WORK/gunicorn.log" >&2; exit 1; }
done

echo "== warm-up: every worker loads the offer pool and the map layer =="
for entry in "${ENDPOINTS[@]}"; do
  wrk -t "$THREADS" -c "$CONNECTIONS" -d 5s --timeout 10s -s "$WORK/measure.lua" -H "Cookie: session=$SESSION" \
    "$BASE" -- "${entry#*|}" >/dev/null
done

echo "== wrk: $DURATION per endpoint, $CONNECTIONS connections, $THREADS threads, $WORKERS gunicorn workers, $CPUS CPUs =="
printf "| %-16s | %8s | %8s | %8s | %8s | %6s |\n" endpoint "req/s" "p50 ms" "p99 ms" requests errors
printf "|%s|\n" "------------------|----------|----------|----------|----------|--------"
status=0
for entry in "${ENDPOINTS[@]}"; do
  name=${entry%%|*}
  sleep 5  # let gunicorn finish what the previous endpoint's connections left queued
  result=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 10s -s "$WORK/measure.lua" -H "Cookie: session=$SESSION" \
    "$BASE" -- "${entry#*|}" | grep '^RESULT')
  read -r _ rps p50 p99 total bad errors <<<"$result"
  printf "| %-16s | %8s | %8s | %8s | %8s | %6s |\n" "$name" "$rps" "$p50" "$p99" "$total" "$((bad + errors))"
  [ "$((bad + errors))" -eq 0 ] || status=1
  if [ "$name" = "case page" ] && awk -v p="$p99" -v limit="$CASE_P99_LIMIT_MS" 'BEGIN { exit !(p > limit) }'; then
    echo "case page p99 ${p99} ms is over ${CASE_P99_LIMIT_MS} ms" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "== load test passed ==" || echo "== load test FAILED ==" >&2
exit "$status"
