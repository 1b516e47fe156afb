"""The three charts (map, Sankey, energy): their cards and their render callbacks.

Each callback reads the URL, turns it into a ViewState and hands it to the pure select and
figure functions; an empty selection gets a message instead of an empty axis.
"""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from components import ids
from components.graph_config import graph_config
from rigflows.dataset import Dataset
from rigflows.models import METHOD_NOTE
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.select import unquantified_reports, vocabulary
from rigflows.state import ViewState, parse_query


def _card(title: str, intro: str, *children, class_name: str = "") -> html.Section:
    return html.Section(className=f"card {class_name}".strip(), children=[html.H2(title), html.P(intro, className="card-intro"), *children])


def _graph(graph_id: str, state: ViewState, topojson_url: str, height: str) -> html.Div:
    return html.Div([
        dcc.Graph(id=graph_id, config=graph_config(graph_id, state, topojson_url), style={"height": height}, className="chart"),
        dcc.Store(id=ids.drawn(graph_id)),
    ])


def map_card(dataset: Dataset, topojson_url: str, month_controls) -> html.Section:
    return _card(
        "Where the machines went",
        "Click a country to filter every view by it. Grey countries have no data for this metric, which is not the same as zero.",
        _graph(ids.MAP, ViewState(), topojson_url, "520px"),
        month_controls,
    )


def sankey_card() -> html.Section:
    return _card(
        "Who moved machines to whom",
        "Chinese seller or shipper → destination country → receiving farm or operator. Link widths are machines. Click a country or firm to filter.",
        _graph(ids.SANKEY, ViewState(), "", "620px"),
        html.Div(id=ids.UNQUANTIFIED, className="unquantified"),
    )


def energy_card() -> html.Section:
    return _card(
        "What the new load did to the grids",
        "Estimated mining load over time for the selected countries (the four largest destinations when none is selected), against loads reported by officials and companies, with grid events marked.",
        _graph(ids.ENERGY, ViewState(), "", "480px"),
        html.Details([html.Summary("How the load is estimated"), html.P(METHOD_NOTE)], className="method-note", open=True),
    )


def register_view_callbacks(app, dataset: Dataset, topojson_url: str) -> None:
    """Each chart re-renders only when the part of the state it draws has changed.

    The last drawn key (its query string) sits in a Store next to the chart; a URL change
    that leaves it equal (the month, for the Sankey) answers no_update and sends nothing.
    """
    vocab = vocabulary(dataset)
    charts = ((ids.MAP, map_key, map_figure), (ids.ENERGY, energy_key, energy_figure))

    def state_of(search) -> ViewState:
        return parse_query(search if isinstance(search, str) else "", vocab)[0]

    for chart_id, key_of, figure_of in charts:

        @app.callback(Output(chart_id, "figure"), Output(chart_id, "config"), Output(ids.drawn(chart_id), "data"), Input(ids.URL, "search"), State(ids.drawn(chart_id), "data"))
        def render(search, drawn, chart_id=chart_id, key_of=key_of, figure_of=figure_of):
            state = state_of(search)
            key = key_of(state)
            if drawn == key.to_query():
                return no_update, no_update, no_update
            return figure_of(dataset, key), graph_config(chart_id, key, topojson_url), key.to_query()

    @app.callback(Output(ids.SANKEY, "figure"), Output(ids.SANKEY, "config"), Output(ids.UNQUANTIFIED, "children"), Output(ids.drawn(ids.SANKEY), "data"), Input(ids.URL, "search"), State(ids.drawn(ids.SANKEY), "data"))
    def render_sankey(search, drawn):
        state = state_of(search)
        key = sankey_key(state)
        if drawn == key.to_query():
            return no_update, no_update, no_update, no_update
        unquantified = unquantified_reports(dataset, key)
        listing = None
        if not unquantified.empty:
            listing = [html.H3("Reported without a machine count"), html.Ul([html.Li([html.Strong(row.what), f" — {row.note}" if isinstance(row.note, str) else "", html.Span(f" [{row.source_ids}]", className="source-ids")]) for row in unquantified.itertuples()])]
        return sankey_figure(dataset, key), graph_config(ids.SANKEY, key, topojson_url), listing, key.to_query()
