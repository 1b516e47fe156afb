"""The page draws with the small plotly.js bundle and fetches the map's topojson once, early.

dcc.Graph loads the full plotly.js (4.8 MB) unless `window.Plotly` is already defined when a
graph first renders; assets/plotly-rigflows.min.js defines it. The topojson is preloaded by a
<link rel="preload"> in the page head (app.INDEX_STRING).
"""

from __future__ import annotations

import re

import pytest
from plotly.offline import get_plotlyjs_version

from components import ids
from tests.browser.pages import choose, wait_until_drawn

pytestmark = pytest.mark.browser

#: Any way of fetching the full plotly.js: Dash's local copy from plotly.py, or Plotly's CDN.
FULL_PLOTLY = re.compile(r"package_data/plotly|/plotly\.min\.js|cdn\.plot\.ly")
TOPOJSON = "/assets/topojson/world_110m.json"


def record_requests(page) -> list:
    requests = []
    page.on("request", lambda request: requests.append(request))
    return requests


def test_charts_draw_with_the_small_bundle_and_the_full_one_is_never_requested(page, app_url):
    requests = record_requests(page)
    page.goto(app_url + "/")
    wait_until_drawn(page)
    urls = [request.url for request in requests]
    assert [url for url in urls if FULL_PLOTLY.search(url)] == []
    assert any("/assets/plotly-rigflows.min.js" in url for url in urls)

    assert page.evaluate("window.Plotly.version") == get_plotlyjs_version()
    registered = set(page.evaluate("Object.keys(window.Plotly.PlotSchema.get().traces)"))
    drawn = set(page.eval_on_selector_all(".js-plotly-plot", "charts => charts.flatMap(gd => gd._fullData.map(trace => trace.type))"))
    assert {"choropleth", "scattergeo", "sankey", "scatter"} <= drawn
    # Ours, not the full plotly.js (about 50 trace types), and every drawn type is in it.
    assert registered == drawn



def test_the_page_runs_on_the_browsers_own_functions_without_dashs_polyfill(page, app_url):
    """@babel/polyfill and dash_table's bundle are left out (components/page_scripts.py): neither
    is fetched, String.prototype.trim (which the polyfill swapped for a slower copy, and plotly.js
    calls through every draw) is the browser's own, and the lazily loaded components, which call
    regeneratorRuntime, still render: the charts, the dropdowns, the month slider."""
    requests = record_requests(page)
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_selector(f"#{ids.MONTH} [role=slider]")
    choose(page, ids.COUNTRIES, "Kazakh", "Kazakhstan (2 flows, 2 farms)")
    urls = [request.url for request in requests]
    assert [url for url in urls if "polyfill" in url or "dash_table" in url] == []
    assert page.evaluate("String.prototype.trim.toString()") == "function trim() { [native code] }"
    assert page.evaluate("typeof window.regeneratorRuntime.wrap") == "function"

def test_topojson_is_preloaded_before_any_callback_and_downloaded_once(page, app_url):
    requests = record_requests(page)
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_timeout(3500)  # Chromium warns about an unused preload a few seconds after load.

    urls = [request.url for request in requests]
    topojson = [index for index, url in enumerate(urls) if url.endswith(TOPOJSON)]
    assert len(topojson) == 1, f"world_110m.json requested {len(topojson)} times, as {[requests[i].resource_type for i in topojson]}"
    first_callback = next(index for index, url in enumerate(urls) if "/_dash-update-component" in url)
    assert topojson[0] < first_callback, "the topojson waited for the first callback"

    entries = page.evaluate(f"performance.getEntriesByType('resource').filter(e => e.name.endsWith('{TOPOJSON}')).map(e => e.initiatorType)")
    assert entries == ["link"], f"fetched by {entries}, not once by the preload"
    assert [text for text in warnings if "preload" in text] == []


#: Noted in the page from its first script on: when each chart first shows its data, and when
#: each callback request is sent, with its outputs (ms after navigation start).
_TIMES_JS = """selectors => {
    window.__drawnAt = {};
    window.__sentAt = [];
    const tick = () => {
        for (const s of selectors) if (!(s in window.__drawnAt) && document.querySelector(s)) window.__drawnAt[s] = performance.now();
        if (Object.keys(window.__drawnAt).length < selectors.length) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const fetch = window.fetch;
    window.fetch = function (url, options) {
        if (String(url).includes('/_dash-update-component') && options && options.body) {
            window.__sentAt.push({output: JSON.parse(options.body).output, at: performance.now()});
        }
        return fetch.apply(this, arguments);
    };
}"""
CHARTS_DRAWN = ("#map .choroplethlocation", "#sankey .sankey-link", "#energy .scatterlayer .trace")
#: The answers the first paint does not show: the month frames and the sources panel.
AFTER_PAINT = ("map-frames-machines.data", "map-frames-share.data", "map-frames-load.data", "map-frames-strain.data", "energy-frames.data", "energy-texts.data", "sources.children")


def test_the_frames_and_the_sources_are_asked_for_after_the_first_paint(page, app_url):
    """Their answers arriving while the charts drew held the first paint up; they are sent once
    all three charts show their data."""
    page.add_init_script(f"({_TIMES_JS})({list(CHARTS_DRAWN)!r})")
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_function("() => document.querySelector('#sources li') !== null", timeout=10_000)
    drawn_at = max(page.evaluate("window.__drawnAt").values())
    sent = page.evaluate("window.__sentAt")
    asked = {output: [request["at"] for request in sent if request["output"] in (output, f"..{output}") or request["output"].startswith(f"..{output}...")] for output in AFTER_PAINT}
    assert all(asked.values()), f"never asked for {[output for output, times in asked.items() if not times]}: {sent}"
    early = {output: [round(at) for at in times if at < drawn_at] for output, times in asked.items()}
    assert not any(early.values()), f"every chart drawn at {drawn_at:.0f} ms, asked before at {early}"
