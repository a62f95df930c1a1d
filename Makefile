# OpsFlow: `make run` starts the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install messages run test test-fast lint fmt migrations-check schema deploy-check bench makemessages clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
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
	$(PY) -m bench

clean:
	rm -rf var
