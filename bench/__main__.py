"""`python -m bench`: page readiness against a bare Dash floor, then callback latency on the
bundled data and on SYNTHETIC data scaled up 100×. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench import browser, replay, report, server, synthetic
from rigflows.dataset import load_dataset
from rigflows.select import vocabulary

DEFAULT_OUT = server.PROJECT_ROOT / "bench" / "results" / "latest.json"
LEVELS = (1, 8, 32)
#: Per mode: cold page loads, loads of the synthetic page, seconds and interactions per replay run.
MODES = {
    "full": {"loads": 5, "synthetic_loads": 3, "seconds": 2.5, "max_interactions": 2000, "redraws": 40},
    "quick": {"loads": 2, "synthetic_loads": 1, "seconds": 1.0, "max_interactions": 150, "redraws": 10},
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer page loads and shorter replay runs (about a minute)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(server.PROJECT_ROOT)})")
    parser.add_argument("--scale", type=int, default=100, help="how many times the bundled rows the synthetic data has (default 100)")
    return parser.parse_args(argv)


@contextmanager
def phase(result: dict, name: str):
    """Print what runs now, and record how long it took in result["phases_s"]."""
    print(f"{name} ...", flush=True)
    began = time.monotonic()
    yield
    result.setdefault("phases_s", {})[name] = round(time.monotonic() - began, 1)


def latency(url: str, captured: dict, data_dir: Path, settings: dict) -> dict:
    """Warm and cold replay of each captured interaction at every concurrency level."""
    vocab = vocabulary(load_dataset(data_dir.resolve()))
    months, countries = list(vocab.months), sorted(vocab.countries)
    drawn = replay.drawn_searches(captured)
    results = {}
    for interaction, requests in captured.items():
        if not requests:  # drawn in the browser: nothing to replay
            continue
        warm = replay.warm_requests(requests)
        replay.warm_up(url, warm, clients=2 * server.worker_count())
        cold = replay.cold_interactions(requests, interaction, months, countries, drawn)
        results[interaction] = {
            "warm": {str(n): replay.run(url, itertools.repeat(warm), n, settings["max_interactions"], settings["seconds"]) for n in LEVELS},
            "cold": {str(n): replay.run(url, cold, n, settings["max_interactions"], settings["seconds"]) for n in LEVELS},
        }
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    settings = MODES[mode]
    began = time.monotonic()
    result = {"mode": mode, "settings": settings, "levels": LEVELS, "workers": server.worker_count(), "machine": report.machine()}
    with tempfile.TemporaryDirectory(prefix="rigflows-bench-") as temp:
        temp = Path(temp)
        synthetic_dir = temp / "synthetic-data"
        synthetic_name = f"synthetic_{args.scale}x"
        with phase(result, f"generate SYNTHETIC data ({args.scale}x) and check it"):
            rows = synthetic.generate(server.PROJECT_ROOT / "data", synthetic_dir, args.scale)
            result["synthetic"] = {"scale": args.scale, "rows": rows, "note": "SYNTHETIC rows (ids synthetic_*, source synthetic_benchmark), generated for load only"}
            synthetic.check(synthetic_dir)
        (temp / "floor").mkdir()

        with server.dashboard(temp / "dashboard.log") as url:
            with server.floor(temp / "floor", temp / "floor.log") as floor_url, browser.chromium() as chromium:
                with phase(result, "bundled data: cold page loads, floor and dashboard interleaved"):
                    pages = {"floor": (floor_url + "/", browser.FLOOR_DRAWN), "dashboard": (url + "/", browser.DASHBOARD_DRAWN)}
                    result["readiness"] = browser.readiness(chromium, pages, settings["loads"])
                with phase(result, "bundled data: capture callback requests"):
                    captured = browser.capture(chromium, url)
                with phase(result, "bundled data: month and metric redrawn in the browser"):
                    result["clientside"] = browser.clientside_redraws(chromium, url, settings["redraws"])
            with phase(result, "bundled data: replay"):
                result["latency"] = {"bundled": latency(url, captured, server.PROJECT_ROOT / "data", settings)}
        result["captured"] = {"bundled": captured}

        with server.dashboard(temp / "synthetic.log", synthetic_dir) as url:
            with browser.chromium() as chromium:
                with phase(result, f"{synthetic_name}: cold page loads and capture"):
                    loads = browser.readiness(chromium, {"page": (url + "/", browser.DASHBOARD_DRAWN)}, settings["synthetic_loads"])
                    result["readiness"][f"dashboard_{synthetic_name}"] = loads["page"]
                    captured = browser.capture(chromium, url)
            with phase(result, f"{synthetic_name}: replay"):
                result["latency"][synthetic_name] = latency(url, captured, synthetic_dir, settings)
        result["captured"][synthetic_name] = captured

    pages = result["readiness"]
    result["ready_ratio_to_floor"] = round(pages["dashboard"]["ready_ms_median"] / pages["floor"]["ready_ms_median"], 3)
    result["load_average_after"] = os.getloadavg()
    result["duration_s"] = round(time.monotonic() - began, 1)
    result["budgets"] = report.budgets(result)
    report.write_json(result, args.out)
    report.print_table(result)
    print(f"\n{result['duration_s']:.0f} s; results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
