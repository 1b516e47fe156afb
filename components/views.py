"""The three charts (map, Sankey, energy): their cards, and what one render writes into them.

`render_views` is called by the page's single callback (`components.sync`) with the ViewState:
each chart is redrawn only when the part of the state it draws has changed, from the pure,
cached figure functions in `rigflows.render`.
"""

from __future__ import annotations

from functools import lru_cache

from dash import Output, State, dcc, html, no_update

from components import ids
from components.graph_config import graph_config
from rigflows.dataset import Dataset
from rigflows.models import METHOD_NOTE
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.select import unquantified_reports
from rigflows.state import ViewState


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


#: (chart id, the part of the state it draws, its cached figure)
CHARTS = ((ids.MAP, map_key, map_figure), (ids.SANKEY, sankey_key, sankey_figure), (ids.ENERGY, energy_key, energy_figure))


def view_outputs() -> list[Output]:
    """What `render_views` writes, in order: figure, config and drawn key of each chart, then
    the Sankey's list of flows without a count."""
    outputs = []
    for chart_id, _, _ in CHARTS:
        outputs += [Output(chart_id, "figure"), Output(chart_id, "config"), Output(ids.drawn(chart_id), "data")]
    return outputs + [Output(ids.UNQUANTIFIED, "children")]


def view_states() -> list[State]:
    """The view each chart last drew (its key as a query string), in CHARTS order."""
    return [State(ids.drawn(chart_id), "data") for chart_id, _, _ in CHARTS]


def render_views(dataset: Dataset, state: ViewState, drawn: list, topojson_url: str) -> list:
    """Values for `view_outputs()`: no_update for every chart whose part of the state is unchanged."""
    values = []
    sankey_changed = False
    for (chart_id, key_of, figure_of), last in zip(CHARTS, drawn):
        key = key_of(state)
        if last == key.to_query():
            values += [no_update] * 3
            continue
        sankey_changed |= chart_id == ids.SANKEY
        values += [figure_of(dataset, key).figure, graph_config(chart_id, key, topojson_url), key.to_query()]
    return values + [unquantified_listing(dataset, sankey_key(state)) if sankey_changed else no_update]


@lru_cache(maxsize=256)
def unquantified_listing(dataset: Dataset, key: ViewState) -> list | None:
    """The flows and totals reported without a machine count, under the Sankey."""
    unquantified = unquantified_reports(dataset, key)
    if unquantified.empty:
        return None
    items = [
        html.Li([html.Strong(row.what), f" — {row.note}" if isinstance(row.note, str) else "", html.Span(f" [{row.source_ids}]", className="source-ids")])
        for row in unquantified.itertuples()
    ]
    return [html.H3("Reported but not drawn (no count, plans, and orders while their layer is off)"), html.Ul(items)]
