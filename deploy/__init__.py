"""Production front: nginx in front of several gunicorn instances (`make serve-cluster`).

`deploy/nginx.conf` is the configuration (a template the launcher fills in at start),
`deploy/static.py` prepares what nginx serves itself, `deploy/cluster.py` starts and stops it all.
"""
