"""The page leaves out Dash's @babel/polyfill and dash_table's bundle, and brings the one part of
the polyfill Dash's scripts call (regeneratorRuntime). In the browser: tests/browser/test_bundle.py."""

from __future__ import annotations

import json
import re

from dash import Dash

from app import create_app
from components.page_scripts import LEFT_OUT, without_left_out
from rigflows.config import ASSETS_DIR, PROJECT_ROOT

RUNTIME = ASSETS_DIR / "regenerator-runtime.min.js"
LOCKFILE = PROJECT_ROOT / "tools" / "runtime-bundle" / "package-lock.json"


def script_sources(html: str) -> list[str]:
    return re.findall(r'<script src="([^"?]*)', html)


def test_each_left_out_script_is_one_that_dash_itself_loads():
    """Were Dash to rename one, the page would quietly load it again: each part must name exactly
    one of the scripts a stock Dash page loads."""
    stock = script_sources(Dash(__name__, serve_locally=True)._generate_scripts_html())
    for part in LEFT_OUT:
        assert len([source for source in stock if part in source]) == 1, (part, stock)


def test_the_page_loads_dash_and_its_components_without_the_left_out_scripts():
    page = create_app().server.test_client().get("/").get_data(as_text=True)
    sources = script_sources(page)
    assert [source for source in sources if "polyfill" in source or "dash_table" in source] == []
    for needed in ("/deps/react@", "/deps/react-dom@", "/dash-renderer/build/dash_renderer", "/dcc/dash_core_components.", "/html/dash_html_components", "/assets/regenerator-runtime.min.js", "/assets/plotly-rigflows.min.js"):
        assert len([source for source in sources if needed in source]) == 1, needed


def test_without_left_out_keeps_every_other_tag_as_it_was():
    scripts = '<script src="/a/deps/react@18.js"></script>\n<script src="/_dash-component-suites/dash/deps/polyfill@7.v4m1.12.1.min.js"></script>\n<script src="/_dash-component-suites/dash/dash_table/bundle.v7m1.js"></script>\n<script>inline()</script>'
    assert without_left_out(scripts) == '<script src="/a/deps/react@18.js"></script>\n<script>inline()</script>'


def test_the_runtime_asset_is_the_locked_version():
    locked = json.loads(LOCKFILE.read_text(encoding="utf-8"))["packages"]["node_modules/regenerator-runtime"]["version"]
    header = RUNTIME.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(f"/*! regenerator-runtime v{locked} |"), header
