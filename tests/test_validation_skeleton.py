"""The page's HTML carries a skeleton of the layout for Dash's callback validation, not the
whole first view (which Dash would otherwise serialise into every page)."""

from __future__ import annotations

import json
import re

from dash import dcc, html
from plotly.utils import PlotlyJSONEncoder

from app import create_app
from components.layout import validation_skeleton

CLIENT = create_app().server.test_client()


def test_the_skeleton_keeps_ids_and_nesting_and_drops_everything_else():
    page = html.Div(className="page", children=[
        dcc.Graph(id="map", figure={"data": [{"type": "scatter", "x": [1, 2]}]}),
        html.Section([html.H2("Sources"), html.Ul([html.Li("a long text")])]),  # no id anywhere: gone
        html.Div(className="card", children=[html.P("intro"), dcc.Store(id="frames", data={"big": list(range(100))})]),
    ])
    assert json.loads(json.dumps(validation_skeleton(page), cls=PlotlyJSONEncoder)) == {
        "props": {"children": [
            {"props": {"id": "map"}, "type": "Graph", "namespace": "dash_core_components"},
            {"props": {"children": [{"props": {"id": "frames"}, "type": "Store", "namespace": "dash_core_components"}]}, "type": "Div", "namespace": "dash_html_components"},
        ]},
        "type": "Div",
        "namespace": "dash_html_components",
    }
    # The layout itself is left as it was.
    assert page.children[0].figure == {"data": [{"type": "scatter", "x": [1, 2]}]}


def test_the_page_html_holds_no_figure_and_stays_small():
    page = CLIENT.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page, re.S).group(1))
    skeleton = json.dumps(config["validation_layout"])
    assert '"figure"' not in skeleton and '"id": "map"' in skeleton and '"id": "energy"' in skeleton
    # The whole first view, figures included, was about 370 KB of it.
    assert len(page) < 60_000
