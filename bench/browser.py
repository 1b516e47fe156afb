"""Headless Chromium: cold page loads (time to every chart drawn, bytes on the wire) and the
capture of the callback requests a reader's clicks send.
"""

from __future__ import annotations

import json
import math
import statistics
import time
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

from components import ids
from tests.dash_requests import layout_props

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 60_000
UPDATE_PATH = "/_dash-update-component"

#: What "drawn with data" means, per page: every selector is on screen.
DASHBOARD_DRAWN = (f"#{ids.MAP} .choroplethlocation", f"#{ids.SANKEY} .sankey-link", f"#{ids.ENERGY} .scatterlayer .trace")
FLOOR_DRAWN = ("#chart .scatterlayer .trace",)

#: Run in the page before anything else: note when each selector first shows (ms after navigation start).
_WATCH_JS = """selectors => {
    window.__drawnAt = {};
    const tick = () => {
        for (const s of selectors) if (!(s in window.__drawnAt) && document.querySelector(s)) window.__drawnAt[s] = performance.now();
        if (Object.keys(window.__drawnAt).length < selectors.length) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""
#: Where the time goes: when the page's main parts had arrived (ms after navigation start).
_MILESTONES_JS = r"""() => {
    const entries = performance.getEntriesByType('resource');
    const ends = test => entries.filter(e => test(new URL(e.name).pathname)).map(e => e.responseEnd);
    const last = test => ends(test).length ? Math.max(...ends(test)) : null;
    const callback = path => path === '/_dash-update-component';
    return {
        html_ms: performance.getEntriesByType('navigation')[0].responseEnd,
        plotly_js_ms: last(path => /\/plotly[^/]*\.min\.js$/.test(path)),  // the full bundle or assets/plotly-rigflows.min.js
        layout_ms: last(path => path === '/_dash-layout'),
        first_callback_ms: ends(callback).length ? Math.min(...ends(callback)) : null,
        last_callback_ms: last(callback),
        topojson_start_ms: ends(path => path.includes('/topojson/')).length ? entries.find(e => e.name.includes('/topojson/')).startTime : null,
        topojson_ms: last(path => path.includes('/topojson/')),
    };
}"""


@contextmanager
def chromium():
    """Debian's Chromium under Playwright (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def cold_load(browser, url: str, drawn: tuple[str, ...]) -> dict:
    """One load in a fresh context with the cache off: ms from navigation start until every
    `drawn` selector is on screen, then bytes (encoded, on the wire) and requests once idle."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(f"({_WATCH_JS})({json.dumps(list(drawn))})")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        wire = {"bytes": 0, "requests": 0, "finished": 0, "failed": 0, "last": time.monotonic()}
        off_host = []

        def on_sent(event):
            wire["requests"] += 1
            wire["last"] = time.monotonic()
            if not event["request"]["url"].startswith(("http://127.0.0.1", "data:", "blob:")):
                off_host.append(event["request"]["url"])

        def on_finished(event):
            wire["bytes"] += event["encodedDataLength"]
            wire["finished"] += 1
            wire["last"] = time.monotonic()

        def on_failed(_event):
            wire["failed"] += 1
            wire["last"] = time.monotonic()

        cdp.on("Network.requestWillBeSent", on_sent)
        cdp.on("Network.loadingFinished", on_finished)
        cdp.on("Network.loadingFailed", on_failed)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
        page.wait_for_function("count => Object.keys(window.__drawnAt || {}).length === count", arg=len(drawn), timeout=TIMEOUT_MS)
        drawn_at = page.evaluate("window.__drawnAt")
        ready_ms = max(drawn_at.values())
        milestones = {**page.evaluate(_MILESTONES_JS), **{f"drawn {selector}": at for selector, at in drawn_at.items()}}
        _wait_until_idle(page, wire)
        return {"ready_ms": round(ready_ms, 1), "milestones": milestones, "bytes": wire["bytes"], "requests": wire["requests"], "failed": wire["failed"], "off_host": off_host}
    finally:
        context.close()


def _wait_until_idle(page, wire: dict, quiet_s: float = 0.5, limit_s: float = 15) -> None:
    """Until every request sent has finished or failed and nothing moved for `quiet_s`."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        settled = wire["finished"] + wire["failed"] >= wire["requests"]
        if settled and time.monotonic() - wire["last"] >= quiet_s:
            return


