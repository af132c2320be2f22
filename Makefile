# Linli: `make run` serves the demo, `make test` runs the whole suite. Nothing else is needed
# on a fresh machine but Python >= 3.12 with pip (and, for the browser tests, root or the
# Debian packages chromium, fonts-noto-cjk and gettext already installed).

SHELL := /bin/bash
.DEFAULT_GOAL := help

BOOT_PYTHON := $(shell for p in python3 python3.12 python3.13 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& command -v $$p && break; done)
UV_VERSION := 0.13.8
UV := .tools/bin/uv
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Two pytest workers (pytest-xdist), each with its own test database: on PostgreSQL the
# suite waits on the database as much as on the CPU, so two halve it even on two cores.
# `make test PYTEST_ARGS=-n0` runs it in one process.
PYTEST_ARGS ?= -n 2

.PHONY: help run test install messages compile-messages lint format check-browser bench clean

help:
	@echo "make run    set up and serve the demo on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole suite (browser tests included)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  marketplace throughput ratios (needs PostgreSQL and pgbench)"

$(UV):
	@if [ -z "$(BOOT_PYTHON)" ]; then echo "Python 3.12 or newer is needed (python3 --version)." >&2; exit 1; fi
	$(BOOT_PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$(BOOT_PYTHON)"
	@touch $@

install: .venv/.synced compile-messages

# Compiled catalogues are built here with Babel, so no system gettext is needed to run.
compile-messages: .venv/.synced
	@$(PY) -m babel.messages.frontend compile --domain django --directory locale --statistics 2>&1 | grep -v "^$$" || true

# Extracting new strings needs GNU gettext (Debian package gettext).
messages: install
	$(PY) manage.py makemessages --locale zh_Hans --locale en --no-obsolete --ignore ".venv/*" --ignore ".tools/*" --ignore "tests/*" --ignore "staticfiles/*"
	@# English is the source language: its catalogue repeats each source string.
	msgen --no-wrap -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

check-browser:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian packages the tests need:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing fontconfig >/dev/null; \
		else \
			echo "The test suite needs these Debian packages:$$missing" >&2; \
			echo "Install them as root: apt-get install$$missing" >&2; \
			exit 1; \
		fi; \
	fi

test: install check-browser
	@echo "Database: $${DATABASE_URL:-SQLite (in memory)}; Redis: $${REDIS_URL:-none, Celery eager}"
	@$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here." >&2; exit 1; fi; \
	exit $$rc

# Throughput ratios against PostgreSQL (127.0.0.1:5432) and Redis; see docs/performance.md.
bench: install
	$(PY) tests/bench/run.py

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

clean:
	rm -rf .venv .tools staticfiles test-results db.sqlite3
	find locale -name '*.mo' -delete
