"""Rig Flows: where China's crypto-mining machines went after the 2021 ban.

`create_app()` builds the Dash app from a data directory; `server` is the Flask app for
gunicorn (`gunicorn app:server`); `python app.py` runs the development server.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from dash import Dash
from flask import Flask

from components import ids
from components.api import register_api
from components.controls import register_controls_callbacks
from components.hardening import harden
from components.layout import build_layout, requested_query, validation_skeleton
from components.page_scripts import LeanDash
from components.presskit import register_presskit
from components.response_cache import cache_pure_answers, pure_outputs
from components.sources import register_sources_callbacks
from components.sync import register_state_callback
from components.tables import CHARTS, register_table_callbacks, table_id
from components.timeline import register_timeline_callbacks
from components.upload import register_upload
from components.views import register_view_callbacks
from rigflows.config import ASSETS_DIR, LAZY_ASSETS, TOPOJSON_PATH, ZIP_LIBRARY, settings_from_env
from rigflows.dataset import Dataset, load_dataset
from rigflows.problems import DataError
from rigflows.render import energy_frames, energy_frames_key, energy_texts, map_frames, map_frames_key, sources_key, view_sources
from rigflows.state import METRICS, ViewState

TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"

#: The icon as a data: address, not Dash's /_favicon.ico: Chromium asks for a linked icon again
#: each time the page replaces its address (every month, metric and Play step), a request to the
#: server per step (`make bench` counts them).
FAVICON = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230072B2'/%3E%3C/svg%3E"

#: Dash's default page plus a preload of the map's topojson, so the browser fetches it while
#: plotly.js loads instead of when the map first draws. crossorigin="anonymous" gives it the
#: credentials mode of plotly.js's own request, so that request reuses it. plotly.js itself
#: comes from assets/plotly-rigflows.min.js (tools/build_plotly_bundle.sh): dcc.Graph uses the
#: window.Plotly it defines and never fetches the full bundle. The icon is inline (`FAVICON`).
INDEX_STRING = """<!DOCTYPE html>
<html>
    <head>
        {%metas%}
        <title>{%title%}</title>
        <link rel="icon" href="{%icon%}">
        <link rel="preload" href="{%topojson%}" as="fetch" type="application/json" crossorigin="anonymous">
        <meta name="rigflows-zip-library" content="{%zip_library%}">
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


#: The callbacks whose answers are a function of their request alone (the data is read-only):
#: the state, each chart, the frames, the sources, the timeline and the tables. Never the
#: upload, the downloads or the press kit.
PURE_OUTPUTS = {
    f"{ids.FILTER}.data", f"{ids.SANKEY}.figure", f"{ids.SOURCES}.children", f"{ids.TIMELINE_DATA}.data",
    f"{ids.frames(ids.ENERGY)}.data",
    f"{ids.ENERGY_TEXTS}.data",
    *(f"{ids.frames(ids.MAP, metric)}.data" for metric in METRICS),
    *(f"{table_id(chart)}.children" for chart in CHARTS),
}


def fingerprinted(app: Dash, name: str) -> str:
    """The URL of asset `name` with Dash's own fingerprint (?m=<mtime>), for an asset the page
    fetches itself (`LAZY_ASSETS`): browsers keep assets for a day (components/hardening.py)."""
    return f"{app.get_asset_url(name)}?m={(ASSETS_DIR / name).stat().st_mtime}"


def warm_default_view(dataset: Dataset) -> None:
    """Build the default view's frames and sources before gunicorn forks (preload_app), so every
    worker starts with them in memory instead of each building them on its first request."""
    default = ViewState()
    map_frames(dataset, map_frames_key(default))
    energy_frames(dataset, energy_frames_key(default))
    energy_texts(dataset, energy_frames_key(default))
    view_sources(dataset, sources_key(default))


#: flask-compress settings: brotli first (Chromium, Firefox and Safari accept it), with a 16 MB
#: window that spans a frames answer's months (they repeat a country's words month after
#: month); a kept answer is compressed once (components/response_cache.py). Measured on the
#: 100x data's map frames (8.8 MB of JSON): zstd at flask-compress's level 304 KB, brotli
#: level 5 with this window 257 KB in 72 ms.
COMPRESSION = {"COMPRESS_ALGORITHM": ["br", "zstd", "gzip", "deflate"], "COMPRESS_BR_LEVEL": 5, "COMPRESS_BR_WINDOW": 24}


def create_app(data_dir: Path | None = None) -> Dash:
    """Load and validate the data (raises DataError), then build the app around it."""
    settings = settings_from_env()
    dataset = load_dataset(Path(data_dir or settings.data_dir).resolve())
    server = Flask(__name__)
    server.config.update(COMPRESSION)
    app = LeanDash(
        __name__, server=server, title=TITLE, assets_folder=str(ASSETS_DIR), assets_ignore="|".join(re.escape(name) for name in LAZY_ASSETS), compress=True, serve_locally=True, update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}, {"name": "description", "content": TITLE}],
    )
    topojson_url = app.get_asset_url("topojson/")
    app.index_string = (
        INDEX_STRING.replace("{%topojson%}", app.get_asset_url(TOPOJSON_PATH.relative_to(ASSETS_DIR).as_posix()))
        .replace("{%icon%}", FAVICON)
        .replace("{%zip_library%}", fingerprinted(app, ZIP_LIBRARY))
    )
    home = app.get_relative_path("/")
    # The bare page is built now, before gunicorn forks (preload_app): every worker starts with
    # it cached, and Dash's callback validation gets its skeleton.
    app.validation_layout = validation_skeleton(build_layout(dataset, topojson_url, "", home))
    app.layout = lambda: build_layout(dataset, topojson_url, requested_query(), home)
    warm_default_view(dataset)
    uploads = register_upload(app, dataset)
    register_state_callback(app, dataset, uploads.dataset)
    register_view_callbacks(app, dataset, uploads.dataset)
    register_controls_callbacks(app)
    register_timeline_callbacks(app, dataset)
    register_table_callbacks(app, dataset)
    register_sources_callbacks(app, dataset, uploads.dataset)
    register_api(app, dataset)
    register_presskit(app, dataset, uploads.dataset)
    harden(app, settings.frame_ancestors, settings.debug)
    cache_pure_answers(app, pure_outputs(app, PURE_OUTPUTS), requested_query)
    return app


def _create_app_or_exit() -> Dash:
    try:
        return create_app()
    except DataError as error:
        # A clear list of what is wrong with which file, not a traceback.
        print(error.report(), file=sys.stderr)
        raise SystemExit(1) from None


app = _create_app_or_exit()
server = app.server

if __name__ == "__main__":
    settings = settings_from_env()
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
