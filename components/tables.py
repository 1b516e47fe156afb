"""A table of each chart's data, in a <details> under the chart: the rows behind what it draws
(from rigflows.select), for readers who cannot see the chart or want the numbers.

A table is drawn when it is first opened and redrawn from the address only while it is open:
the summary's clicks tell the page (a clientside callback), so month, metric and Play cost no
request while every table is closed, and the page carries no rows nobody asked for (on large
data, thousands of components that dash-renderer would check on every redraw).
"""

from __future__ import annotations

import math

import pandas as pd
from dash import Input, Output, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.select import energy_series, map_rows, reported_loads, sankey_links, vocabulary, with_month
from rigflows.state import METRICS, ViewState, parse_query

CHARTS = (ids.MAP, ids.SANKEY, ids.ENERGY)


def table_id(chart: str) -> str:
    return f"{chart}-table"


def _number(value, digits: int = 2) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value) else f"{value:,.{digits}f}"


def _range(low, high, digits: int = 2) -> str:
    return f"{_number(low, digits)} – {_number(high, digits)}" if _number(low) and _number(high) else ""


def _table(caption: str, header: list[str], rows: list[list[str]]) -> html.Table:
    return html.Table(className="data-table", children=[
        html.Caption(caption),
        html.Thead(html.Tr([html.Th(name, scope="col") for name in header])),
        html.Tbody([html.Tr([html.Th(row[0], scope="row"), *[html.Td(cell) for cell in row[1:]]]) for row in rows]),
    ])


def chart_tables(dataset: Dataset, state: ViewState, chart: str) -> list:
    """The tables of `chart` ('map', 'sankey' or 'energy') for `state`."""
    state = with_month(dataset, state)
    if chart == ids.MAP:
        rows = map_rows(dataset, state)
        when = "" if state.metric == "machines" else f", {state.month}"
        digits = 0 if state.metric == "machines" else 2
        body = [[row.country, _number(row.value, digits), _range(row.low, row.high, digits), row.status] for row in rows.itertuples()]
        return [_table(f"{METRICS[state.metric]}{when}", ["Country", "Value", "Range", "Status"], body)]
    if chart == ids.SANKEY:
        links = sankey_links(dataset, state)
        body = [[row.source, row.target, row.shown, row.kind.replace("_", " ")] for row in links.itertuples()]
        return [_table("Machines moved, by link (seller → country → receiver)", ["From", "To", "Machines", "Kind"], body)]
    series = energy_series(dataset, state)
    series = series[series["month"] == state.month]
    model = [[row.country, _number(row.load_gw), _range(row.load_gw_low, row.load_gw_high)] for row in series.itertuples()]
    reported = [[row.country, str(row.date_start), row.title, _number(row.value_gw), _range(row.low_gw, row.high_gw)] for row in reported_loads(dataset, state).itertuples()]
    return [
        _table(f"Estimated mining load, {state.month} (GW, model)", ["Country", "Load (GW)", "Range (GW)"], model),
        _table("Reported mining loads and capacities (GW)", ["Country", "Date", "Report", "GW", "Range (GW)"], reported),
    ]


def table_details(chart: str) -> html.Details:
    """The closed <details> of `chart`'s table, filled when opened (`register_table_callbacks`)."""
    return html.Details(className="chart-table", children=[
        html.Summary("Show the data as a table", id=f"{table_id(chart)}-summary", n_clicks=0),
        dcc.Store(id=f"{table_id(chart)}-query"),
        html.Div(id=table_id(chart)),
    ])


def with_table(card: html.Section, details: html.Details) -> html.Section:
    """The card with the table's <details> last, under its chart and controls."""
    card.children = [*card.children, details]
    return card


def register_table_callbacks(app, dataset: Dataset) -> None:
    vocab = vocabulary(dataset)
    for chart in CHARTS:
        app.clientside_callback(
            # Open (an odd number of clicks on the summary): pass the address on; closed: nothing.
            "function (search, clicks) { return clicks % 2 === 1 ? (search || '?') : window.dash_clientside.no_update; }",
            Output(f"{table_id(chart)}-query", "data"),
            Input(ids.QUERY, "data"),
            Input(f"{table_id(chart)}-summary", "n_clicks"),
        )

        @app.callback(Output(table_id(chart), "children"), Input(f"{table_id(chart)}-query", "data"), prevent_initial_call=True)
        def draw_table(search, chart=chart):
            return chart_tables(dataset, parse_query(search if isinstance(search, str) else "", vocab)[0], chart)
