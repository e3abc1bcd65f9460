# Rectify: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo ledger stands in late 2017 (reports up to 2017-W48): `make run` serves it with the
# ledger's clock pinned to that week. `make run DEMO_TODAY=` serves it at the real date.
DEMO_TODAY ?= 2017-12-01
export DEBUG ?= true

.PHONY: run test lint format install migrate demo serve worker clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py import_plan fixtures/plans/shanxi-2017.txt
	$(PY) manage.py load_demo

# Set up everything, then serve the site with a Celery worker and beat beside it
# (embedded file broker unless CELERY_BROKER_URL is set).
run: demo
	RECTIFY_TODAY=$(DEMO_TODAY) $(PY) manage.py runserver_with_worker $(HOST):$(PORT)

# The production processes together on PostgreSQL and Redis: gunicorn, a Celery worker and beat
# (rectify/serve.py: migrate, collectstatic, then supervise the three; Ctrl-C stops them). Always
# DEBUG=false; `make serve ENV_FILE=deploy/production.env` reads the production profile, and
# SECRET_KEY, AUDIT_KEY, DATABASE_URL, ALLOWED_HOSTS come from the environment.
ENV_FILE ?=
serve: install
	DEBUG=false $(PY) -m rectify.serve $(if $(ENV_FILE),--env-file $(ENV_FILE)) --host $(HOST) --port $(PORT)

# One test process per core (pytest-xdist; a test file stays in one process, so its module fixtures,
# a Celery worker or a built demo, are made once), the costliest files handed out first (by the last
# run's times: tests/conftest.py). `make test TEST_WORKERS=0` runs in one process. Compiled modules
# are kept in __pycache__/ (ignored by git) even where the environment sets PYTHONDONTWRITEBYTECODE:
# otherwise every test process compiled the app and rewrote the asserts of all 94 test files again,
# about 3 s each time.
TEST_WORKERS ?= auto
test: install
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# ruff (lint and format check) and import-linter (the layers point down), configured in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var
