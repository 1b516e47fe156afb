"""Rig Flows: where China's crypto-mining machines went after the 2021 ban.

`create_app()` builds the Dash app from a data directory; `server` is the Flask app for
gunicorn (`gunicorn app:server`); `python app.py` runs the development server.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dash import Dash, dcc, html

from components import ids
from components.hardening import harden
from components.presskit import register_presskit
from components.controls import controls_layout, month_layout, register_controls_callbacks
from components.sources import register_sources_callbacks, sources_layout
from components.sync import register_sync_callback
from components.views import energy_card, map_card, sankey_card
from rigflows.config import ASSETS_DIR, TOPOJSON_PATH, settings_from_env
from rigflows.dataset import Dataset, load_dataset
from rigflows.problems import DataError

TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"

#: Dash's default page plus a preload of the map's topojson, so the browser fetches it while
#: plotly.js loads instead of when the map first draws. crossorigin="anonymous" gives it the
#: credentials mode of plotly.js's own request, so that request reuses it. plotly.js itself
#: comes from assets/plotly-rigflows.min.js (tools/build_plotly_bundle.sh): dcc.Graph uses the
#: window.Plotly it defines and never fetches the full bundle.
INDEX_STRING = """<!DOCTYPE html>
<html>
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        <link rel="preload" href="{%topojson%}" as="fetch" type="application/json" crossorigin="anonymous">
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
            controls_layout(dataset),
            html.Main(className="views", children=[
                map_card(dataset, topojson_url, month_layout(dataset)),
                sankey_card(),
                energy_card(),
                sources_layout(),
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
    app.index_string = INDEX_STRING.replace("{%topojson%}", app.get_asset_url(TOPOJSON_PATH.relative_to(ASSETS_DIR).as_posix()))
    app.layout = build_layout(dataset, topojson_url)
    register_sync_callback(app, dataset, topojson_url)
    register_controls_callbacks(app, dataset)
    register_sources_callbacks(app, dataset)
    register_presskit(app, dataset)
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
