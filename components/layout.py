"""The page: a function of the request's URL, so the first paint already shows its view.

`build_layout` parses the query (a bad value falls back with a visible notice) and returns
every chart, control and notice for that view, or one chart alone for `?embed=`. The page's
address arrives with the request (`requested_query`); `home` is the app's own root under any
path prefix (`app.get_relative_path("/")`), for links back to the full view.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from urllib.parse import urlsplit

import flask
from dash import dcc, html

from components import ids
from components.calculator import calculator_layout
from components.controls import controls_layout, month_layout
from components.embed import embed_layout
from components.sources import sources_layout
from components.sync import filter_data, notices_list, toggles_value
from components.tables import table_details, with_table
from components.timeline import timeline_card
from components.upload import upload_layout
from components.views import energy_card, key_stores, map_card, sankey_card, unquantified_listing
from rigflows.dataset import Dataset
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.select import editorial_notes, vocabulary
from rigflows.state import ViewState, parse_embed, parse_query

#: The app's own asset (assets/topojson), not data: the data's credit comes from notes.csv.
MAP_CREDIT = "Map outlines: Natural Earth via plotly.js."


def requested_query() -> str:
    """The query string of the page being built: its own, or for dash-renderer's /_dash-layout
    request, that of the page that asked (its Referer: same origin, so the browser sends it)."""
    if not flask.has_request_context():
        return ""
    query = flask.request.query_string.decode("utf-8", errors="replace") or urlsplit(flask.request.referrer or "").query
    # "" for the bare page, the key the page built before the workers fork is cached under.
    return "?" + query if query else ""


def validation_skeleton(component):
    """The layout's components that carry an id, nested as in the page, and nothing else: what
    Dash's callback validation needs (which component types carry which ids).

    With a layout function, Dash otherwise embeds the whole default page (its figures, tables
    and texts, about 370 KB) in every page's HTML as `validation_layout`, serialised again for
    each page view. Returns None for a subtree without ids."""
    if isinstance(component, (list, tuple)):
        kept = [skeleton for skeleton in map(validation_skeleton, component) if skeleton is not None]
        return kept or None
    if not hasattr(component, "_prop_names"):
        return None
    children = validation_skeleton(getattr(component, "children", None))
    if children is None and getattr(component, "id", None) is None:
        return None
    skeleton = copy.copy(component)
    skeleton.__dict__ = {key: value for key, value in component.__dict__.items() if key.startswith("_") or key == "id"}
    if children is not None:
        skeleton.children = children
    return skeleton


#: Pages kept per process: a story's link brings most readers to a few queries; each page holds
#: its first view's figures (about 0.5 MB), so few are kept.
@lru_cache(maxsize=16)
def build_layout(dataset: Dataset, topojson_url: str, query: str = "", home: str = "/") -> html.Div:
    """The page for URL query `query`, with every chart and control already showing its view:
    the first paint needs no callback. A bad value falls back with a visible notice. Cached per
    query (bounded): a story's link brings many readers to the same page, and building it for
    each cost a worker a CPU-bound request per page view (`python -m bench.cluster`)."""
    vocab = vocabulary(dataset)
    state, notices = parse_query(query, vocab)
    embed, embed_notices = parse_embed(query)
    if embed:
        return embed_layout(dataset, state, embed, topojson_url, home + state.to_query(vocab.default_month))
    notices += embed_notices
    sankey = sankey_key(state)
    return html.Div(
        className="page",
        children=[
            dcc.Store(id=ids.QUERY, data=state.to_query(vocab.default_month)),
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
                with_table(map_card(map_figure(dataset, map_key(state)).figure, topojson_url, month_layout(dataset, state)), table_details(ids.MAP)),
                timeline_card(dataset, state.countries),
                with_table(sankey_card(sankey_figure(dataset, sankey).figure, unquantified_listing(dataset, sankey)), table_details(ids.SANKEY)),
                with_table(energy_card(energy_figure(dataset, energy_key(state)).figure), table_details(ids.ENERGY)),
                calculator_layout(dataset, state),
                sources_layout(dataset),
                upload_layout(home),
            ]),
            html.Footer([*(f"{text} " for text in editorial_notes(dataset, "credit")["text"]), MAP_CREDIT], className="page-footer"),
        ],
    )
