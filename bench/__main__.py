"""`python -m bench`: page readiness against a bare Dash floor, month, metric and Play in the
browser, filter-change latency on the bundled data and on SYNTHETIC data scaled up 100×, and a
worker's memory after many distinct views, against issue 8's budgets. Everything runs on
127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench import browser, cpu, memory, replay, report, server, synthetic
from rigflows.dataset import load_dataset
from rigflows.select import vocabulary

DEFAULT_OUT = server.PROJECT_ROOT / "bench" / "results" / "latest.json"
#: Clients replaying filter changes: warm at each level, cold (a new filter each time: seconds
#: of work per interaction) at the levels issue 8 budgets.
LEVELS = (1, 8, 32)
COLD_LEVELS = (1, 8)
#: Per mode: cold page loads, loads of the synthetic page, seconds and interactions per replay
#: run, month/metric inputs measured in the browser, the memory step's time limit, and the
#: cold filter changes replayed in process for their CPU.
MODES = {
    "full": {"loads": 5, "synthetic_loads": 3, "seconds": 2.5, "max_interactions": 2000, "redraws": 20, "memory_seconds": 30, "cpu_interactions": 100},
    "quick": {"loads": 2, "synthetic_loads": 1, "seconds": 1.0, "max_interactions": 150, "redraws": 10, "memory_seconds": 15, "cpu_interactions": 20},
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer page loads, shorter replay runs and memory step (a smoke run)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(server.PROJECT_ROOT)}, untracked)")
    parser.add_argument("--scale", type=int, default=100, help="how many times the bundled rows the synthetic data has (default 100)")
    parser.add_argument("--memory-views", type=int, default=memory.TARGET_VIEWS, help=f"distinct views sent to one worker in the memory step (default {memory.TARGET_VIEWS:,})")
    parser.add_argument("--memory-seconds", type=float, help=f"time limit of the memory step (default {MODES['full']['memory_seconds']} s, --quick {MODES['quick']['memory_seconds']} s)")
    return parser.parse_args(argv)


@contextmanager
def phase(result: dict, name: str):
    """Print what runs now, and record how long it took in result["phases_s"]."""
    print(f"{name} ...", flush=True)
    began = time.monotonic()
    yield
    result.setdefault("phases_s", {})[name] = round(time.monotonic() - began, 1)


def latency(url: str, captured: list[dict], vocab, settings: dict) -> dict:
    """Warm and cold replay of the captured filter change at each concurrency level."""
    drawn = replay.drawn_searches(captured)
    warm = replay.warm_requests(captured)
    replay.warm_up(url, warm, clients=2 * server.worker_count())
    cold = replay.cold_interactions(captured, list(vocab.months), sorted(vocab.countries), drawn, vocab.default_month)
    return {"filter": {
        "warm": {str(n): replay.run(url, itertools.repeat(warm), n, settings["max_interactions"], settings["seconds"]) for n in LEVELS},
        "cold": {str(n): replay.run(url, cold, n, settings["max_interactions"], settings["seconds"]) for n in COLD_LEVELS},
    }}


def main(argv=None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    settings = {**MODES[mode], **({"memory_seconds": args.memory_seconds} if args.memory_seconds else {})}
    began = time.monotonic()
    result = {"mode": mode, "settings": settings, "levels": LEVELS, "workers": server.worker_count(), "machine": report.machine()}
    bundled = vocabulary(load_dataset((server.PROJECT_ROOT / "data").resolve()))
    with tempfile.TemporaryDirectory(prefix="rigflows-bench-") as temp:
        temp = Path(temp)
        synthetic_dir = temp / "synthetic-data"
        synthetic_name = result["synthetic_name"] = f"synthetic_{args.scale}x"
        with phase(result, f"generate SYNTHETIC data ({args.scale}x) and check it"):
            rows = synthetic.generate(server.PROJECT_ROOT / "data", synthetic_dir, args.scale)
            result["synthetic"] = {"scale": args.scale, "rows": rows, "note": "SYNTHETIC rows (ids synthetic_*, source synthetic_benchmark), generated for load only"}
            synthetic.check(synthetic_dir)
        (temp / "floor").mkdir()

        with server.floor(temp / "floor", temp / "floor.log") as floor, browser.chromium() as chromium:
            with server.dashboard(temp / "dashboard.log") as served:
                with phase(result, "bundled data: cold page loads, floor and dashboard interleaved"):
                    pages = {"floor": (floor.url + "/", browser.FLOOR_DRAWN), "dashboard": (served.url + "/", browser.DASHBOARD_DRAWN)}
                    result["readiness"] = browser.readiness(chromium, pages, settings["loads"])
                with phase(result, "bundled data: capture the requests of a filter change"):
                    captured = browser.capture(chromium, served.url)
                with phase(result, "bundled data: month, metric and Play redrawn in the browser"):
                    result["clientside"] = browser.clientside_redraws(chromium, served.url, settings["redraws"], list(bundled.months))
                with phase(result, "bundled data: replay filter changes"):
                    result["latency"] = {"bundled": latency(served.url, captured, bundled, settings)}
            result["captured"] = {"bundled": captured}

            with server.dashboard(temp / "synthetic.log", synthetic_dir) as served:
                with phase(result, f"{synthetic_name}: cold page loads (floor interleaved) and capture"):
                    pages = {"floor": (floor.url + "/", browser.FLOOR_DRAWN), "page": (served.url + "/", browser.DASHBOARD_DRAWN)}
                    loads = browser.readiness(chromium, pages, settings["synthetic_loads"])
                    result["readiness"][f"dashboard_{synthetic_name}"] = loads["page"]
                    result["readiness"][f"floor_{synthetic_name}"] = loads["floor"]
                    result["captured"][synthetic_name] = browser.capture(chromium, served.url)
                with phase(result, f"{synthetic_name}: replay filter changes"):
                    vocab = vocabulary(load_dataset(synthetic_dir.resolve()))
                    result["latency"][synthetic_name] = latency(served.url, result["captured"][synthetic_name], vocab, settings)

        with server.dashboard(temp / "memory.log", workers=1, options=memory.SERVER_OPTIONS) as served:
            with phase(result, f"bundled data: memory of one worker over up to {args.memory_views:,} distinct views ({settings['memory_seconds']:g} s at most)"):
                result["memory"] = memory.measure(served.url, served.pid, captured, list(bundled.months), bundled.default_month, sorted(bundled.countries), args.memory_views, settings["memory_seconds"])

    with phase(result, f"bundled data: CPU per new filter, in process ({settings['cpu_interactions']} cold filter changes)"):
        import app as dashboard  # builds the app from the bundled data, in this process only

        result["cpu"] = cpu.cpu_per_new_filter(dashboard.server.test_client(), captured, bundled, settings["cpu_interactions"])

    pages = result["readiness"]
    result["ready_ratio_to_floor"] = round(pages["dashboard"]["ready_ms_median"] / pages["floor"]["ready_ms_median"], 3)
    result["synthetic_ready_ratio_to_floor"] = round(pages[f"dashboard_{synthetic_name}"]["ready_ms_median"] / pages[f"floor_{synthetic_name}"]["ready_ms_median"], 3)
    result["load_average_after"] = os.getloadavg()
    result["duration_s"] = round(time.monotonic() - began, 1)
    result["budgets"] = report.budgets(result)
    report.write_json(result, args.out)
    report.print_table(result)
    print(f"\n{result['duration_s']:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