def readiness(browser, pages: dict[str, tuple[str, tuple[str, ...]]], runs: int, warmup: int = 1) -> dict:
    """Cold loads of several pages, interleaved (so machine noise hits them alike).

    `pages` maps a name to (url, drawn selectors). The first `warmup` rounds are discarded:
    they pay for gunicorn workers' first requests, not for the page.
    """
    loads = {name: [] for name in pages}
    for round_index in range(warmup + runs):
        for name, (url, drawn) in pages.items():
            result = cold_load(browser, url, drawn)
            if round_index >= warmup:
                loads[name].append(result)
    return {name: _summary(results) for name, results in loads.items()}


def _summary(results: list[dict]) -> dict:
    return {
        "ready_ms_median": round(statistics.median(r["ready_ms"] for r in results), 1),
        "ready_ms_runs": [r["ready_ms"] for r in results],
        "milestones_ms_median": {key: _median_or_none([r["milestones"][key] for r in results]) for key in results[0]["milestones"]},
        "bytes_median": int(statistics.median(r["bytes"] for r in results)),
        "requests_median": int(statistics.median(r["requests"] for r in results)),
        "failed_requests": sum(r["failed"] for r in results),
        "off_host_requests": sorted({u for r in results for u in r["off_host"]}),
    }


def _median_or_none(values: list) -> float | None:
    known = [value for value in values if value is not None]
    return round(statistics.median(known), 1) if known else None


# --- capture of the callback requests a filter change sends ---------------------------------

def _choose_country(page) -> None:
    page.click(f"#{ids.COUNTRIES}")
    page.keyboard.type("Kazakh", delay=60)  # the first key opens the search box: at machine speed the next could miss it
    page.click("[role=option]:has(input[value=KAZ])", timeout=TIMEOUT_MS)
    page.keyboard.press("Escape")


