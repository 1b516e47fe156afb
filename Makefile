# The two commands of the README: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
NGINX := /usr/sbin/nginx
# Debian's brotli module for nginx (precompressed .br files); gzip is built in.
NGINX_BROTLI := /usr/lib/nginx/modules/ngx_http_brotli_static_module.so

.PHONY: run serve serve-cluster test check bench

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

$(NGINX) $(NGINX_BROTLI) &:
	# Debian's nginx is the front of `make serve-cluster` (an ordinary process, not a service);
	# openssl makes the TLS test's certificate.
	apt-get update -qq && apt-get install -y -qq nginx libnginx-mod-http-brotli-static openssl

## Start the dashboard on http://$${HOST:-127.0.0.1}:$${PORT:-8050} with the bundled data.
run: $(VENV)/.runtime
	$(PY) app.py

## Production serving with gunicorn (gunicorn.conf.py).
serve: $(VENV)/.runtime
	$(VENV)/bin/gunicorn --config gunicorn.conf.py app:server

## Production front: nginx on http://$${HOST:-127.0.0.1}:$${PORT:-8050} in front of
## $${RIGFLOWS_INSTANCES:-2} gunicorn instances (deploy/, see "Serving"); Ctrl-C stops them all.
serve-cluster: $(VENV)/.runtime $(NGINX) $(NGINX_BROTLI)
	$(PY) -m deploy

## Install everything the tests need (Chromium and nginx included) and run the whole suite.
test: $(VENV)/.dev $(CHROMIUM) $(NGINX) $(NGINX_BROTLI)
	$(PY) -m pytest

## Validate a data directory: make check DATA=path/to/data
check: $(VENV)/.runtime
	$(PY) -m rigflows check $(DATA)

## The benchmark: page and callback speed (bench/), then the nginx front under load and faults.
bench: $(VENV)/.dev $(CHROMIUM) $(NGINX) $(NGINX_BROTLI)
	$(PY) -m bench
	$(PY) -m bench.cluster
