"""Memory of a gunicorn worker after many distinct views (issue 8: ≤ 300 MB after 10,000).

The dashboard runs with one worker, so every view lands on it and "after N views" is per
worker. One distinct view after another goes through the chart callbacks the page sends after
a filter change (captured by bench/browser.py, rewritten by bench/replay.py), each request only
when the part of the view it draws changed, as the state callback decides for the page: each
view builds a new map, each month a new energy chart, each filter its Sankey, frames and
sources. The worker's RSS (and PSS, its share of pages shared with the master) is read from
/proc. Bounded: it stops after `target` views or `seconds`, whichever comes first, and says
how many views it reached.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

from bench import replay
from bench.load import children
from rigflows.state import ViewState

TARGET_VIEWS = 10_000
#: The map's metrics drawn per month (the machines map has no month).
MONTHLY_METRICS = ("share", "load", "strain")
SAMPLE_EVERY_S = 1.0


def views(months: list[str], countries: list[str], default_month: str):
    """Distinct views, filter by filter: no filter, then sets of 1 to 4 countries; for each,
    the machines map (at the data's default month) and every month of every monthly metric
    (what readers opening links to one filter at many months and metrics ask of a worker)."""
    sets = itertools.chain([()], (chosen for size in range(1, replay.MAX_COUNTRIES_PER_VIEW + 1) for chosen in itertools.combinations(countries, size)))
    for chosen in sets:
        yield ViewState(month=default_month, countries=chosen)
        for month in months:
            for metric in MONTHLY_METRICS:
                yield ViewState(metric=metric, month=month, countries=chosen)


def _key_store(body: dict) -> str | None:
    """The key Store a chart callback reads (None: the state callback, which reads none)."""
    return next((item["id"] for item in body["inputs"] if isinstance(item.get("id"), str) and item["id"].endswith("-key")), None)


def view_requests(captured: list[dict], before: ViewState | None, after: ViewState, months: list[str]) -> list[replay.Request]:
    """The chart callbacks that draw `after` when the page showed `before` (None: every one)."""
    old, new = (replay.view_keys(before) if before else {}), replay.view_keys(after)
    requests = []
    for item in captured:
        body = json.loads(item["body"])
        store = _key_store(body)
        if store is None or old.get(store) == new[store]:
            continue
        body = replay.rewrite(body, before or after, after, months)
        requests.append(replay.Request(replay.callback_name(body), item["path"], json.dumps(body).encode()))
    return requests


def _status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) from /proc/PID/status, and Pss from smaps_rollup, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        fields["Pss"] = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024
    except (OSError, StopIteration):
        fields["Pss"] = None
    return {name: round(value, 1) if value is not None else None for name, value in fields.items()}


def measure(url: str, master_pid: int, captured: list[dict], months: list[str], default_month: str, countries: list[str], target: int, seconds: float, clients: int = 2) -> dict:
    """Drive up to `target` distinct views at the one worker of `master_pid` for at most
    `seconds`; its RSS before, every second, at the end and at its peak."""
    workers = children(master_pid)
    if len(workers) != 1:
        raise RuntimeError(f"the memory step needs one worker, found {workers}")
    worker = workers[0]
    handed = [0]  # views handed to the clients so far

    def interactions():
        before = None
        for view in itertools.islice(views(months, countries, default_month), target):
            handed[0] += 1
            yield view_requests(captured, before, view, months)
            before = view

    start = _status_mb(worker)
    samples, stop = [], threading.Event()
    began = time.monotonic()

    def sample():
        while not stop.wait(SAMPLE_EVERY_S):
            try:
                samples.append({"s": round(time.monotonic() - began, 1), "views": handed[0], "rss_mb": _status_mb(worker)["VmRSS"]})
            except FileNotFoundError:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run = replay.run(url, interactions(), clients, target, seconds)
    finally:
        stop.set()
        sampler.join()
    alive = worker in children(master_pid)
    end = _status_mb(worker) if alive else {"VmRSS": None, "VmHWM": None, "Pss": None}
    return {
        "workers": 1,
        "target_views": target,
        "time_limit_s": seconds,
        "views": run["interactions"],
        "seconds": run["seconds"],
        "views_per_s": round(run["interactions"] / run["seconds"], 1) if run["seconds"] else None,
        "requests": sum(stats["n"] for stats in run["callbacks"].values()),
        "errors": run["errors"],
        "callbacks_ms": {name: {key: stats[key] for key in ("n", "p50", "p95")} for name, stats in run["callbacks"].items()},
        "worker_restarted": not alive,
        "rss_start_mb": start["VmRSS"],
        "rss_final_mb": end["VmRSS"],
        "rss_peak_mb": end["VmHWM"],
        "pss_final_mb": end["Pss"],
        "master_rss_mb": _status_mb(master_pid)["VmRSS"],
        "samples": samples,
    }
