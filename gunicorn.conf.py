"""gunicorn settings for `make serve` (gunicorn --config gunicorn.conf.py app:server).

Every value can be overridden by the usual GUNICORN_CMD_ARGS or the environment variables read
here. Workers are stateless: the data is read-only and loaded once before forking.
"""

import gc
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

#: Python's collector, as the workers need it. A worker keeps hundreds of thousands of objects
#: (the data, the kept charts and answers), and a new filter allocates many more: with Python's
#: default thresholds (700, 10, 10) a full collection, which walks every one of them, ran about
#: every 5 new filters and took 100-250 ms, most of a cold filter's p95. Collecting the young
#: generation every 20,000 allocations rather than 700 makes full collections about 10 times
#: rarer (`make bench`, README "Speed"); nothing here relies on cycles being freed sooner.
GC_THRESHOLDS = (20_000, 20, 20)


def pre_fork(server, worker):
    """Before each worker is forked: the loaded app's objects (the data, the default views)
    are frozen out of the collector's walks, so the workers never scan them, nor write to
    their pages (which keeps them shared between the workers), and the thresholds are set."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()