def capture(browser, url: str) -> list[dict]:
    """The POST requests the browser sends when the reader picks a country (Kazakhstan), in
    order, with how many outputs each answer updated (0 when the chart's view did not change:
    Dash answers an empty update). Only filters reach the server; month, metric and Play are
    measured by `clientside_redraws`."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = _loaded(context, url + "/")
        sent, answers = [], []
        page.on("request", lambda request: sent.append(request) if urlsplit(request.url).path == UPDATE_PATH else None)
        page.on("response", lambda response: answers.append(response) if urlsplit(response.url).path == UPDATE_PATH else None)
        _choose_country(page)
        page.wait_for_function("expected => window.location.search.includes(expected)", arg="country=KAZ", timeout=TIMEOUT_MS)
        _wait_for_answers(page, sent, answers)
        if not sent:
            raise RuntimeError("the filter change sent no callback request")
        return [_captured(request, request.response()) for request in sent]
    finally:
        context.close()


def _loaded(context, url: str):
    """A new page at `url`, every chart drawn and the network idle (the filter's frames are in)."""
    page = context.new_page()
    page.goto(url, timeout=TIMEOUT_MS)
    for selector in DASHBOARD_DRAWN:
        page.wait_for_selector(selector, timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    return page


def _captured(request, response) -> dict:
    updates = None
    if response is not None and response.status == 200:
        updates = len(json.loads(response.text()).get("response", {}))
    return {"path": _path(request.url), "body": request.post_data, "status": response.status if response else None, "updates": updates}


def _path(url: str) -> str:
    """Path and query (Dash adds a per-page-load `endId` token, echoed here as sent)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _wait_for_answers(page, sent: list, answers: list, quiet_s: float = 0.8, limit_s: float = 20) -> None:
    """Until every callback request has its answer and no new one came for `quiet_s`."""
    deadline = time.monotonic() + limit_s
    seen, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        if len(sent) + len(answers) != seen:
            seen, last_change = len(sent) + len(answers), time.monotonic()
        if len(answers) >= len(sent) and time.monotonic() - last_change >= quiet_s:
            return
    raise TimeoutError(f"callbacks did not settle: {len(sent)} sent, {len(answers)} answered")


# --- month, metric and Play, drawn in the browser --------------------------------------------

#: Before the page's scripts: Play's ticker (dcc.Interval, a window.setInterval of `tick` ms)
#: notes each tick as an input, like a key press or a click.
_TICK_WATCH_JS = """tick => {
    const setInterval = window.setInterval;
    window.setInterval = function (fn, delay, ...rest) {
        if (delay !== tick || typeof fn !== 'function') { return setInterval.call(window, fn, delay, ...rest); }
        return setInterval.call(window, function () {
            if (window.__noteInput) { window.__noteInput('tick'); }
            return fn.apply(this, arguments);
        }, delay, ...rest);
    };
}"""
#: Each reader input of the kinds in window.__inputKinds (capture phase: before the page's own
#: handlers), and each chart's first redraw after it, in ms after the input. A redraw belongs to
#: the oldest input the chart has not redrawn for yet: when Play ticks faster than the page
#: draws, a late redraw counts for its own tick, not the next.
_REDRAW_WATCH_JS = """charts => {
    window.__inputs = [];
    window.__inputKinds = new Set();
    window.__noteInput = kind => {
        if (window.__inputKinds.has(kind)) { window.__inputs.push({at: performance.now(), drawn: {}}); }
    };
    for (const kind of ['keydown', 'click']) {
        document.addEventListener(kind, () => window.__noteInput(kind), true);
    }
    for (const chart of charts) {
        document.querySelector('#' + chart + ' .js-plotly-plot').on('plotly_afterplot', () => {
            const input = window.__inputs.find(item => !(chart in item.drawn));
            if (input) { input.drawn[chart] = performance.now() - input.at; }
        });
    }
}"""
#: Start at the first month, so Play has months ahead of it.
CLIENTSIDE_QUERY = "?metric=share&country=KAZ,RUS,USA&month={first}"
#: Ticks of Play measured (each takes the ticker's interval, 0.9 s): as many as month and metric
#: inputs in a full run, so each p95 is the 19th of 20 (of 12, the p95 was the slowest tick).
PLAY_TICKS = 20
#: Pause after each redraw, before the next input (a reader does not type faster).
SETTLE_MS = 150


def _tick_interval(url: str) -> int:
    """Play's ticker interval (ms), as the page's layout sets it."""
    with urllib.request.urlopen(url + "/_dash-layout", timeout=30) as response:
        return layout_props(json.loads(response.read()))[ids.TICK]["interval"]


def clientside_redraws(browser, url: str, steps: int, months: list[str]) -> dict:
    """Month, metric and Play in the browser, for a filter of three countries at the map's share
    metric. Per interaction: ms from the input (key press, click, Play's tick) until every chart
    it changes has redrawn (month and Play: the map and the energy chart's month marker; metric:
    the map), p50 and p95; and every request the page sent the server meanwhile (should be none)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(f"({_TICK_WATCH_JS})({_tick_interval(url)})")
    try:
        page = _loaded(context, url + "/" + CLIENTSIDE_QUERY.format(first=months[0]))
        page.evaluate(_REDRAW_WATCH_JS, [ids.MAP, ids.ENERGY])
        slider = f"#{ids.MONTH} [role=slider]"
        interactions = {
            # Right from the first month, then back: every press changes the month.
            "month": ("keydown", (ids.MAP, ids.ENERGY), steps, lambda i: (page.focus(slider), page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft"))),
            "metric": ("click", (ids.MAP,), steps, lambda i: page.click(f"#{ids.METRIC} input[value={('load', 'strain', 'share')[i % 3]}]")),
            "play": ("tick", (ids.MAP, ids.ENERGY), min(steps, PLAY_TICKS), None),
        }
        results = {}
        for name, (kind, charts, count, act) in interactions.items():
            sent = []
            listener = lambda request: sent.append(_path(request.url)) if request.url.startswith(url) else None  # noqa: E731
            page.on("request", listener)
            page.evaluate("kind => { window.__inputs = []; window.__inputKinds = new Set([kind]); }", kind)
            if act is None:
                page.click(f"#{ids.PLAY}")  # not an input of kind 'tick': Play starts at the next tick
            for step in range(count):
                if act is not None:
                    act(step)
                page.wait_for_function(_all_drawn_js(step, charts), timeout=TIMEOUT_MS)
                page.wait_for_timeout(SETTLE_MS)  # a late second draw is not taken for the next input's
            if act is None:
                page.evaluate("() => { window.__inputKinds = new Set(); }")
                page.click(f"#{ids.PLAY}")  # pause
            page.wait_for_timeout(300)  # a request the input set off would have left by now
            page.remove_listener("request", listener)
            inputs = page.evaluate("window.__inputs")[:count]
            values = sorted(max(item["drawn"][chart] for chart in charts) for item in inputs)
            results[name] = {"n": len(values), "p50": round(statistics.median(values), 1), "p95": round(_nearest_rank(values, 0.95), 1), "charts": list(charts), "requests": len(sent), "request_paths": sorted(set(sent))}
        return results
    finally:
        context.close()


def _all_drawn_js(index: int, charts: tuple[str, ...]) -> str:
    return f"(() => {{ const input = window.__inputs[{index}]; return Boolean(input) && {json.dumps(list(charts))}.every(c => c in input.drawn); }})"


def _nearest_rank(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]
