"""Rig Flows: where China's crypto-mining machines went after the 2021 ban.

`create_app()` builds the Dash app from a data directory; `server` is the Flask app for
gunicorn (`gunicorn app:server`); `python app.py` runs the development server.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import flask
from dash import Dash, dcc, html

from components import ids
from components.api import register_api
from components.hardening import harden
from components.calculator import calculator_layout
from components.presskit import register_presskit
from components.embed import embed_layout
from components.tables import register_table_callbacks, table_details, with_table
from components.controls import controls_layout, month_layout, register_controls_callbacks
from components.sources import register_sources_callbacks, sources_layout
from components.timeline import register_timeline_callbacks, timeline_card
from components.sync import filter_data, notices_list, register_state_callback, toggles_value
from components.views import energy_card, key_stores, map_card, register_view_callbacks, sankey_card, unquantified_listing
from rigflows.config import ASSETS_DIR, TOPOJSON_PATH, settings_from_env
from components.upload import register_upload, upload_layout
from rigflows.dataset import Dataset, load_dataset
from rigflows.problems import DataError
from rigflows.render import (
    energy_figure,
    energy_frames,
    energy_frames_key,
    energy_key,
    map_figure,
    map_frames,
    map_frames_key,
    map_key,
    sankey_figure,
    sankey_key,
    sources_key,
    view_sources,
)
from rigflows.select import editorial_notes, vocabulary
from rigflows.state import ViewState, parse_embed, parse_query

TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"
#: The app's own asset (assets/topojson), not data: the data's credit comes from notes.csv.
MAP_CREDIT = "Map outlines: Natural Earth via plotly.js."

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


def requested_query() -> str:
    """The query string of the page being built: its own, or for dash-renderer's /_dash-layout
    request, that of the page that asked (its Referer: same origin, so the browser sends it)."""
    if not flask.has_request_context():
        return ""
    if flask.request.query_string:
        return "?" + flask.request.query_string.decode("utf-8", errors="replace")
    return "?" + urlsplit(flask.request.referrer or "").query


def build_layout(dataset: Dataset, topojson_url: str, query: str = "") -> html.Div:
    """The page for URL query `query`, with every chart and control already showing its view:
    the first paint needs no callback. A bad value falls back with a visible notice."""
    vocab = vocabulary(dataset)
    state, notices = parse_query(query, vocab)
    embed, embed_notices = parse_embed(query)
    if embed:
        return embed_layout(dataset, state, embed, topojson_url, "/" + state.to_query(vocab.default_month))
    notices += embed_notices
    sankey = sankey_key(state)
    return html.Div(
        className="page",
        children=[
            dcc.Location(id=ids.URL, search=state.to_query(vocab.default_month), refresh=False),
            dcc.Store(id=ids.NAVIGATE),
            dcc.Store(id=ids.SETTINGS, data={"months": list(vocab.months), "metric": ViewState().metric, "month": vocab.default_month}),
            dcc.Store(id=ids.FILTER, data=filter_data(state, vocab)),
            *key_stores(state),
            html.Header(className="page-header", children=[
                html.H1("Rig Flows"),
                html.P("Where China's crypto-mining machines went after the May 2021 ban: who shipped them, which farms took them, and what the new load did to the grids. Every number links to its source; estimates are labelled as such.", className="lede"),
            ]),
            html.Div(notices_list(notices), id=ids.NOTICES, className="notices", role="status"),
            html.Div(id=ids.YOUR_DATA, role="status"),
            controls_layout(dataset, state, toggles_value(state)),
            html.Main(className="views", children=[
                with_table(map_card(map_figure(dataset, map_key(state)).figure, topojson_url, month_layout(dataset, state)), table_details(dataset, state, ids.MAP)),
                timeline_card(dataset, state.month),
                with_table(sankey_card(sankey_figure(dataset, sankey).figure, unquantified_listing(dataset, sankey)), table_details(dataset, state, ids.SANKEY)),
                with_table(energy_card(energy_figure(dataset, energy_key(state)).figure), table_details(dataset, state, ids.ENERGY)),
                calculator_layout(dataset, state),
                sources_layout(dataset),
                upload_layout(dataset),
            ]),
            html.Footer([*(f"{text} " for text in editorial_notes(dataset, "credit")["text"]), MAP_CREDIT], className="page-footer"),
        ],
    )


def warm_default_view(dataset: Dataset) -> None:
    """Build the default view's frames and sources before gunicorn forks (preload_app), so every
    worker starts with them in memory instead of each building them on its first request."""
    default = ViewState()
    map_frames(dataset, map_frames_key(default))
    energy_frames(dataset, energy_frames_key(default))
    view_sources(dataset, sources_key(default))


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
    app.layout = lambda: build_layout(dataset, topojson_url, requested_query())
    warm_default_view(dataset)
    uploads = register_upload(app, dataset)
    register_state_callback(app, dataset, uploads.dataset)
    register_view_callbacks(app, dataset, uploads.dataset)
    register_controls_callbacks(app)
    register_timeline_callbacks(app)
    register_table_callbacks(app, dataset)
    register_sources_callbacks(app, dataset, uploads.dataset)
    register_api(app, dataset)
    register_presskit(app, dataset, uploads.dataset)
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
