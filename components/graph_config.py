"""The plotly config every chart gets: offline topojson, 2x PNG export with a telling filename."""

from __future__ import annotations

from rigflows.state import ViewState


def graph_config(chart: str, state: ViewState, topojson_url: str) -> dict:
    """Config for chart `chart` ('map', 'sankey', 'energy') in view `state`.

    `topojsonURL` points plotly.js at the topojson the app serves; without it geo maps fetch
    Plotly's CDN and stay blank offline.
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "topojsonURL": topojson_url,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {
            "format": "png",
            "scale": 2,
            "filename": f"rigflows_{chart}_{state.slug()}",
        },
    }
