"""CPU per new filter, in process: the filter change the browser sends, replayed cold through
Flask's test client with gunicorn's garbage-collector settings. No queue and no network: what
one new filter costs the server. The cold p95 at 8 clients is about this times the queue
(README, "Speed"), so this figure shows progress that the noisy p95 hides.
"""

from __future__ import annotations

import gc
import itertools
import runpy
import time

from bench import replay, server
from bench.replay import percentiles

#: What a browser accepts (Chromium's header): the answers are compressed as a reader's are.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def gunicorn_gc_thresholds() -> tuple[int, int, int]:
    """The collector thresholds the workers run with (gunicorn.conf.py)."""
    return runpy.run_path(str(server.PROJECT_ROOT / "gunicorn.conf.py"))["GC_THRESHOLDS"]


def cpu_per_new_filter(client, captured: list[dict], vocab, interactions: int) -> dict:
    """Replay `interactions` cold filter changes (`replay.cold_interactions`) through `client`
    (an app's Flask test client, its data loaded), one request after another: CPU ms of each
    callback (mean, p50, p95, p99) and of a whole filter change (the mean of their sums)."""
    cold = replay.cold_interactions(captured, list(vocab.months), sorted(vocab.countries), replay.drawn_searches(captured), vocab.default_month)
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.set_threshold(*gunicorn_gc_thresholds())
    gc.freeze()  # the loaded app, as in a worker forked from it (gunicorn.conf.py's pre_fork)
    per_callback: dict[str, list[float]] = {}
    totals: list[float] = []
    try:
        for requests in itertools.islice(cold, interactions):
            total = 0.0
            for request in requests:
                began = time.process_time()
                response = client.post(request.path, data=request.body, headers={"Content-Type": "application/json", "Accept-Encoding": BROWSER_ENCODINGS})
                spent = (time.process_time() - began) * 1000
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"{request.callback} answered {response.status_code}")
                per_callback.setdefault(request.callback, []).append(spent)
                total += spent
            totals.append(total)
    finally:
        if not frozen:  # else what was frozen before stays frozen, with the app
            gc.unfreeze()
        gc.set_threshold(*thresholds)
    return {
        "interactions": len(totals),
        "callbacks": {name: {"n": len(values), "mean": round(sum(values) / len(values), 1), **percentiles(values)} for name, values in per_callback.items()},
        "interaction_mean_ms": round(sum(totals) / len(totals), 1) if totals else None,
    }
