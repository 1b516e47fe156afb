"""The benchmark's own logic (bench/): the memory step's views and requests, and the budget
verdicts. Timing is never asserted here; `make bench` measures it."""

from __future__ import annotations

import gc
import itertools
import json
from dataclasses import replace

import pytest

from app import create_app
from bench import cpu, memory, report
from components import ids
from rigflows.select import vocabulary
from rigflows.state import ViewState
from tests.dash_requests import callback_body, layout_props

APP = create_app()
CLIENT = APP.server.test_client()

#: The chart callbacks (their first outputs), as the README states them: the Sankey, the map's
#: every-month frames (one request per metric), the energy chart's frames and its texts (two),
#: and the sources, each belonging to a filter.
EVERY_CHART = {
    "sankey.figure",
    "map-frames-machines.data",
    "map-frames-share.data",
    "map-frames-load.data",
    "map-frames-strain.data",
    "energy-frames.data",
    "energy-texts.data",
    "sources.children",
}


@pytest.fixture(scope="module")
def vocab(dataset):
    return vocabulary(dataset)


@pytest.fixture(scope="module")
def captured():
    """A filter change's requests as the browser capture stores them: every server callback
    that reads a key Store, plus the state callback, with the page's layout values."""
    props = layout_props(CLIENT.get("/_dash-layout").get_json())
    requests = []
    for callback in CLIENT.get("/_dash-dependencies").get_json():
        if callback["clientside_function"] or not all(isinstance(dep["id"], str) for dep in callback["inputs"]):
            continue
        value = lambda dep: props.get(dep["id"], {}).get(dep["property"])  # noqa: E731
        body = callback_body(callback, [value(dep) for dep in callback["inputs"]], [value(dep) for dep in callback["state"]])
        reads_key = any(dep["id"].endswith("-key") for dep in callback["inputs"])
        writes_key = ids.key(ids.SANKEY) in callback["output"]
        if reads_key or writes_key:
            requests.append({"path": "/_dash-update-component", "body": json.dumps(body), "status": 200, "updates": 1})
    return requests


def sent(captured, before, after, months) -> set[str]:
    return {request.callback for request in memory.view_requests(captured, before, after, months)}


def test_a_month_or_a_metric_sends_no_request(captured, vocab):
    months = list(vocab.months)
    view = ViewState(metric="share", month=months[3], countries=("KAZ",))
    assert sent(captured, view, replace(view, month=months[4]), months) == set()
    assert sent(captured, view, replace(view, metric="load"), months) == set()


def test_a_new_filter_or_the_first_view_draws_every_chart_and_never_calls_the_state_callback(captured, vocab):
    months = list(vocab.months)
    view = ViewState(metric="share", month=months[3], countries=("KAZ",))
    assert sent(captured, view, replace(view, countries=("RUS", "USA")), months) == EVERY_CHART
    assert sent(captured, None, view, months) == EVERY_CHART


def test_the_rewritten_requests_are_answered(captured, vocab):
    months = list(vocab.months)
    before = ViewState(metric="share", month=months[5], countries=("KAZ",))
    after = ViewState(metric="strain", month=months[6], countries=("CAN", "RUS"))
    for request in memory.view_requests(captured, before, after, months):
        answer = CLIENT.post(request.path, data=request.body, content_type="application/json")
        assert answer.status_code in (200, 204), (request.callback, answer.status_code)


def test_ten_thousand_views_are_distinct(vocab):
    views = list(itertools.islice(memory.views(list(vocab.months), sorted(vocab.countries), vocab.default_month), memory.TARGET_VIEWS))
    assert len(views) == 10_000
    assert len(set(views)) == 10_000
    assert all(view.month in vocab.months and len(view.countries) <= 4 for view in views)


def _memory(views: int, peak: float) -> dict:
    return {"target_views": 10_000, "views": views, "seconds": 60, "time_limit_s": 60, "rss_peak_mb": peak, "rss_final_mb": peak, "pss_final_mb": peak / 2, "rss_start_mb": 150}


@pytest.mark.parametrize(("views", "peak", "holds"), [
    (10_000, 300.0, True),  # at the limit: holds (≤)
    (10_000, 300.1, False),
    (400, 310.0, False),  # a peak only grows: over the limit early is a miss
    (400, 200.0, None),  # under the limit before the target: not judged
])
def test_memory_verdict(views, peak, holds):
    assert report.memory_row(_memory(views, peak))["holds"] is holds


