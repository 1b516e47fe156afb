"""Filters, metric, month and toggles (their layout, set to the requested view), Play, and the
clientside callbacks that change metric and month without the server.

What a filter change does is in `components.sync`; what month and metric do, in assets/views.js.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.select import country_choices, empty_reason, firm_choices
from rigflows.state import METRICS, ViewState


def month_marks(months: list[str]) -> dict[int, str]:
    """A label at both ends and every January at least a fifth of the slider from them, so no
    two labels meet on a phone (assets/style.css leans the end labels inwards)."""
    last = len(months) - 1
    gap = max(3, len(months) // 5)
    marks = {index: month for index, month in enumerate(months) if month.endswith("-01") and gap <= index <= last - gap}
    return {0: months[0], **marks, last: months[last]}


def options(choices: list[tuple[str, str]]) -> list[dict]:
    """Dropdown options from `select.country_choices` or `select.firm_choices`."""
    return [{"label": label, "value": value} for value, label in choices]


def empty_result(dataset: Dataset, state: ViewState) -> html.Div:
    """Why nothing matches both filters, and a button that clears either: hidden otherwise."""
    reason = empty_reason(dataset, state)
    return html.Div(
        id=ids.EMPTY_RESULT,
        className="empty-result",
        role="status",
        hidden=reason is None,
        children=[
            html.P(reason, id=ids.EMPTY_MESSAGE),
            html.Button("Clear the firm filter", id=ids.CLEAR_FIRMS, className="button-secondary", n_clicks=0),
            html.Button("Clear the country filter", id=ids.CLEAR_COUNTRIES, className="button-secondary", n_clicks=0),
        ],
    )


def controls_layout(dataset: Dataset, state: ViewState, toggles: list[str]) -> html.Div:
    return html.Div(
        className="controls",
        children=[
            html.Div(
                className="control",
                children=[
                    html.Label("Map shows", htmlFor=ids.METRIC),
                    dcc.RadioItems(id=ids.METRIC, options=[{"label": label, "value": key} for key, label in METRICS.items()], value=state.metric, className="metric-options"),
                ],
            ),
            html.Div(
                className="control",
                children=[
                    html.Label("Countries", htmlFor=ids.COUNTRIES),
                    dcc.Dropdown(id=ids.COUNTRIES, options=options(country_choices(dataset, state)), value=list(state.countries), multi=True, searchable=True, placeholder="All countries (type to search)"),
                ],
            ),
            html.Div(
                className="control",
                children=[
                    html.Label("Firms (sellers, receivers, farm operators)", htmlFor=ids.FIRMS),
                    dcc.Dropdown(id=ids.FIRMS, options=options(firm_choices(dataset, state)), value=list(state.firms), multi=True, searchable=True, placeholder="All firms (type to search)"),
                ],
            ),
            empty_result(dataset, state),
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
                        value=toggles,
                    ),
                    html.Button("Reset all filters", id=ids.RESET, className="button-secondary", n_clicks=0),
                    html.Button("Copy link to this view", id=ids.SHARE, className="button-secondary", n_clicks=0, title="Copy this page's address, which restores exactly this view"),
                    html.Span(id=ids.SHARE_STATUS, className="share-status", **{"aria-live": "polite"}),
                ],
            ),
        ],
    )


def month_label(state: ViewState) -> str:
    """The text above the slider (assets/views.js writes the same text as the month moves)."""
    return f"Month: {state.month}" + (" (not used by the machines map)" if state.metric == "machines" else "")


def month_layout(dataset: Dataset, state: ViewState) -> html.Div:
    months = dataset.months
    return html.Div(
        className="month-row",
        children=[
            html.Button("▶ Play", id=ids.PLAY, n_clicks=0, className="button-play", title="Play the months"),
            html.Div(
                className="month-slider",
                children=[
                    html.Span(month_label(state), id=ids.MONTH_LABEL, className="month-label", **{"aria-live": "polite"}),
                    dcc.Slider(id=ids.MONTH, min=0, max=len(months) - 1, step=1, value=months.index(state.month), marks=month_marks(months), updatemode="mouseup", allow_direct_input=False),
                ],
            ),
            dcc.Interval(id=ids.TICK, interval=900, disabled=True),
        ],
    )


def register_controls_callbacks(app) -> None:
    """Play, the month and metric, and the share link: all in the browser (assets/views.js)."""
    app.clientside_callback(
        ClientsideFunction("rigflows", "play"),
        Output(ids.MONTH, "value", allow_duplicate=True),
        Output(ids.TICK, "disabled"),
        Output(ids.PLAY, "children"),
        Input(ids.PLAY, "n_clicks"),
        Input(ids.TICK, "n_intervals"),
        State(ids.MONTH, "value"),
        State(ids.TICK, "disabled"),
        State(ids.SETTINGS, "data"),
        # What a tick needs to draw the next month at once (assets/views.js, drawAhead).
        State(ids.METRIC, "value"),
        State(ids.FILTER, "data"),
        State(ids.frames(ids.ENERGY), "data"),
        State(ids.ENERGY_TEXTS, "data"),
        *[State(ids.frames(ids.MAP, metric), "data") for metric in METRICS],
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("rigflows", "view"),
        Output(ids.QUERY, "data"),
        Output(ids.MAP, "figure"),
        Output(ids.ENERGY, "figure"),
        Output(ids.MONTH_LABEL, "children"),
        Input(ids.METRIC, "value"),
        Input(ids.MONTH, "value"),
        Input(ids.FILTER, "data"),
        Input(ids.frames(ids.ENERGY), "data"),
        Input(ids.ENERGY_TEXTS, "data"),
        *[Input(ids.frames(ids.MAP, metric), "data") for metric in METRICS],
        State(ids.SETTINGS, "data"),
    )
    app.clientside_callback(
        ClientsideFunction("rigflows", "copyLink"),
        Output(ids.SHARE_STATUS, "children"),
        Input(ids.SHARE, "n_clicks"),
        prevent_initial_call=True,
    )
