# Portcullis: `make run` to try it, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

.PHONY: setup run test test-fast worker bench lint format lock browser proxy clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Serve the app with embedded defaults: SQLite, in-process background work, console email.
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalogue
	PORT=$(PORT) $(BIN)/python manage.py seed_demo
	PORT=$(PORT) $(BIN)/python manage.py compliance_round
	@echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	PORT=$(PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Debian's Chromium for the browser tests (Playwright never downloads a browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null; \
	  else echo "The browser tests need /usr/bin/chromium: sudo apt-get install chromium"; exit 1; fi; \
	fi

## Debian's nginx and Redis for the deployment tests (tests/security/test_deployed.py runs
## them on loopback in front of gunicorn, with deploy/nginx/portcullis.conf).
proxy:
	@if [ ! -x /usr/sbin/nginx ] || ! command -v redis-server >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's nginx and Redis for the deployment tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx redis-server) >/dev/null; \
	  else echo "The deployment tests need nginx and redis-server: sudo apt-get install nginx redis-server"; exit 1; fi; \
	fi

## The whole suite (unit, service, security, worker and browser tests) on both cores.
test: setup browser proxy
	PORTCULLIS_TESTING=1 $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

## A real Celery worker against CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0).
worker: setup
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0"; exit 2; }
	mkdir -p var
	$(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2

bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-pin exact versions after changing pyproject.toml.
lock:
	rm -rf /tmp/portcullis-lock && $(PYTHON) -m venv /tmp/portcullis-lock
	/tmp/portcullis-lock/bin/pip install --quiet -e '.[dev,s3]'
	/tmp/portcullis-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) static_build var .pytest_cache
