"""`python -m deploy` (make serve-cluster): nginx on HOST:PORT in front of RIGFLOWS_INSTANCES gunicorns."""

from deploy.cluster import main

raise SystemExit(main())
