"""The grid-strain calculator's controls: fleet efficiency (a preset or a number), overhead and
the CBECI version.

Its one callback writes the reader's assumptions into the URL (the page's single source of
truth), and sets the controls from the URL when a link is opened; `components.sync` then
renders every view from the URL. The pure parts are `rigflows.state.set_model` (validation
with notices) and `rigflows.select.method_text` (the formula with the reader's values).
"""

from __future__ import annotations

from dash import Input, Output, callback_context, dcc, html, no_update

from components import ids
from rigflows.dataset import Dataset
from rigflows.models import VERSION_LABELS
from rigflows.select import efficiency_presets, method_text, vocabulary
from rigflows.state import DEFAULT_PUE, PUE_RANGE, ViewState, parse_query, set_model

CBECI_OWN = "cbeci"
CUSTOM = "custom"
PUE_STEP = 0.05


def calculator_layout(dataset: Dataset) -> html.Section:
    presets = efficiency_presets(dataset)
    options = [{"label": "CBECI's own efficiency (the default model)", "value": CBECI_OWN}]
    options += [{"label": preset["label"], "value": preset["value"]} for preset in presets]
    options.append({"label": "Your own figure (type it below)", "value": CUSTOM})
    span = vocabulary(dataset).efficiency_range
    low, high = PUE_RANGE
    return html.Section(
        className="card calculator",
        children=[
            html.H2("Grid-strain calculator"),
            html.P("Change the model's assumptions: the map's load and strain, the energy chart and the CSV follow; the default model stays on the energy chart, dotted.", className="card-intro"),
            html.Div(className="control", children=[
                html.Label("Fleet efficiency (CCAF hardware list)", htmlFor=ids.CALC_PRESET),
                dcc.Dropdown(id=ids.CALC_PRESET, options=options, value=CBECI_OWN, clearable=False, searchable=False),
            ]),
            html.Div(className="control", children=[
                html.Label("Fleet efficiency, J/TH" + (f" ({span[0]:g}–{span[1]:g})" if span else ""), htmlFor=ids.CALC_EFFICIENCY),
                dcc.Input(
                    id=ids.CALC_EFFICIENCY, type="number", debounce=True, placeholder="CBECI's own, month by month",
                    step="any", disabled=span is None,
                ),
            ]),
            html.Div(className="control", children=[
                html.Label("Overhead: cooling and losses (PUE)", htmlFor=ids.CALC_PUE),
                dcc.Slider(id=ids.CALC_PUE, min=low, max=high, step=PUE_STEP, value=DEFAULT_PUE, marks={low: f"{low:g}", high: f"{high:g}"}, tooltip={"placement": "bottom"}, updatemode="mouseup"),
            ]),
            html.Div(className="control", children=[
                html.Label("CBECI model version", htmlFor=ids.CALC_VERSION),
                dcc.RadioItems(id=ids.CALC_VERSION, options=[{"label": label, "value": key} for key, label in VERSION_LABELS.items()], value=ViewState().cbeci, className="metric-options"),
            ]),
            html.P(id=ids.CALC_MESSAGE, className="notices", role="status"),
            html.Details([html.Summary("The formula with your values"), html.P(id=ids.CALC_FORMULA)], className="method-note", open=True),
        ],
    )


def preset_for(efficiency: float | None, presets: list[dict]) -> str:
    """The dropdown value that matches an efficiency: CBECI's own, a preset, or custom."""
    if efficiency is None:
        return CBECI_OWN
    return next((preset["value"] for preset in presets if preset["j_per_th"] == efficiency), CUSTOM)


def register_calculator_callbacks(app, dataset: Dataset) -> None:
    vocab = vocabulary(dataset)
    presets = efficiency_presets(dataset)
    preset_values = {preset["value"]: preset["j_per_th"] for preset in presets}

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.CALC_PRESET, "value"),
        Output(ids.CALC_EFFICIENCY, "value"),
        Output(ids.CALC_PUE, "value"),
        Output(ids.CALC_VERSION, "value"),
        Output(ids.CALC_MESSAGE, "children"),
        Output(ids.CALC_FORMULA, "children"),
        Input(ids.URL, "search"),
        Input(ids.CALC_PRESET, "value"),
        Input(ids.CALC_EFFICIENCY, "value"),
        Input(ids.CALC_PUE, "value"),
        Input(ids.CALC_VERSION, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def calculate(search, preset, efficiency, pue, version):
        current, _ = parse_query(search if isinstance(search, str) else "", vocab)
        trigger = callback_context.triggered_id
        if trigger in (None, ids.URL):
            # A link opened or the views changed the URL: the controls show its assumptions.
            return (no_update, preset_for(current.efficiency, presets), current.efficiency, current.pue, current.cbeci, None, method_text(dataset, current))
        if trigger == ids.CALC_PRESET:
            if preset == CUSTOM:
                return (no_update,) * 6 + (method_text(dataset, current),)
            efficiency = preset_values.get(preset) if isinstance(preset, str) else None
        state, notices = set_model(current, vocab, version, efficiency, pue)
        query = state.to_query()
        return (
            no_update if query == (search or "") else query,
            preset_for(state.efficiency, presets) if trigger == ids.CALC_PRESET or not notices else no_update,
            state.efficiency if trigger == ids.CALC_PRESET else no_update,
            no_update,
            no_update,
            " ".join(notices) or None,
            method_text(dataset, state),
        )
