"""The grid-strain calculator's controls: fleet efficiency (a preset or a number), overhead,
the CBECI version and, optionally, the reader's hashrate share of a country in a month.

The controls are inputs of the state callback (`components.sync`): a change becomes a
`SetModel` event, so the assumptions live in the ViewState and the URL like every filter, and
the charts, frames, CSV and sources follow. The pure parts are `rigflows.state.set_model`
(validation with notices) and `rigflows.select.method_text` (the formula with the reader's
values).
"""

from __future__ import annotations

from dash import dcc, html

from components import ids
from rigflows.actions import SetModel
from rigflows.dataset import Dataset
from rigflows.models import VERSION_LABELS
from rigflows.select import efficiency_presets, method_text, vocabulary
from rigflows.state import PUE_RANGE, SHARE_FORMAT, ViewState, Vocabulary, set_model, shares_text

#: The controls whose change is a SetModel event, in the state callback's input order.
CALCULATOR_INPUTS = (ids.CALC_PRESET, ids.CALC_EFFICIENCY, ids.CALC_PUE, ids.CALC_VERSION, ids.CALC_SHARES)
CBECI_OWN = "cbeci"
CUSTOM = "custom"
PUE_STEP = 0.05


def calculator_layout(dataset: Dataset, state: ViewState) -> html.Section:
    """The calculator showing the assumptions of `state` (the page's URL)."""
    presets = efficiency_presets(dataset)
    months = dataset.months
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
                dcc.Dropdown(id=ids.CALC_PRESET, options=options, value=preset_for(state.efficiency, presets), clearable=False, searchable=False),
            ]),
            html.Div(className="control", children=[
                html.Label("Fleet efficiency, J/TH" + (f" ({span[0]:g}–{span[1]:g})" if span else ""), htmlFor=ids.CALC_EFFICIENCY),
                dcc.Input(
                    id=ids.CALC_EFFICIENCY, value=state.efficiency, type="number", debounce=True, placeholder="CBECI's own, month by month",
                    step="any", disabled=span is None,
                ),
            ]),
            html.Div(className="control", children=[
                html.Label("Overhead: cooling and losses (PUE)", htmlFor=ids.CALC_PUE),
                dcc.Slider(id=ids.CALC_PUE, min=low, max=high, step=PUE_STEP, value=state.pue, marks={low: f"{low:g}", high: f"{high:g}"}, tooltip={"placement": "bottom"}, updatemode="mouseup"),
            ]),
            html.Div(className="control", children=[
                html.Label("CBECI model version", htmlFor=ids.CALC_VERSION),
                dcc.RadioItems(id=ids.CALC_VERSION, options=[{"label": label, "value": key} for key, label in VERSION_LABELS.items()], value=state.cbeci, className="metric-options"),
            ]),
            html.Div(className="control", children=[
                html.Label(f"Optional: your hashrate share of a country in a month, in % ({SHARE_FORMAT}; several separated by commas; months {months[0]} to {months[-1]})", htmlFor=ids.CALC_SHARES),
                dcc.Input(id=ids.CALC_SHARES, value=shares_text(state.shares), type="text", debounce=True, placeholder="CBECI's shares", maxLength=400, spellCheck=False),
            ]),
            html.P(id=ids.CALC_MESSAGE, className="notices", role="status"),
            html.Details([html.Summary("The formula with your values"), html.P(method_text(dataset, state), id=ids.CALC_FORMULA)], className="method-note", open=True),
        ],
    )


def preset_for(efficiency: float | None, presets: tuple[dict, ...]) -> str:
    """The dropdown value that matches an efficiency: CBECI's own, a preset, or custom."""
    if efficiency is None:
        return CBECI_OWN
    return next((preset["value"] for preset in presets if preset["j_per_th"] == efficiency), CUSTOM)


def model_event(dataset: Dataset, vocab: Vocabulary, state: ViewState, trigger: str, preset, efficiency, pue, version, shares=None) -> tuple[SetModel | None, list[str]]:
    """The calculator control `trigger` changed: the assumptions it sets, and notices for a bad
    value (which falls back to the default). Choosing "your own figure" changes nothing yet."""
    if trigger == ids.CALC_PRESET:
        if preset == CUSTOM:
            return None, []
        efficiency = {item["value"]: item["j_per_th"] for item in efficiency_presets(dataset)}.get(preset) if isinstance(preset, str) else None
    model, notices = set_model(state, vocab, version, efficiency, pue, shares)
    return SetModel(model), notices


def calculator_values(dataset: Dataset, state: ViewState, trigger, preset) -> tuple:
    """The controls' values for `state`, in CALCULATOR_INPUTS order ("your own figure" stays
    chosen while the reader types it)."""
    shown = CUSTOM if trigger == ids.CALC_PRESET and preset == CUSTOM else preset_for(state.efficiency, efficiency_presets(dataset))
    return (shown, state.efficiency, state.pue, state.cbeci, shares_text(state.shares))
