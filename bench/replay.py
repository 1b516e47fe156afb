"""Replay captured callback requests with N concurrent clients, bounded in count and time.

Only filter changes reach the server (the state callback, then one callback per chart whose
key changed); month, metric and Play are drawn in the browser (bench/browser.py measures them).

Each client replays one interaction at a time: its requests one after another, as captured
(one request in flight per client). "Warm" replays the captured bodies themselves: after a
warm-up, every chart comes from the workers' view cache. "Cold" rewrites the bodies to a new,
never-seen view for every interaction, so every chart is built anew (a cache miss).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from components import ids
from components.views import state_keys
from rigflows.state import ViewState

REQUEST_TIMEOUT_S = 30
MAX_COUNTRIES_PER_VIEW = 4


@dataclass(frozen=True)
class Request:
    callback: str  # the callback's first output, e.g. "map.figure"
    path: str  # /_dash-update-component with the query the browser sent
    body: bytes


def callback_name(body: dict) -> str:
    """A short, readable name of a callback: 'state' for the state callback (the one that
    writes the key Stores), else its first output, e.g. 'sankey.figure'."""
    outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
    if any(output["id"].endswith("-key") for output in outputs if isinstance(output["id"], str)):
        return "state"
    return f"{outputs[0]['id']}.{outputs[0]['property']}"


def warm_requests(captured: list[dict]) -> list[Request]:
    return [Request(callback_name(json.loads(item["body"])), item["path"], item["body"].encode()) for item in captured]


# --- cold: a new view for every interaction ---------------------------------------------------

def filter_views(countries: list[str], drawn: set[str], month: str):
    """(before, after) filter changes, each `after` new to every chart: the default view → a
    set of 1 to MAX_COUNTRIES_PER_VIEW countries, at `month` (the data's default month, which
    the page's states carry). Views in `drawn` (the keys of views the browser already drew)
    are skipped."""
    sets = itertools.chain.from_iterable(itertools.combinations(countries, size) for size in range(1, MAX_COUNTRIES_PER_VIEW + 1))
    pairs = ((ViewState(month=month), ViewState(month=month, countries=chosen)) for chosen in sets)
    return ((before, after) for before, after in pairs if after.to_query() not in drawn)


def _control_values(state: ViewState, months: list[str]) -> dict[str, object]:
    toggles = [value for value, on in ((ids.SHOW_FARMS, state.show_farms), (ids.SHOW_REMAINDERS, state.show_remainders)) if on]
    return {ids.METRIC: state.metric, ids.MONTH: months.index(state.month), ids.COUNTRIES: list(state.countries), ids.FIRMS: list(state.firms), ids.TOGGLES: toggles}


def view_keys(state: ViewState) -> dict[str, str]:
    """{key Store id: its value} for `state`: what the state callback writes, each chart reads."""
    return {ids.key(part): key.to_query() for part, key in state_keys(state).items()}


def rewrite(body: dict, before: ViewState, after: ViewState, months: list[str]) -> dict:
    """The same callback request, for the move `before` → `after`.

    The state callback sees the new control values and the key Stores of `before` (what was
    drawn); each chart's callback reads the key Store of `after`.
    """
    controls, drawn, wanted = _control_values(after, months), view_keys(before), view_keys(after)

    def moved(items: list[dict], keys: dict[str, str]) -> list[dict]:
        out = []
        for item in items:
            item = dict(item)
            if item["id"] in keys and item["property"] == "data":
                item["value"] = keys[item["id"]]
            elif item["id"] in controls and item["property"] == "value":
                item["value"] = controls[item["id"]]
            out.append(item)
        return out

    rewritten = {**body, "inputs": moved(body["inputs"], wanted)}
    if body.get("state"):
        rewritten["state"] = moved(body["state"], drawn)
    return rewritten


def drawn_searches(captured: list[dict]) -> set[str]:
    """Every view key the captured requests carry: views the browser already had drawn."""
    return {
        item["value"]
        for request in captured
        for item in json.loads(request["body"])["inputs"] + json.loads(request["body"]).get("state", [])
        if isinstance(item.get("id"), str) and item["id"].endswith("-key") and isinstance(item.get("value"), str)
    }


def cold_interactions(captured: list[dict], months: list[str], countries: list[str], drawn: set[str], default_month: str):
    """Request lists, one per new filter. Requests whose answer updated nothing (the sources
    panel when its list did not change) are replayed as captured: they build nothing in the
    browser's session either."""
    for before, after in filter_views(countries, drawn, default_month):
        requests = []
        for item in captured:
            body = json.loads(item["body"])
            if item["updates"] != 0:
                body = rewrite(body, before, after, months)
            requests.append(Request(callback_name(body), item["path"], json.dumps(body).encode()))
        yield requests


# --- the load generator ----------------------------------------------------------------------

def post(url: str, request: Request) -> tuple[int, float]:
    """(status, milliseconds) of one POST, on a new connection (gunicorn sync workers close it)."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", "the benchmark only talks to 127.0.0.1"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT_S)
    start = time.perf_counter()
    try:
        connection.request("POST", request.path, body=request.body, headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0  # no answer: counted as an error
    finally:
        connection.close()
    return status, (time.perf_counter() - start) * 1000


def run(url: str, interactions, clients: int, max_interactions: int, seconds: float) -> dict:
    """Replay interactions from the iterator `interactions` with `clients` threads until
    `seconds` pass, `max_interactions` are done or the iterator runs out."""
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {}
    totals: list[float] = []
    errors: dict[str, int] = {}
    started = 0
    deadline = time.monotonic() + seconds

    def next_interaction():
        nonlocal started
        with lock:
            if started >= max_interactions or time.monotonic() >= deadline:
                return None
            started += 1
            return next(interactions, None)

    def client():
        while (requests := next_interaction()) is not None:
            results = [(request.callback, *post(url, request)) for request in requests]
            with lock:
                for callback, status, ms in results:
                    latencies.setdefault(callback, []).append(ms)
                    if not 200 <= status < 300:
                        errors[callback] = errors.get(callback, 0) + 1
                totals.append(sum(ms for _, _, ms in results))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT_S * 4)
    elapsed = time.perf_counter() - began
    return {
        "clients": clients,
        "load_average_1min": os.getloadavg()[0],
        "interactions": len(totals),
        "seconds": round(elapsed, 2),
        "requests_per_s": round(sum(len(v) for v in latencies.values()) / elapsed, 1),
        "errors": sum(errors.values()),
        "callbacks": {name: {**percentiles(values), "n": len(values), "errors": errors.get(name, 0)} for name, values in latencies.items()},
        "interaction_ms": percentiles(totals),
    }


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 in ms (linear interpolation between closest ranks)."""
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        position = (len(ordered) - 1) * q
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def warm_up(url: str, requests: list[Request], clients: int, rounds: int = 3) -> None:
    """Send the captured requests from `clients` threads a few times, so every worker caches them."""
    run(url, itertools.repeat(requests), clients, clients * rounds, seconds=30)