def _run(p95: float, name: str = "map-frames-share.data") -> dict:
    return {"callbacks": {name: {"p95": p95, "n": 10, "errors": 0}, "state": {"p95": 1.0, "n": 10, "errors": 0}}, "load_average_1min": 1.0}


def test_budgets_are_issue_8s_with_their_verdicts():
    page = lambda ms, sent: {"ready_ms_median": ms, "bytes_median": sent}  # noqa: E731
    redraw = lambda p95, requests: {"p95": p95, "p50": p95 / 2, "n": 20, "charts": ["map"], "requests": requests, "request_paths": ["/_favicon.ico"] * bool(requests)}  # noqa: E731
    result = {
        "synthetic_name": "synthetic_100x",
        "readiness": {"floor": page(1000, 0), "dashboard": page(800, 1_300_000), "floor_synthetic_100x": page(1000, 0), "dashboard_synthetic_100x": page(1300, 1_300_001)},
        "ready_ratio_to_floor": 0.8,
        "synthetic_ready_ratio_to_floor": 1.3,
        "clientside": {"month": redraw(100.0, 0), "metric": redraw(101.0, 0), "play": redraw(50.0, 1)},
        "latency": {
            "bundled": {"filter": {"warm": {"8": _run(15.0), "32": _run(61.0)}, "cold": {"8": _run(60.0)}}},
            "synthetic_100x": {"filter": {"warm": {"8": _run(22.5), "32": _run(91.5)}, "cold": {"8": _run(91.0)}}},
        },
        "memory": _memory(10_000, 250.0),
    }
    verdicts = {row["budget"]: row["holds"] for row in report.budgets(result)}
    assert verdicts == {
        "every chart drawn ≤ 1.0× the floor (aim 0.8×)": True,
        "≤ 1.3 MB per cold load": True,
        "≤ 1.3 MB per cold load (synthetic_100x)": False,
        "on synthetic_100x data every chart drawn ≤ 1.2× the floor": False,
        "month: 0 requests to the server": True,
        "month: chart redrawn ≤ 100 ms after the input (p95, in the browser)": True,
        "metric: 0 requests to the server": True,
        "metric: chart redrawn ≤ 100 ms after the input (p95, in the browser)": False,
        "play: 0 requests to the server": False,
        "play: chart redrawn ≤ 100 ms after the input (p95, in the browser)": True,
        "filter change p95 at 8 clients ≤ 15 ms warm": True,
        "synthetic_100x data within 1.5× of the bundled figures: filter p95 at 8 clients warm": True,
        "filter change p95 at 8 clients ≤ 60 ms cold": True,
        "synthetic_100x data within 1.5× of the bundled figures: filter p95 at 8 clients cold": False,
        "filter change p95 at 32 clients ≤ 60 ms warm": False,
        "synthetic_100x data within 1.5× of the bundled figures: filter p95 at 32 clients warm": True,
        "memory per worker after 10,000 distinct views ≤ 300 MB": True,
    }


def test_one_view_per_filter_gives_every_filter_of_up_to_four_countries_once(vocab):
    """No filter, then every set of 1 to 4 of the data's countries: 1 + n + C(n,2) + C(n,3) + C(n,4)."""
    filters = list(memory.views(list(vocab.months), sorted(vocab.countries), vocab.default_month, every_month=False))
    n = len(vocab.countries)
    assert len(filters) == len(set(filters)) == 1 + n + n * (n - 1) // 2 + n * (n - 1) * (n - 2) // 6 + n * (n - 1) * (n - 2) * (n - 3) // 24
    assert {view.month for view in filters} == {vocab.default_month}


def test_the_cpu_step_times_every_chart_of_each_new_filter_and_leaves_the_collector_as_it_was(captured, vocab):
    gc.unfreeze()  # as in the benchmark's process: nothing frozen before the step
    thresholds = gc.get_threshold()
    measured = cpu.cpu_per_new_filter(CLIENT, captured, vocab, interactions=3)
    assert measured["interactions"] == 3
    assert EVERY_CHART | {"state"} <= set(measured["callbacks"])
    assert all(stats["n"] == 3 for stats in measured["callbacks"].values())
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0
    assert cpu.gunicorn_gc_thresholds() == (20_000, 20, 20)  # gunicorn.conf.py
