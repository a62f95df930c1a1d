# OpsFlow: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install messages run test test-fast lint fmt security migrations-check schema deploy-check bench makemessages clean

$(STAMP): pyproject.toml package-lock.json
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@# axe-core for the browser accessibility test (npm registry); skipped where npm is absent
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $(STAMP)

install: $(STAMP)

messages: install
	$(PY) scripts/compile_messages.py

run: messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py loaddemo
	$(PY) scripts/run.py

test: messages
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2} $(PYTEST_ARGS)

# lint-imports: the layers and "plumbing imports no app" contracts ([tool.importlinter] in pyproject.toml);
# check_private_imports.py: no module imports another module's _private name.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_private_imports.py

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Security: bandit on our code (skips and their reasons in pyproject.toml [tool.bandit]), then pip-audit
# on the installed packages. An audit that could not reach the advisory service fails (exit 2) unless
# AUDIT_FLAGS=--allow-unaudited, which turns that case into a loud warning; a vulnerability always fails.
security: install
	$(VENV)/bin/bandit -c pyproject.toml -q -r opsflow processes pilots metrics -x tests
	$(PY) scripts/audit_dependencies.py $(AUDIT_FLAGS)

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

schema: install
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml

deploy-check: install
	DJANGO_SETTINGS_MODULE=opsflow.settings.production DJANGO_SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(64))") \
	  DJANGO_ALLOWED_HOSTS=opsflow.example $(PY) manage.py check --deploy --fail-level WARNING

# Extract new strings (needs GNU gettext: apt-get install gettext); translate them in locale/zh_Hans.
makemessages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=node_modules --no-obsolete

# Benchmarks (docs/benchmarks.md): the machine's pgbench reference once, then every bench/*.py script
# that exists, each against PostgreSQL and Redis; a failing script does not stop the others, the target
# fails at the end. dashboards and inbox share BENCH_DATABASE_URL (created and seeded with 1,000,000 task
# rows on the first run, ~3 min, then reused); completions, load and overdue make their own databases
# on the same server; eventlog needs none. PostgreSQL and Redis are started as .ci/run does when they
# are not answering on loopback.
BENCH_DATABASE_URL ?= postgres://opsflow:opsflow@127.0.0.1:5432/bench_gen
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/2
BENCH_SCRIPTS ?= completions dashboards inbox eventlog load overdue

bench: install
	@pg_isready -h 127.0.0.1 -q || { PG=$$(ls /usr/lib/postgresql | sort -n | tail -1); pg_ctlcluster $$PG main start; \
	  for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no
	@export DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL); \
	$(PY) -m bench.reference --refresh || exit 1; \
	failed=""; for name in $(BENCH_SCRIPTS); do \
	  test -f bench/$$name.py || continue; \
	  echo; echo "=== bench/$$name.py ($$(date -u '+%F %T') UTC, load $$(cut -d' ' -f1-3 /proc/loadavg))"; \
	  $(PY) -m bench.$$name || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench failed:$$failed"; exit 1; fi; echo "every benchmark passed"

clean:
	rm -rf var
