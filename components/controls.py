"""Filters, metric, month and toggles, and the callback that keeps them, the URL and clicks in step.

The URL's query string is the single source of truth: every control change is written to it,
and every view renders from it (see `rigflows.state`).
"""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback_context, dcc, html, no_update

from components import ids
from rigflows.dataset import Dataset
from rigflows.select import country_options, firm_options, vocabulary
from rigflows.state import METRICS, ViewState, clean_state, next_month, parse_query, toggle_country, toggle_firm


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
                    dcc.Slider(id=ids.MONTH, min=0, max=len(months) - 1, step=1, value=months.index(ViewState().month), marks=month_marks(months), updatemode="mouseup", allow_direct_input=False),
                ],
            ),
            dcc.Interval(id=ids.TICK, interval=900, disabled=True),
        ],
    )


def _clicked(click_data, field: str) -> str | None:
    """`field` of the first clicked point ('location' on the map, 'label' on a Sankey node)."""
    try:
        value = click_data["points"][0][field]
    except (TypeError, KeyError, IndexError):
        return None
    return value if isinstance(value, str) else None


def register_controls_callbacks(app, dataset: Dataset) -> None:
    vocab = vocabulary(dataset)
    months = vocab.months
    country_by_name = {name: code for code, name in country_options(dataset).items()}

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.METRIC, "value"),
        Output(ids.MONTH, "value"),
        Output(ids.COUNTRIES, "value"),
        Output(ids.FIRMS, "value"),
        Output(ids.TOGGLES, "value"),
        Output(ids.MONTH_LABEL, "children"),
        Output(ids.NOTICES, "children"),
        Input(ids.URL, "search"),
        Input(ids.METRIC, "value"),
        Input(ids.MONTH, "value"),
        Input(ids.COUNTRIES, "value"),
        Input(ids.FIRMS, "value"),
        Input(ids.TOGGLES, "value"),
        Input(ids.RESET, "n_clicks"),
        Input(ids.MAP, "clickData"),
        Input(ids.SANKEY, "clickData"),
        Input(ids.TICK, "n_intervals"),
    )
    def sync_state(search, metric, month_index, countries, firms, toggles, _reset, map_click, sankey_click, _tick):
        trigger = callback_context.triggered_id
        if trigger in (None, ids.URL):
            state, notices = parse_query(search if isinstance(search, str) else "", vocab)
        else:
            toggles = toggles if isinstance(toggles, list) else []
            month = months[month_index] if isinstance(month_index, int) and 0 <= month_index < len(months) else None
            state, notices = clean_state(vocab, metric, month, countries, firms, ids.SHOW_FARMS in toggles, ids.SHOW_REMAINDERS in toggles)
            if trigger == ids.RESET:
                state, notices = ViewState(month=vocab.default_month), []
            elif trigger == ids.MAP:
                # A country, or a flow line (whose customdata is its destination's code).
                country = _clicked(map_click, "location") or _clicked(map_click, "customdata")
                state = toggle_country(state, country) if country in vocab.countries else state
            elif trigger == ids.SANKEY:
                label = _clicked(sankey_click, "label")
                if label in country_by_name:
                    state = toggle_country(state, country_by_name[label])
                elif label in vocab.firms:
                    state = toggle_firm(state, label)
            elif trigger == ids.TICK:
                state = next_month(state, months)
            elif trigger == ids.TOGGLES and state.show_farms and not parse_query(search if isinstance(search, str) else "", vocab)[0].show_farms:
                # Turning the energy overlay on shows the farms on the strain map.
                state = replace(state, metric="strain")
        query = state.to_query()
        toggles_out = [value for value, on in ((ids.SHOW_FARMS, state.show_farms), (ids.SHOW_REMAINDERS, state.show_remainders)) if on]
        notice_items = [html.Li(text) for text in notices]
        return (
            no_update if query == (search or "") else query,
            state.metric,
            months.index(state.month),
            list(state.countries),
            list(state.firms),
            toggles_out,
            f"Month: {state.month}" + (" (not used by the machines map)" if state.metric == "machines" else ""),
            html.Ul(notice_items, className="notices-list") if notice_items else None,
        )

    @app.callback(
        Output(ids.TICK, "disabled"),
        Output(ids.PLAY, "children"),
        Input(ids.PLAY, "n_clicks"),
        Input(ids.MONTH, "value"),
        State(ids.TICK, "disabled"),
        prevent_initial_call=True,
    )
    def play_or_pause(_clicks, month_index, disabled):
        """Play toggles the ticker; reaching the last month stops it."""
        if callback_context.triggered_id == ids.PLAY:
            playing = bool(disabled)
        else:
            playing = not disabled and month_index != len(months) - 1
        return (not playing, "❚❚ Pause" if playing else "▶ Play")
