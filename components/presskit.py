"""Exports that carry their context: the press kit's read-only endpoint, its buttons, and the
elements holding each chart's accessible name and text alternative in the page.

`GET /api/v1/presskit.json?<the page's query>` answers `rigflows.presskit.press_kit` for the
view the query describes (a bad value falls back, and says so in `notices`, as on the page).
`assets/presskit.js` fetches it to caption every exported PNG and SVG and to build the zip.
It also fills the name and alt text elements from the drawn figure's `layout.meta`
(`rigflows.alttext`), so describing a month drawn in the browser asks the server nothing.
"""

from __future__ import annotations

from datetime import datetime, timezone

from dash import Input, Output, html
from flask import jsonify, request

from rigflows.dataset import Dataset
from rigflows.layers import drawn, drawn_vocabulary, layered_export
from rigflows.presskit import CHARTS, press_kit
from rigflows.state import parse_query

ENDPOINT = "api/v1/presskit.json"
PRESSKIT_BUTTON = "download-presskit"
SVG_BUTTON = "download-svgs"
STATUS = "presskit-status"


def name_id(chart: str) -> str:
    """The visually hidden element holding a chart's accessible name (its title)."""
    return f"{chart}-name"


def alt_id(chart: str) -> str:
    """The visually hidden element holding a chart's text alternative (its alt text)."""
    return f"{chart}-alt"


def presskit_controls() -> html.Div:
    """The press kit and SVG buttons, and the charts' hidden names and descriptions (empty
    here: assets/presskit.js copies them from each figure as it is drawn)."""
    return html.Div(className="presskit", children=[
        html.Button("Download all charts (SVG)", id=SVG_BUTTON, n_clicks=0),
        html.Button("Press kit (zip)", id=PRESSKIT_BUTTON, n_clicks=0, title="Every chart as PNG and SVG with captions, the CSV, a citation, alt text, the link and the sources' licences"),
        html.Span(id=STATUS, className="png-status", **{"aria-live": "polite"}),
        html.Div(className="visually-hidden", children=[
            element for chart in CHARTS for element in (html.Span(id=name_id(chart)), html.P(id=alt_id(chart)))
        ]),
    ])


#: Headers the page's press kit request carries when its tab draws an upload (assets/presskit.js):
#: the tab's upload key (never in the URL) and "instead" or "beside".
UPLOAD_HEADER = "X-Rigflows-Upload"
LAYER_HEADER = "X-Rigflows-Layer"
YOUR_DATA_NOTE = (
    "Your data (not shared): this kit was made in a tab that draws the reader's own upload {how}. "
    "The CSV's 'layer' column says whose each row is; the link opens the bundled data only.\n"
)


def register_presskit(app, dataset: Dataset, dataset_for=lambda token: None) -> None:
    """The endpoint and the buttons' browser callbacks (assets/presskit.js)."""
    server = app.server
    prefix = app.config.requests_pathname_prefix

    def presskit_json():
        data = drawn(dataset, dataset_for(request.headers.get(UPLOAD_HEADER)), request.headers.get(LAYER_HEADER))
        state, notices = parse_query(request.query_string.decode("utf-8", "replace"), drawn_vocabulary(dataset, data))
        base_url = request.host_url.rstrip("/") + prefix
        kit = press_kit(data.main, state, base_url, datetime.now(timezone.utc).date(), table=layered_export(dataset, data, state))
        if data.main is not dataset or data.yours is not None:
            how = "beside the bundled data, as a marked layer" if data.yours is not None else "instead of the bundled data"
            kit["files"]["your-data.txt"] = YOUR_DATA_NOTE.format(how=how)
        response = jsonify({**kit, "notices": notices})
        response.headers["Cache-Control"] = "no-store"  # it carries today's date
        return response

    server.add_url_rule(app.config.routes_pathname_prefix + ENDPOINT, "presskit_json", presskit_json, methods=["GET"])

    app.clientside_callback("window.rigflowsPresskit.downloadPressKit", Output(STATUS, "children"), Input(PRESSKIT_BUTTON, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback("window.rigflowsPresskit.downloadAllSvg", Output(STATUS, "children", allow_duplicate=True), Input(SVG_BUTTON, "n_clicks"), prevent_initial_call=True)
