"""Machine info, the budgets and whether they hold, the JSON file and the table on stdout."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from bench.browser import CHROMIUM

# Issue 8's budgets (bytes in MB of 10^6 bytes).
READY_RATIO_LIMIT = 1.0
READY_RATIO_AIM = 0.8
SYNTHETIC_READY_RATIO_LIMIT = 1.2
BYTES_LIMIT = 1_300_000
REDRAW_P95_LIMIT_MS = 100.0  # month, metric and Play, redrawn in the browser
#: Filter change p95 (ms): (clients, warm or cold) → limit.
FILTER_P95_LIMITS_MS = {(8, "warm"): 15.0, (8, "cold"): 60.0, (32, "warm"): 60.0}
SYNTHETIC_FILTER_RATIO_LIMIT = 1.5
MEMORY_LIMIT_MB = 300.0


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    try:
        chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        chromium = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": {name: version(name) for name in ("dash", "plotly", "gunicorn", "flask", "flask-compress", "orjson", "pandas", "playwright")},
        "chromium": chromium,
        "load_average": os.getloadavg(),
    }


def slowest(run: dict) -> tuple[str, dict]:
    """The callback with the highest p95 in one replay run."""
    return max(run["callbacks"].items(), key=lambda item: item[1]["p95"] or 0)


def _row(budget: str, holds: bool | None, measured: str, value=None, limit=None) -> dict:
    return {"budget": budget, "holds": holds, "measured": measured, "value": value, "limit": limit}


def _filter_p95(result: dict, data: str, clients: int, mode: str) -> tuple[str, dict, float] | None:
    """(slowest callback, its stats, the run's 1-min load average) of a filter replay run."""
    run = result["latency"].get(data, {}).get("filter", {}).get(mode, {}).get(str(clients))
    if not run or not run["callbacks"]:
        return None
    name, stats = slowest(run)
    return name, stats, run["load_average_1min"]


def budgets(result: dict) -> list[dict]:
    """Each of issue 8's budgets: what this run measured and whether it holds (None: not measured)."""
    pages, synthetic = result["readiness"], result.get("synthetic_name")
    rows = []
    ratio = result["ready_ratio_to_floor"]
    rows.append(_row(
        f"every chart drawn ≤ {READY_RATIO_LIMIT:.1f}× the floor (aim {READY_RATIO_AIM:.1f}×)", ratio <= READY_RATIO_LIMIT,
        f"{pages['dashboard']['ready_ms_median']:,.0f} ms vs floor {pages['floor']['ready_ms_median']:,.0f} ms = {ratio:.2f}× (aim {'met' if ratio <= READY_RATIO_AIM else 'not met'})", ratio, READY_RATIO_LIMIT,
    ))
    for name, label in (("dashboard", ""), (f"dashboard_{synthetic}", f" ({synthetic})")):
        if name in pages:
            sent = pages[name]["bytes_median"]
            rows.append(_row(f"≤ {BYTES_LIMIT / 1e6:g} MB per cold load{label}", sent <= BYTES_LIMIT, _mb(sent), sent, BYTES_LIMIT))
    if synthetic and f"dashboard_{synthetic}" in pages:
        page, floor = pages[f"dashboard_{synthetic}"], pages[f"floor_{synthetic}"]
        ratio = result["synthetic_ready_ratio_to_floor"]
        rows.append(_row(
            f"on {synthetic} data every chart drawn ≤ {SYNTHETIC_READY_RATIO_LIMIT:.1f}× the floor", ratio <= SYNTHETIC_READY_RATIO_LIMIT,
            f"{page['ready_ms_median']:,.0f} ms vs floor {floor['ready_ms_median']:,.0f} ms = {ratio:.2f}×", ratio, SYNTHETIC_READY_RATIO_LIMIT,
        ))
    for name, redraw in result.get("clientside", {}).items():
        paths = f": {', '.join(redraw['request_paths'])}" if redraw["requests"] else ""
        rows.append(_row(f"{name}: 0 requests to the server", redraw["requests"] == 0, f"{redraw['requests']} requests{paths}", redraw["requests"], 0))
        rows.append(_row(
            f"{name}: chart redrawn ≤ {REDRAW_P95_LIMIT_MS:g} ms after the input (p95, in the browser)", redraw["p95"] <= REDRAW_P95_LIMIT_MS,
            f"p95 {redraw['p95']:,.0f} ms, p50 {redraw['p50']:,.0f} ms over {redraw['n']} inputs ({' and '.join(redraw['charts'])})", redraw["p95"], REDRAW_P95_LIMIT_MS,
        ))
    for (clients, mode), limit in FILTER_P95_LIMITS_MS.items():
        found = _filter_p95(result, "bundled", clients, mode)
        budget = f"filter change p95 at {clients} clients ≤ {limit:g} ms {mode}"
        if found is None:
            rows.append(_row(budget, None, "not measured"))
            continue
        name, stats, load = found
        rows.append(_row(budget, stats["p95"] <= limit, f"{stats['p95']:,.1f} ms (slowest callback: {name}; n={stats['n']}, errors {stats['errors']}; load {load:.1f})", stats["p95"], limit))
        other = _filter_p95(result, synthetic, clients, mode) if synthetic else None
        if other is not None:
            other_name, other_stats, other_load = other
            ratio = other_stats["p95"] / stats["p95"] if stats["p95"] else None
            rows.append(_row(
                f"{synthetic} data within {SYNTHETIC_FILTER_RATIO_LIMIT:.1f}× of the bundled figures: filter p95 at {clients} clients {mode}", ratio is not None and ratio <= SYNTHETIC_FILTER_RATIO_LIMIT,
                f"{other_stats['p95']:,.1f} ms = {ratio:.2f}× (slowest callback: {other_name}; load {other_load:.1f})" if ratio is not None else "n/a", ratio, SYNTHETIC_FILTER_RATIO_LIMIT,
            ))
    memory = result.get("memory")
    if memory:
        rows.append(memory_row(memory))
    return rows


def memory_row(memory: dict) -> dict:
    """RSS only grows at its peak: a peak over the limit is a miss after any number of views;
    under it, the budget holds only once every view of the target was sent."""
    peak, reached = memory["rss_peak_mb"], memory["views"] >= memory["target_views"]
    budget = f"memory per worker after {memory['target_views']:,} distinct views ≤ {MEMORY_LIMIT_MB:g} MB"
    if peak is None:
        return _row(budget, None, "not measured: no worker could be read")
    holds = False if peak > MEMORY_LIMIT_MB else True if reached else None
    measured = f"peak RSS {peak:.0f} MB, final {memory['rss_final_mb']:.0f} MB (PSS {memory['pss_final_mb']:.0f} MB; {memory['rss_start_mb']:.0f} MB before) after {memory['views']:,} views in {memory['seconds']:.0f} s"
    if not reached:
        measured += f" (its {memory['time_limit_s']:g} s time limit came first)"
    if memory.get("worker_replaced"):
        measured += f"; the worker was replaced during the run ({len(memory['worker_pids'])} workers): the peak is the highest"
    return _row(budget, holds, measured, peak, MEMORY_LIMIT_MB)


def write_json(result: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))


