"""Rig Flows: where China's crypto-mining machines went after the 2021 ban.

`create_app()` builds the Dash app from a data directory; `server` is the Flask app for
gunicorn (`gunicorn app:server`); `python app.py` runs the development server.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dash import Dash, dcc, html

from components import ids
from components.api import register_api
from components.hardening import harden
from components.controls import controls_layout, month_layout, register_controls_callbacks
from components.sources import register_sources_callbacks, sources_layout
from components.sync import register_sync_callback
from components.upload import register_upload, upload_layout
from components.views import energy_card, map_card, sankey_card
from rigflows.config import ASSETS_DIR, settings_from_env
from rigflows.dataset import Dataset, load_dataset
from rigflows.problems import DataError

TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"


def build_layout(dataset: Dataset, topojson_url: str) -> html.Div:
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=ids.URL, refresh="callback-nav"),
            html.Header(className="page-header", children=[
                html.H1("Rig Flows"),
                html.P("Where China's crypto-mining machines went after the May 2021 ban: who shipped them, which farms took them, and what the new load did to the grids. Every number links to its source; estimates are labelled as such.", className="lede"),
            ]),
            html.Div(id=ids.NOTICES, className="notices", role="status"),
            html.Div(id=ids.YOUR_DATA, role="status"),
            controls_layout(dataset),
            html.Main(className="views", children=[
                map_card(dataset, topojson_url, month_layout(dataset)),
                sankey_card(),
                energy_card(),
                sources_layout(),
                upload_layout(dataset),
            ]),
            html.Footer("Data: Financial Times reporting (via press copies), Cambridge Centre for Alternative Finance (CBECI), Our World in Data, company and government statements. Map outlines: Natural Earth via plotly.js.", className="page-footer"),
        ],
    )


def create_app(data_dir: Path | None = None) -> Dash:
    """Load and validate the data (raises DataError), then build the app around it."""
    settings = settings_from_env()
    dataset = load_dataset(Path(data_dir or settings.data_dir).resolve())
    app = Dash(
        __name__, title=TITLE, assets_folder=str(ASSETS_DIR), compress=True, serve_locally=True, update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}, {"name": "description", "content": TITLE}],
    )
    topojson_url = app.get_asset_url("topojson/")
    app.layout = build_layout(dataset, topojson_url)
    uploads = register_upload(app, dataset)
    register_sync_callback(app, dataset, topojson_url, uploads.dataset)
    register_controls_callbacks(app, dataset)
    register_sources_callbacks(app, dataset, uploads.dataset)
    register_api(app, dataset)
    harden(app, settings.frame_ancestors, settings.debug)
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
