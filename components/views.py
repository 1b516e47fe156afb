"""The three charts (map, Sankey, energy): their cards and their render callbacks.

Each callback reads the URL, turns it into a ViewState and hands it to the pure select and
figure functions; an empty selection gets a message instead of an empty axis.
"""

from __future__ import annotations

from dash import Input, Output, dcc, html

from components import ids
from components.graph_config import graph_config
from rigflows.dataset import Dataset
from rigflows.figures.choropleth import build_choropleth_figure
from rigflows.figures.energy import build_energy_figure
from rigflows.figures.sankey import build_sankey_figure
from rigflows.figures.style import empty_figure, period_label
from rigflows.models import METHOD_NOTE
from rigflows.select import energy_series, farm_markers, flows_period, grid_events, map_rows, reported_loads, sankey_links, unquantified_reports, vocabulary
from rigflows.state import METRICS, ViewState, parse_query


def _card(title: str, intro: str, *children, class_name: str = "") -> html.Section:
    return html.Section(className=f"card {class_name}".strip(), children=[html.H2(title), html.P(intro, className="card-intro"), *children])


def _graph(graph_id: str, state: ViewState, topojson_url: str, height: str) -> dcc.Graph:
    return dcc.Graph(id=graph_id, config=graph_config(graph_id, state, topojson_url), style={"height": height}, className="chart")


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
    vocab = vocabulary(dataset)

    def state_of(search) -> ViewState:
        return parse_query(search if isinstance(search, str) else "", vocab)[0]

    @app.callback(Output(ids.MAP, "figure"), Output(ids.MAP, "config"), Input(ids.URL, "search"))
    def render_map(search):
        state = state_of(search)
        rows = map_rows(dataset, state)
        farms = farm_markers(dataset, state) if state.show_farms else None
        if rows.empty and (farms is None or farms.empty):
            figure = empty_figure(f"Nothing to map for this selection ({METRICS[state.metric]}). Try another metric or reset the filters.")
        else:
            figure = build_choropleth_figure(rows, farms, state, period=period_label(flows_period(dataset, state)))
        return figure, graph_config(ids.MAP, state, topojson_url)

    @app.callback(Output(ids.SANKEY, "figure"), Output(ids.SANKEY, "config"), Output(ids.UNQUANTIFIED, "children"), Input(ids.URL, "search"))
    def render_sankey(search):
        state = state_of(search)
        links = sankey_links(dataset, state)
        figure = build_sankey_figure(links, state, period=period_label(flows_period(dataset, state))) if not links.empty else empty_figure("No reported flows with a machine count match this selection.")
        unquantified = unquantified_reports(dataset, state)
        listing = None
        if not unquantified.empty:
            listing = [html.H3("Reported without a machine count"), html.Ul([html.Li([html.Strong(row.what), f" — {row.note}" if isinstance(row.note, str) else "", html.Span(f" [{row.source_ids}]", className="source-ids")]) for row in unquantified.itertuples()])]
        return figure, graph_config(ids.SANKEY, state, topojson_url), listing

    @app.callback(Output(ids.ENERGY, "figure"), Output(ids.ENERGY, "config"), Input(ids.URL, "search"))
    def render_energy(search):
        state = state_of(search)
        series = energy_series(dataset, state)
        if series.empty:
            figure = empty_figure("No country in this selection has hashrate data, so no mining load can be estimated.")
        else:
            figure = build_energy_figure(series, reported_loads(dataset, state), grid_events(dataset, state), state)
        return figure, graph_config(ids.ENERGY, state, topojson_url)
