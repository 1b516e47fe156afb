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
#: gunicorn.conf.py recycles a worker after about 5,000 requests (`max_requests`), fewer than
#: 10,000 views send: the memory step turns that off, so one worker lives through every view
#: and its caches' bounds, not the recycling, decide its memory.
SERVER_OPTIONS = ("--max-requests", "0")
#: The map's metrics drawn per month (the machines map has no month).
MONTHLY_METRICS = ("share", "load", "strain")
SAMPLE_EVERY_S = 1.0


def views(months: list[str], countries: list[str], default_month: str, every_month: bool = True):
    """Distinct views, filter by filter: no filter, then sets of 1 to 4 countries; for each,
    the machines map (at the data's default month) and every month of every monthly metric
    (what readers opening links to one filter at many months and metrics ask of a worker; the
    page draws those from the filter's frames, so they send nothing). `every_month` False: one
    view per filter, each a new filter for the server."""
    sets = itertools.chain([()], (chosen for size in range(1, replay.MAX_COUNTRIES_PER_VIEW + 1) for chosen in itertools.combinations(countries, size)))
    for chosen in sets:
        yield ViewState(month=default_month, countries=chosen)
        for month in (months if every_month else ()):
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
    """VmRSS and VmHWM (peak RSS) from /proc/PID/status, and Pss from smaps_rollup, in MB of
    10^6 bytes (the kernel counts kB of 1,024 bytes)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024 / 1e6
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        fields["Pss"] = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) * 1024 / 1e6
    except (OSError, StopIteration):
        fields["Pss"] = None
    return {name: round(value, 1) if value is not None else None for name, value in fields.items()}


def measure(url: str, master_pid: int, captured: list[dict], months: list[str], default_month: str, countries: list[str], target: int, seconds: float, clients: int = 2, every_month: bool = True) -> dict:
    """Drive up to `target` distinct views at the one worker of `master_pid` for at most
    `seconds`; its RSS before, every second, at the end and at its peak. Should the worker be
    replaced (killed by gunicorn's timeout), the peak is the highest any worker reached."""
    workers = children(master_pid)
    if len(workers) != 1:
        raise RuntimeError(f"the memory step needs one worker, found {workers}")
    handed = [0]  # views handed to the clients so far

    def interactions():
        before = None
        for view in itertools.islice(views(months, countries, default_month, every_month), target):
            handed[0] += 1
            yield view_requests(captured, before, view, months)
            before = view

    start = _status_mb(workers[0])
    samples, peaks, stop = [], {}, threading.Event()
    began = time.monotonic()

    def sample() -> list[dict]:
        """Each live worker's figures; their peaks kept by pid."""
        live = []
        for pid in children(master_pid):
            try:
                figures = _status_mb(pid)
            except OSError:  # it has just exited
                continue
            peaks[pid] = figures["VmHWM"]
            live.append(figures)
        return live

    def sample_every_second():
        while not stop.wait(SAMPLE_EVERY_S):
            live = sample()
            samples.append({"s": round(time.monotonic() - began, 1), "views": handed[0], "rss_mb": max((figures["VmRSS"] for figures in live), default=None)})

    sampler = threading.Thread(target=sample_every_second, daemon=True)
    sampler.start()
    try:
        run = replay.run(url, interactions(), clients, target, seconds)
    finally:
        stop.set()
        sampler.join()
    end = sample()
    return {
        "workers": 1,
        "server_options": list(SERVER_OPTIONS),
        "target_views": target,
        "time_limit_s": seconds,
        "views": run["interactions"],
        "seconds": run["seconds"],
        "views_per_s": round(run["interactions"] / run["seconds"], 1) if run["seconds"] else None,
        "requests": sum(stats["n"] for stats in run["callbacks"].values()),
        "errors": run["errors"],
        "callbacks_ms": {name: {key: stats[key] for key in ("n", "p50", "p95")} for name, stats in run["callbacks"].items()},
        "worker_pids": sorted(peaks),
        "worker_replaced": len(peaks) > 1,
        "rss_start_mb": start["VmRSS"],
        "rss_final_mb": max((figures["VmRSS"] for figures in end), default=None),
        "rss_peak_mb": max(peaks.values(), default=None),
        "pss_final_mb": max((figures["Pss"] or 0 for figures in end), default=None),
        "master_rss_mb": _status_mb(master_pid)["VmRSS"],
        "samples": samples,
    }


def main(argv=None) -> int:
    """`python -m bench.memory`: the memory step alone, long enough to reach its target."""
    import argparse
    import os
    import tempfile

    from bench import browser, report, server
    from rigflows.dataset import load_dataset
    from rigflows.select import vocabulary

    parser = argparse.ArgumentParser(prog="python -m bench.memory", description="Memory of one gunicorn worker after many distinct views (bundled data).")
    parser.add_argument("--views", type=int, default=TARGET_VIEWS, help=f"distinct views to send (default {TARGET_VIEWS:,})")
    parser.add_argument("--seconds", type=float, default=1800, help="time limit (default 1800 s)")
    parser.add_argument("--filters-only", action="store_true", help="one view per filter: every view a new filter (the page draws a filter's months and metrics itself)")
    parser.add_argument("--out", type=Path, default=server.PROJECT_ROOT / "bench" / "results" / "memory.json", help="JSON results (default bench/results/memory.json, untracked)")
    args = parser.parse_args(argv)
    vocab = vocabulary(load_dataset((server.PROJECT_ROOT / "data").resolve()))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rigflows-bench-") as temp:
        print("capture the requests of a filter change ...", flush=True)
        with server.dashboard(Path(temp) / "dashboard.log") as served, browser.chromium() as chromium:
            captured = browser.capture(chromium, served.url)
        print(f"one worker, up to {args.views:,} distinct views ({args.seconds:g} s at most) ...", flush=True)
        with server.dashboard(Path(temp) / "memory.log", workers=1, options=SERVER_OPTIONS) as served:
            result = measure(served.url, served.pid, captured, list(vocab.months), vocab.default_month, sorted(vocab.countries), args.views, args.seconds, every_month=not args.filters_only)
    result["load_average"] = {"before": load_before, "after": os.getloadavg()}
    result["budget"] = report.memory_row(result)
    report.write_json(result, args.out)
    report.print_memory(result)
    verdict = {True: "pass", False: "MISS", None: "n/a "}[result["budget"]["holds"]]
    print(f"\n[{verdict}] {result['budget']['budget']}: {result['budget']['measured']}")
    print(f"load average before {report.load_text(load_before)}, after {report.load_text(result['load_average']['after'])}; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
