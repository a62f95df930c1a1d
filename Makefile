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

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --no-obsolete

bench: install
	$(PY) -m bench.completions
	$(PY) -m bench.dashboards

clean:
	rm -rf var
