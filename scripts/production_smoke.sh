#!/usr/bin/env bash
# Production smoke: start OpsFlow the way the Dockerfile and docker-compose.yml do, without Docker, and
# check that it serves. A clean virtualenv with `pip install .` (not editable, no dev extras), then
# scripts/docker-entrypoint.sh (the script the image and the compose file call) for the build, the
# migrations and the web, worker and beat processes, on a fresh PostgreSQL database and a Redis
# database index; the demo world is loaded for its users. scripts/production_smoke.py then checks
# /healthz, the login page and its static files with far-future caching, a demo user's login and pages,
# the API with a token, and one escalation carried out by the worker. Exits 1 naming what failed; every
# process it started is stopped and the database dropped on exit.
#
#   bash scripts/production_smoke.sh
#
# Environment (all optional): SMOKE_PYTHON (python3.11), SMOKE_PG_URL (the server, default
# postgres://opsflow:opsflow@127.0.0.1:5432; a database opsflow_smoke_<pid> is created on it and dropped),
# SMOKE_REDIS_URL (redis://127.0.0.1:6379/5, flushed first), SMOKE_ESCALATION_TIMEOUT (90 seconds),
# SMOKE_KEEP=1 keeps the temporary folder (virtualenv, logs) for a look afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SMOKE_PYTHON="${SMOKE_PYTHON:-python3.11}"
SMOKE_PG_URL="${SMOKE_PG_URL:-postgres://opsflow:opsflow@127.0.0.1:5432}"
SMOKE_REDIS_URL="${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/5}"
SMOKE_ESCALATION_TIMEOUT="${SMOKE_ESCALATION_TIMEOUT:-90}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/opsflow-smoke.XXXXXX")"
DB="opsflow_smoke_$$"
PIDS=()
DB_CREATED=""

say() { printf '\n--- smoke: %s\n' "$*"; }
fail() {
  printf '\nPRODUCTION SMOKE FAILED: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  # each process runs in its own process group (setsid): TERM the group, KILL what is left after 15 s
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    alive=""
    for pid in "${PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then
    for log in build web worker beat; do
      [ -s "$WORK/$log.log" ] || continue
      printf '\n--- last lines of %s.log\n' "$log" >&2
      tail -n 25 "$WORK/$log.log" >&2
    done
  fi
  if [ -n "$DB_CREATED" ]; then
    psql -q "$SMOKE_PG_URL/postgres" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "${SMOKE_KEEP:-}" = 1 ]; then echo "smoke: kept $WORK" >&2; else rm -rf "$WORK"; fi
  [ "$rc" -eq 0 ] && printf '\nPRODUCTION SMOKE PASSED\n'
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {  # start NAME ARGS...: scripts/docker-entrypoint.sh ARGS in the background, logging to NAME.log
  local name=$1
  shift
  setsid sh scripts/docker-entrypoint.sh "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=("$!")
}

say "clean virtualenv, pip install . (no extras) into $WORK/venv"
"$SMOKE_PYTHON" -m venv "$WORK/venv" || fail "could not create a virtualenv with $SMOKE_PYTHON"
# the package is built from the files the Dockerfile copies before its `pip install .`, in a folder of their
# own (setuptools builds in the source folder: a build/ left there by an earlier run could add stale modules)
mkdir "$WORK/src"
cp -R pyproject.toml README.md opsflow processes pilots metrics "$WORK/src/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$WORK/src" || fail "pip install . failed"
export PATH="$WORK/venv/bin:$PATH"
[ "$(command -v python)" = "$WORK/venv/bin/python" ] || fail "the virtualenv's python is not first on PATH"
for tool in gunicorn celery; do command -v "$tool" >/dev/null || fail "$tool is not installed by pip install ."; done

PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DJANGO_SETTINGS_MODULE=opsflow.settings.production
DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL="$SMOKE_PG_URL/$DB"
export REDIS_URL="$SMOKE_REDIS_URL"
export OPSFLOW_VAR_DIR="$WORK/var"
export OPSFLOW_WEB_BIND="127.0.0.1:$PORT"
# SSL redirect stays on, as in production: the checker sends X-Forwarded-Proto: https, as the TLS proxy in
# front of OpsFlow does (and checks that a plain-http request is redirected).

say "fresh database $DB, Redis $REDIS_URL emptied"
pg_isready -q -d "$SMOKE_PG_URL/postgres" || fail "PostgreSQL does not answer at $SMOKE_PG_URL"
psql -q "$SMOKE_PG_URL/postgres" -c "CREATE DATABASE $DB" >/dev/null || fail "could not create database $DB"
DB_CREATED=1
python -c 'import os, redis; redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()' \
  || fail "Redis does not answer at $REDIS_URL"

say "build: compile messages, collectstatic (as the Dockerfile's RUN)"
sh scripts/docker-entrypoint.sh build >"$WORK/build.log" 2>&1 || fail "build (compile messages, collectstatic)"
tail -n 1 "$WORK/build.log"
[ -f "$OPSFLOW_VAR_DIR/staticfiles/staticfiles.json" ] || fail "collectstatic wrote no manifest"

say "migrate, load the demo"
sh scripts/docker-entrypoint.sh migrate >"$WORK/migrate.log" 2>&1 || { tail -n 25 "$WORK/migrate.log"; fail "migrate"; }
sh scripts/docker-entrypoint.sh python manage.py loaddemo || fail "loaddemo"

say "web (gunicorn on $OPSFLOW_WEB_BIND), worker, beat (as docker-compose.yml)"
start web web
start worker worker
start beat beat

say "checks"
python scripts/production_smoke.py --url "http://$OPSFLOW_WEB_BIND" --escalation-timeout "$SMOKE_ESCALATION_TIMEOUT" \
  || fail "the checks above marked FAIL"
for i in 0 1 2; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || fail "$(echo web worker beat | cut -d' ' -f$((i + 1))) exited during the checks"
done
grep -q "processes.escalation_sweep" "$WORK/worker.log" || fail "the worker's log shows no escalation sweep"