def _mb(count: int) -> str:
    return f"{count / 1e6:.2f} MB"


def _callback_columns(result: dict) -> list[str]:
    """Every callback replayed, in the order first seen."""
    names = {}
    for latency in result["latency"].values():
        for modes in latency.values():
            for runs in modes.values():
                for run in runs.values():
                    names.update(dict.fromkeys(run["callbacks"]))
    return list(names)


def print_table(result: dict) -> None:
    info = result["machine"]
    print(f"\nRig Flows benchmark ({result['mode']}), {info['cores']} cores, Python {info['python']}, dash {info['versions']['dash']}, plotly {info['versions']['plotly']}, gunicorn {info['versions']['gunicorn']} ({result['workers']} workers)")
    print(f"load average before {load_text(info['load_average'])}, after {load_text(result['load_average_after'])} (other work on the machine disturbs timings)")
    print("\nPage readiness: cold loads (new context, cache off), median")
    print(f"  {'page':<26}{'drawn ms':>9}{'bytes':>10}{'requests':>9}   runs (ms)")
    for name, page in result["readiness"].items():
        print(f"  {name:<26}{page['ready_ms_median']:>9.0f}{_mb(page['bytes_median']):>10}{page['requests_median']:>9}   {page['ready_ms_runs']}")
    print(f"  dashboard / floor: {result['ready_ratio_to_floor']:.2f}×, {result['synthetic_name']} / its floor: {result['synthetic_ready_ratio_to_floor']:.2f}×")
    print("  Where the time goes (ms after navigation start, medians):")
    for name, page in result["readiness"].items():
        marks = page["milestones_ms_median"]
        drawn = ", ".join(f"{key.split()[1].lstrip('#')} {_ms(value)}" for key, value in marks.items() if key.startswith("drawn "))
        topojson = f", topojson asked {_ms(marks['topojson_start_ms'])} got {_ms(marks['topojson_ms'])}" if marks["topojson_ms"] else ""
        print(f"    {name}: layout {_ms(marks['layout_ms'])}, plotly.js {_ms(marks['plotly_js_ms'])}, callbacks {_ms(marks['first_callback_ms'])}-{_ms(marks['last_callback_ms'])}{topojson}; drawn: {drawn}")
    columns = _callback_columns(result)
    print("\nCallback latency: p95 ms of each callback (warm = the captured request again: view cache hits; cold = a new view every time: cache misses; load = 1-min load average after the run)")
    print(f"  {'data':<16}{'interaction':<12}{'mode':<6}{'clients':>7}{'n':>6}{'err':>5}{'req/s':>7}{'load':>6}" + "".join(f"{name.split('.')[0]:>15}" for name in columns))
    for data, latency in result["latency"].items():
        for interaction, modes in latency.items():
            for mode, runs in modes.items():
                for clients, run in runs.items():
                    stats = run["callbacks"]
                    n = max((item["n"] for item in stats.values()), default=0)
                    cells = "".join(f"{_ms(stats[name]['p95']) if name in stats else '-':>15}" for name in columns)
                    print(f"  {data:<16}{interaction:<12}{mode:<6}{clients:>7}{n:>6}{run['errors']:>5}{run['requests_per_s']:>7.0f}{run['load_average_1min']:>6.1f}{cells}")
    if result.get("cpu"):
        print_cpu(result["cpu"])
    if result.get("clientside"):
        print("\nMonth, metric and Play in the browser: ms from the input to every chart it changes redrawn")
        for name, redraw in result["clientside"].items():
            print(f"  {name:<8} p50 {_ms(redraw['p50']):>6}  p95 {_ms(redraw['p95']):>6}  n {redraw['n']:>3}  requests to the server {redraw['requests']} {redraw['request_paths'] or ''}")
    if result.get("memory"):
        print_memory(result["memory"])
    print(f"\nBudgets (issue 8), load average before {load_text(info['load_average'])}, after {load_text(result['load_average_after'])}")
    for row in result["budgets"]:
        verdict = {True: "pass", False: "MISS", None: "n/a "}[row["holds"]]
        print(f"  [{verdict}] {row['budget']}: {row['measured']}")


def print_cpu(cpu: dict) -> None:
    calls = ", ".join(f"{name.split('.')[0]} {_ms(stats['mean'])}" for name, stats in cpu["callbacks"].items())
    print(f"\nCPU per new filter, in process (no queue; {cpu['interactions']} cold filter changes, mean ms): {calls}; a whole filter change {_ms(cpu['interaction_mean_ms'])}")


def print_memory(memory: dict) -> None:
    print(f"\nMemory: one worker, {memory['views']:,} distinct views ({memory['requests']:,} callback requests, {memory['errors']} errors) in {memory['seconds']:.0f} s, {memory['views_per_s']} views/s")
    print(f"  worker RSS {memory['rss_start_mb']} MB before, {memory['rss_final_mb']} MB after, peak {memory['rss_peak_mb']} MB; PSS after {memory['pss_final_mb']} MB; master {memory['master_rss_mb']} MB")
    steps = memory["samples"][:: max(1, len(memory["samples"]) // 8)]
    print("  RSS as views went by: " + ", ".join(f"{sample['views']:,}: {sample['rss_mb']:.0f} MB" for sample in steps))


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def load_text(values) -> str:
    return " ".join(f"{value:.2f}" for value in values)
