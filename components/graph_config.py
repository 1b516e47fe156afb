"""The plotly config of each chart, set once in the layout.

A config that changes makes plotly.js redraw from scratch (and drop the map's zoom), so it
never depends on the view: the PNG filename that names the view is chosen in the browser at
download time (assets/views.js). Every modebar button stays on this machine: no Plotly Cloud
upload or "edit in Chart Studio" link; the page has its own "copy link" instead.
"""

from __future__ import annotations

#: Modebar buttons that would send the chart off the machine, or do nothing useful here.
REMOVED_BUTTONS = ["sendDataToCloud", "editInChartStudio", "select2d", "lasso2d"]


def graph_config(chart: str, topojson_url: str) -> dict:
    """Config for chart `chart` ('map', 'sankey', 'energy').

    `topojsonURL` points plotly.js at the topojson the app serves; without it geo maps fetch
    Plotly's CDN and stay blank offline.
    """
    return {
        "displaylogo": False,
        "responsive": True,
        "topojsonURL": topojson_url,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "modeBarButtonsToRemove": REMOVED_BUTTONS,
        "toImageButtonOptions": {"format": "png", "scale": 2, "filename": f"rigflows_{chart}"},
    }
