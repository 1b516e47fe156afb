"""Filters, metric, month and toggles (their layout), and the play button's ticker.

What a control change does to the URL and the views is in `components.sync`.
"""

from __future__ import annotations

from dash import Input, Output, State, callback_context, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.select import country_options, default_month, firm_options
from rigflows.state import METRICS, ViewState


def month_marks(months: list[str]) -> dict[int, str]:
    """A label every January and at both ends, so the slider stays readable on a phone."""
    marks = {}
    for index, month in enumerate(months):
        if index in (0, len(months) - 1) or month.endswith("-01"):
            marks[int(index)] = month
    return marks


def controls_layout(dataset: Dataset) -> html.Div:
    countries = country_options(dataset)
    return html.Div(
        className="controls",
        children=[
            html.Div(
                className="control",
                children=[
                    html.Label("Map shows", htmlFor=ids.METRIC),
                    dcc.RadioItems(id=ids.METRIC, options=[{"label": label, "value": key} for key, label in METRICS.items()], value=ViewState().metric, className="metric-options"),
                ],
            ),
            html.Div(
                className="control",
                children=[
                    html.Label("Countries", htmlFor=ids.COUNTRIES),
                    dcc.Dropdown(id=ids.COUNTRIES, options=[{"label": name, "value": code} for code, name in countries.items()], value=[], multi=True, searchable=True, placeholder="All countries (type to search)"),
                ],
            ),
            html.Div(
                className="control",
                children=[
                    html.Label("Firms (sellers, receivers, farm operators)", htmlFor=ids.FIRMS),
                    dcc.Dropdown(id=ids.FIRMS, options=[{"label": firm, "value": firm} for firm in firm_options(dataset)], value=[], multi=True, searchable=True, placeholder="All firms (type to search)"),
                ],
            ),
            html.Div(
                className="control control-toggles",
                children=[
                    dcc.Checklist(
                        id=ids.TOGGLES,
                        options=[
                            {"label": "Energy overlay: farm sites sized by MW, on the grid-strain map", "value": ids.SHOW_FARMS},
                            {"label": "Untracked remainders in the Sankey", "value": ids.SHOW_REMAINDERS},
                            {"label": "Orders of new machines and machines in transit (not received), with delivery dates", "value": ids.SHOW_ORDERS},
                        ],
                        value=[ids.SHOW_REMAINDERS],
                    ),
                    html.Button("Reset all filters", id=ids.RESET, className="button-secondary", n_clicks=0),
                ],
            ),
        ],
    )


def month_layout(dataset: Dataset) -> html.Div:
    months = dataset.months
    return html.Div(
        className="month-row",
        children=[
            html.Button("▶ Play", id=ids.PLAY, n_clicks=0, className="button-play", title="Play the months"),
            html.Div(
                className="month-slider",
                children=[
                    html.Span(id=ids.MONTH_LABEL, className="month-label", **{"aria-live": "polite"}),
                    dcc.Slider(id=ids.MONTH, min=0, max=len(months) - 1, step=1, value=months.index(default_month(dataset)), marks=month_marks(months), updatemode="mouseup", allow_direct_input=False),
                ],
            ),
            dcc.Interval(id=ids.TICK, interval=900, disabled=True),
        ],
    )


def register_controls_callbacks(app, dataset: Dataset) -> None:
    last_month = len(dataset.months) - 1

    @app.callback(
        Output(ids.TICK, "disabled"),
        Output(ids.PLAY, "children"),
        Input(ids.PLAY, "n_clicks"),
        Input(ids.TICK, "n_intervals"),
        State(ids.MONTH, "value"),
        State(ids.TICK, "disabled"),
        prevent_initial_call=True,
    )
    def play_or_pause(_clicks, _ticks, month_index, disabled):
        """Play toggles the ticker; a tick that reaches the last month stops it.

        Only the button and the ticker trigger it, so ordinary filter changes cost no request.
        """
        if callback_context.triggered_id == ids.PLAY:
            playing = bool(disabled)
        else:
            playing = not disabled and month_index != last_month - 1
        return (not playing, "❚❚ Pause" if playing else "▶ Play")
