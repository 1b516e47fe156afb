"""gunicorn settings for `make serve` (gunicorn --config gunicorn.conf.py app:server).

Every value can be overridden by the usual GUNICORN_CMD_ARGS or the environment variables read
here. Workers are stateless: the data is read-only and loaded once before forking.
"""

import multiprocessing
import os

# `make serve-cluster` (deploy/cluster.py) binds each instance to a unix socket with --bind instead.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"
# Callbacks are CPU-bound pandas/plotly work: sync workers about the core count beat threads.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
preload_app = True  # load and validate the data once, before forking
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# gunicorn 27's control socket lives in $HOME and is shared by every instance on the machine:
# several instances (or tests) would take it from each other.
control_socket_disable = True
