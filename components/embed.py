"""One chart alone, for an iframe (`?embed=map`, `sankey` or `energy`).

The chart is the same figure the full page draws for the same query (its title and source
line are inside it), with a link to the full view and no controls: an embed is a fixed view.
"""

from __future__ import annotations

from dash import dcc, html

from components.graph_config import graph_config
from rigflows.dataset import Dataset
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.state import ViewState

#: Each embeddable chart: how to draw it, its height, and what the link back says.
_CHARTS = {
    "map": (lambda dataset, state: map_figure(dataset, map_key(state)), "520px"),
    "sankey": (lambda dataset, state: sankey_figure(dataset, sankey_key(state)), "620px"),
    "energy": (lambda dataset, state: energy_figure(dataset, energy_key(state)), "480px"),
}


def embed_id(chart: str) -> str:
    return f"embed-{chart}"


def embed_layout(dataset: Dataset, state: ViewState, chart: str, topojson_url: str, full_view: str) -> html.Div:
    """`chart` of `state` alone, linking to `full_view` (the page's address without `embed`)."""
    draw, height = _CHARTS[chart]
    return html.Div(
        className="embed",
        children=[
            dcc.Graph(id=embed_id(chart), figure=draw(dataset, state).figure, config=graph_config(chart, topojson_url), style={"height": height}, className="chart"),
            html.P(html.A("Open the full view on Rig Flows, with every source", href=full_view, target="_blank", rel="noopener", className="embed-link"), className="embed-footer"),
        ],
    )
