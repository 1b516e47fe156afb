"""The committed plotly.js bundle (assets/plotly-rigflows.min.js) matches plotly.py and the figures.

dcc.Graph draws with the `window.Plotly` this file defines, so a version apart from the one
plotly.py writes figures for, or a trace type the app draws that the bundle lacks, would break
charts in the browser only. Rebuild with tools/build_plotly_bundle.sh.
"""

from __future__ import annotations

import itertools
import json
import re

from plotly.offline import get_plotlyjs_version

from rigflows.config import ASSETS_DIR, PROJECT_ROOT
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.state import METRICS, ViewState

BUNDLE = ASSETS_DIR / "plotly-rigflows.min.js"
LOCKFILE = PROJECT_ROOT / "tools" / "plotly-bundle" / "package-lock.json"


def bundle_text() -> str:
    return BUNDLE.read_text(encoding="utf-8")


def bundle_version() -> str:
    """The version in plotly.js's licence header, which the build copies from the package."""
    match = re.match(r"/\*\*\s*\* plotly\.js \([^)]*\) v(\S+)\n", bundle_text())
    assert match, f"{BUNDLE.name} does not start with plotly.js's licence header"
    return match.group(1)


def registered_trace_types() -> set[str]:
    """Trace modules in the bundle: plotly.js declares each as {moduleType: 'trace', name: ...}."""
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle_text()))


def drawn_trace_types(dataset) -> set[str]:
    """Every trace type in the figures the app builds, over every metric and toggle."""
    types = set()
    for metric, farms, remainders in itertools.product(METRICS, (False, True), (False, True)):
        state = ViewState(metric=metric, show_farms=farms, show_remainders=remainders)
        charts = (map_figure(dataset, map_key(state)), sankey_figure(dataset, sankey_key(state)), energy_figure(dataset, energy_key(state)))
        types |= {trace.get("type", "scatter") for chart in charts for trace in chart.figure.get("data", [])}
    return types


def test_bundle_is_the_plotly_js_version_plotly_py_ships():
    assert bundle_version() == get_plotlyjs_version()
    assert f'version="{get_plotlyjs_version()}"' in bundle_text(), "plotly.js's own version string differs from its header"


def test_bundle_is_built_from_the_locked_plotly_js_of_that_version():
    locked = json.loads(LOCKFILE.read_text(encoding="utf-8"))["packages"]["node_modules/plotly.js"]["version"]
    assert locked == get_plotlyjs_version()


def test_every_trace_type_the_app_draws_is_in_the_bundle(dataset):
    drawn = drawn_trace_types(dataset)
    # The three views: a map (choropleth + scattergeo markers), a Sankey, energy lines.
    assert {"choropleth", "scattergeo", "sankey", "scatter"} <= drawn
    missing = drawn - registered_trace_types()
    assert not missing, f"{BUNDLE.name} lacks {sorted(missing)}: add them to tools/plotly-bundle/index.js and rebuild"


def test_bundle_holds_only_the_trace_types_we_draw(dataset):
    """The point of the bundle: nothing the app does not draw (the full plotly.js has ~50 types)."""
    assert registered_trace_types() == drawn_trace_types(dataset)


def test_the_topojson_holds_the_layers_the_map_draws_and_the_map_no_other(dataset):
    """assets/topojson/world_110m.json is plotly.js's file trimmed to land and countries
    (tools/trim_topojson.py): a map that turned on another layer would find it missing."""
    topology = json.loads((ASSETS_DIR / "topojson" / "world_110m.json").read_text())
    assert set(topology["objects"]) == {"land", "countries"}
    # 199 country shapes and one land layer: plotly.js's 110m file (rigflows/geo.py reads them).
    assert len(topology["objects"]["countries"]["geometries"]) == 199
    geo = map_figure(dataset, map_key(ViewState())).figure["layout"]["geo"]
    shown = {name for name, value in geo.items() if name.startswith("show") and value and name != "showframe"}
    assert shown == {"showland", "showcountries"}
    for layer in ("coastlines", "lakes", "ocean", "rivers", "subunits"):
        assert geo[f"show{layer}"] is False, layer
