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

READY_RATIO_LIMIT = 1.3
BYTES_LIMIT = 2_000_000  # 2.0 MB (10^6 bytes)
FILTER_P95_LIMITS_MS = {8: 15.0, 32: 60.0}
REDRAW_P95_LIMIT_MS = 100.0  # issue 8: month, metric and Play redrawn in the browser


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


def budgets(result: dict) -> list[dict]:
    """Each budget with its measured value and whether it holds."""
    pages = result["readiness"]
    rows = [
        {"budget": f"every chart drawn within {READY_RATIO_LIMIT}x the floor's time", "value": result["ready_ratio_to_floor"], "limit": READY_RATIO_LIMIT, "unit": "x"},
        {"budget": "transferred per cold page load under 2.0 MB", "value": pages["dashboard"]["bytes_median"], "limit": BYTES_LIMIT, "unit": "bytes"},
    ]
    for data, latency in result["latency"].items():
        for mode in ("warm", "cold"):
            for clients, limit in FILTER_P95_LIMITS_MS.items():
                run = latency["filter"][mode].get(str(clients))
                if run is None or not run["callbacks"]:
                    continue
                name, stats = slowest(run)
                rows.append({"budget": f"filter p95 at {clients} clients under {limit:g} ms ({data}, {mode}; slowest: {name})", "value": stats["p95"], "limit": limit, "unit": "ms"})
    for interaction in ("month", "metric"):
        sent = [len(captured.get(interaction, [])) for captured in result.get("captured", {}).values()]
        if sent:
            rows.append({"budget": f"{interaction} change: 0 requests to the server", "value": max(sent), "limit": 1, "unit": " requests"})
        redraw = result.get("clientside", {}).get(interaction)
        if redraw:
            rows.append({"budget": f"{interaction} change: map redrawn within {REDRAW_P95_LIMIT_MS:g} ms of the input (p95, in the browser)", "value": redraw["p95"], "limit": REDRAW_P95_LIMIT_MS, "unit": "ms"})
    for row in rows:
        row["holds"] = row["value"] is not None and row["value"] < row["limit"] if row["unit"] != "x" else row["value"] <= row["limit"]
    return rows


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
    print(f"load average before {_load(info['load_average'])}, after {_load(result['load_average_after'])} (other work on the machine disturbs timings)")
    print("\nPage readiness: cold loads (new context, cache off), median")
    print(f"  {'page':<26}{'drawn ms':>9}{'bytes':>10}{'requests':>9}   runs (ms)")
    for name, page in result["readiness"].items():
        print(f"  {name:<26}{page['ready_ms_median']:>9.0f}{_mb(page['bytes_median']):>10}{page['requests_median']:>9}   {page['ready_ms_runs']}")
    print(f"  dashboard / floor: {result['ready_ratio_to_floor']:.2f}x")
    print("  Where the time goes (ms after navigation start, medians):")
    for name, page in result["readiness"].items():
        marks = page["milestones_ms_median"]
        drawn = ", ".join(f"{key.split()[1].lstrip('#')} {_ms(value)}" for key, value in marks.items() if key.startswith("drawn "))
        topojson = f", topojson asked {_ms(marks['topojson_start_ms'])} got {_ms(marks['topojson_ms'])}" if marks["topojson_ms"] else ""
        print(f"    {name}: layout {_ms(marks['layout_ms'])}, plotly.js {_ms(marks['plotly_js_ms'])}, callbacks {_ms(marks['first_callback_ms'])}-{_ms(marks['last_callback_ms'])}{topojson}; drawn: {drawn}")
    columns = _callback_columns(result)
    print("\nCallback latency: p95 ms of each callback (warm = the captured request again: view cache hits; cold = a new view every time: cache misses; load = 1-min load average after the run)")
    print(f"  {'data':<16}{'interaction':<12}{'mode':<6}{'clients':>7}{'n':>6}{'err':>5}{'req/s':>7}{'load':>6}" + "".join(f"{name.split('.')[0]:>10}" for name in columns))
    for data, latency in result["latency"].items():
        for interaction, modes in latency.items():
            for mode, runs in modes.items():
                for clients, run in runs.items():
                    stats = run["callbacks"]
                    n = max((item["n"] for item in stats.values()), default=0)
                    cells = "".join(f"{_ms(stats[name]['p95']) if name in stats else '-':>10}" for name in columns)
                    print(f"  {data:<16}{interaction:<12}{mode:<6}{clients:>7}{n:>6}{run['errors']:>5}{run['requests_per_s']:>7.0f}{run['load_average_1min']:>6.1f}{cells}")
    print("\nBudgets")
    for row in result["budgets"]:
        value = _mb(row["value"]) if row["unit"] == "bytes" else f"{row['value']:.2f}{row['unit']}" if row["value"] is not None else "n/a"
        print(f"  [{'holds' if row['holds'] else 'FAILS'}] {row['budget']}: {value}")


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _load(values) -> str:
    return " ".join(f"{value:.2f}" for value in values)
