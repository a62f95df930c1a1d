#!/bin/sh
# How OpsFlow's production processes start: the Dockerfile (build, CMD), docker-compose.yml (web,
# worker, beat) and CI's production smoke (scripts/production_smoke.sh) all call this script, so the
# three cannot drift apart. Run it from the source folder (the image's /app) with the production
# environment set (docs/operations.md, "Settings").
#
#   build    compile the translations and collect the static files (hashed names + manifest)
#   migrate  bring the database schema up to date
#   web      migrate, then gunicorn on $OPSFLOW_WEB_BIND (default 0.0.0.0:8000)
#   worker   a Celery worker
#   beat     the Celery beat (run exactly one)
#   any other command is run as given (e.g. `python manage.py loaddemo`)
set -eu
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-opsflow.settings.production}"
VAR_DIR="${OPSFLOW_VAR_DIR:-$PWD/var}"

case "${1:-web}" in
  build)
    python scripts/compile_messages.py
    # collectstatic needs no secret or host of the real installation: a throwaway key when none is set
    DJANGO_SECRET_KEY="${DJANGO_SECRET_KEY:-build-only-$(python -c 'import secrets; print(secrets.token_hex(32))')}" \
    DJANGO_ALLOWED_HOSTS="${DJANGO_ALLOWED_HOSTS:-build}" \
      python manage.py collectstatic --noinput
    ;;
  migrate)
    exec python manage.py migrate --noinput
    ;;
  web)
    python manage.py migrate --noinput
    # one worker per core (docs/operations.md, "Running several workers"); threads cover the waits
    exec gunicorn opsflow.wsgi:application \
      --bind "${OPSFLOW_WEB_BIND:-0.0.0.0:8000}" \
      --workers "${OPSFLOW_WEB_WORKERS:-$(nproc)}" \
      --threads "${OPSFLOW_WEB_THREADS:-4}" \
      --max-requests 2000 --max-requests-jitter 200
    ;;
  worker)
    exec celery -A opsflow worker --loglevel=INFO --concurrency="${OPSFLOW_WORKER_CONCURRENCY:-2}"
    ;;
  beat)
    mkdir -p "$VAR_DIR"
    exec celery -A opsflow beat --loglevel=INFO --schedule "$VAR_DIR/celerybeat-schedule"
    ;;
  *)
    exec "$@"
    ;;
esac
