# The two commands of the README: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium

.PHONY: run serve test check bench

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(CHROMIUM):
	# Debian's Chromium drives the browser tests (never `playwright install`: it downloads).
	apt-get update -qq && apt-get install -y -qq chromium

## Start the dashboard on http://$${HOST:-127.0.0.1}:$${PORT:-8050} with the bundled data.
run: $(VENV)/.runtime
	$(PY) app.py

## Production serving with gunicorn (gunicorn.conf.py).
serve: $(VENV)/.runtime
	$(VENV)/bin/gunicorn --config gunicorn.conf.py app:server

## Install everything the tests need (Chromium included) and run the whole suite.
test: $(VENV)/.dev $(CHROMIUM)
	$(PY) -m pytest

## Validate a data directory: make check DATA=path/to/data
check: $(VENV)/.runtime
	$(PY) -m rigflows check $(DATA)

bench: $(VENV)/.dev $(CHROMIUM)
	$(PY) -m bench
