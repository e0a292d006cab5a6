# Attune: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev lint format migrate seed lock bench bench-scale backup restore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs are pinned: requirements.lock for running, requirements-dev.lock adds the tools.
$(VENV)/.installed: requirements.lock $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

# The quality gates' pinned tools: axe-core (browser) and vnu.jar (the Nu HTML Checker).
tests/assets/node_modules/.installed: tests/assets/package-lock.json
	npm ci --prefix tests/assets --no-audit --no-fund --ignore-scripts
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py createcachetable

seed: migrate
	$(BIN)/python manage.py seed_demo

# Serves on http://$(HOST):$(PORT) with the background worker and the reminder sweep beside
# it; Ctrl-C stops all three.
run: seed
	@echo "Attune on http://$(HOST):$(PORT)/ (demo: alex@demo.attune / attune-demo-2026)"
	@trap 'kill $$worker $$sweeper 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py tasks_worker & worker=$$!; \
	$(BIN)/python manage.py send_due_reminders --loop 60 & sweeper=$$!; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Uses DATABASE_URL when set (PostgreSQL), SQLite otherwise. Browser tests need Chromium at
# /usr/bin/chromium; as root this installs Debian's package when it is missing.
test: install-dev tests/assets/node_modules/.installed
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && apt-get install -y -q chromium; fi
	@if ! command -v java >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && apt-get install -y -q default-jre-headless; fi
	$(BIN)/pytest

# A backup of the database (DATABASE_URL, or the SQLite file) into BACKUP_DIR, default
# ./backups, keeping the newest 14; `make restore FILE=backups/attune-....dump` puts one back.
backup: install
	$(BIN)/python manage.py backup

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=backups/attune-<time>.dump|.sqlite3"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolves the pins from pyproject.toml in a scratch environment.
lock:
	rm -rf /tmp/attune-lock && $(PYTHON) -m venv /tmp/attune-lock
	/tmp/attune-lock/bin/pip install --quiet --disable-pip-version-check .
	/tmp/attune-lock/bin/pip freeze --exclude attune > requirements.lock
	/tmp/attune-lock/bin/pip install --quiet --disable-pip-version-check ".[dev]"
	/tmp/attune-lock/bin/pip freeze --exclude attune > requirements-dev.lock
	rm -rf /tmp/attune-lock build *.egg-info

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# Benchmarks on PostgreSQL (BENCH_DATABASE_URL, default the local server's attune_bench
# database): in-process, then a wrk load test of gunicorn; results in bench/results.json.
# As root this installs Debian's wrk when it is missing.
bench: install-dev
	@if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -q && apt-get install -y -q wrk; fi
	$(BIN)/python bench/run.py

# One web node against two, each behind HAProxy, with Redis and RQ (bench/scale.py); results
# in bench/scale-results.json. Needs Redis on 127.0.0.1:6379 (BENCH_REDIS_URL); as root this
# installs Debian's wrk and haproxy when they are missing.
bench-scale: install-dev
	@for tool in wrk haproxy; do \
		if ! command -v $$tool >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && apt-get install -y -q $$tool; fi; done
	$(BIN)/python bench/scale.py
