"""The state callback: a filter control, a click, Reset or the back button becomes a ViewState.

It is the one place the server learns what the reader did. It parses what the components
sent into an event (`rigflows.actions`) at the edge, applies it, sets the controls, and writes
each chart's key Store only when the part of the state that chart draws has changed
(`components.views` draws them, one callback per chart). Metric and month are read, never
sent by themselves: the page changes them clientside (assets/views.js), which also writes the
URL, from the FILTER Store written here. The URL's query string stays the single source of
truth: the page is built from it (`components.layout.build_layout`) and always shows it.
"""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, callback_context, html, no_update

from components import ids
from components.calculator import CALCULATOR_INPUTS, calculator_values, model_event
from components.controls import options
from components.views import state_keys
from rigflows.actions import ClickCountry, ClickFirm, OpenLink, Reset, SetFilters, SetToggles, apply
from rigflows.dataset import Dataset
from rigflows.layers import Drawn, choices, clicked_name, drawn, drawn_vocabulary, layer_empty_reason
from rigflows.select import country_options, method_text
from rigflows.state import FLAGS, ViewState, Vocabulary, clean_state, keep_model, parse_query


def _clicked(click_data, field: str) -> str | None:
    """`field` of the first clicked point ('location' on the map, 'label' on a Sankey node)."""
    try:
        value = click_data["points"][0][field]
    except (TypeError, KeyError, IndexError):
        return None
    return value if isinstance(value, str) else None


def toggles_value(state: ViewState) -> list[str]:
    """The overlay checklist's value for `state`."""
    return [param for name, param in FLAGS.items() if getattr(state, name)]


def filter_data(state: ViewState, vocab: Vocabulary) -> dict:
    """The FILTER Store: the URL's filter part and the keys the page checks its frames against."""
    keys = state_keys(state)
    tail = replace(state, metric=ViewState().metric, month=vocab.default_month)
    return {"tail": tail.to_query(vocab.default_month).lstrip("?"), "map": keys[ids.MAP_FRAMES].to_query(), "energy": keys[ids.ENERGY_FRAMES].to_query(), "slug": state.filter_slug()}


def notices_list(notices: list[str]):
    return html.Ul([html.Li(text) for text in notices], className="notices-list") if notices else None


def country_codes(data: Drawn) -> dict[str, str]:
    """{name: ISO-3} of every country of the data drawn: a Sankey node is clicked by name."""
    layers = [data.main] + ([data.yours] if data.yours is not None else [])
    return {name: code for layer in layers for code, name in country_options(layer).items()}


def register_state_callback(app, dataset: Dataset, dataset_for=lambda token: None) -> None:
    """`dataset_for(token)`: the tab's upload (see `components.views`): the filters, the
    Sankey's clicks and the calculator name what the tab draws, the upload's names included."""
    months = list(drawn_vocabulary(dataset, drawn(dataset, None, None)).months)

    @app.callback(
        Output(ids.METRIC, "value"),
        Output(ids.MONTH, "value"),
        Output(ids.COUNTRIES, "value"),
        Output(ids.FIRMS, "value"),
        Output(ids.TOGGLES, "value"),
        Output(ids.NOTICES, "children"),
        Output(ids.FILTER, "data"),
        *[Output(ids.key(part), "data") for part in ids.KEYED],
        Output(ids.CALC_PRESET, "value"),
        Output(ids.CALC_EFFICIENCY, "value"),
        Output(ids.CALC_PUE, "value"),
        Output(ids.CALC_VERSION, "value"),
        Output(ids.CALC_SHARES, "value"),
        Output(ids.CALC_MESSAGE, "children"),
        Output(ids.CALC_FORMULA, "children"),
        Output(ids.COUNTRIES, "options"),
        Output(ids.FIRMS, "options"),
        Output(ids.EMPTY_RESULT, "hidden"),
        Output(ids.EMPTY_MESSAGE, "children"),
        Input(ids.NAVIGATE, "data"),
        Input(ids.COUNTRIES, "value"),
        Input(ids.FIRMS, "value"),
        Input(ids.TOGGLES, "value"),
        Input(ids.RESET, "n_clicks"),
        Input(ids.MAP, "clickData"),
        Input(ids.SANKEY, "clickData"),
        Input(ids.CLEAR_FIRMS, "n_clicks"),
        Input(ids.CLEAR_COUNTRIES, "n_clicks"),
        *[Input(control, "value") for control in CALCULATOR_INPUTS],
        Input(ids.UPLOAD_TOKEN, "data"),
        Input(ids.UPLOAD_MODE, "value"),
        State(ids.METRIC, "value"),
        State(ids.MONTH, "value"),
        *[State(ids.key(part), "data") for part in ids.KEYED],
        prevent_initial_call=True,
    )
    def on_reader_action(navigate, countries, firms, toggles, _reset, map_click, sankey_click, _clear_firms, _clear_countries, preset, efficiency, pue, version, shares, upload_token, upload_mode, metric, month_index, *drawn_keys):
        trigger = callback_context.triggered_id
        data = drawn(dataset, dataset_for(upload_token), upload_mode)
        vocab = drawn_vocabulary(dataset, data)
        toggles = toggles if isinstance(toggles, list) else []
        month = months[month_index] if isinstance(month_index, int) and not isinstance(month_index, bool) and 0 <= month_index < len(months) else None
        now, notices = clean_state(vocab, metric, month, countries, firms, **{name: param in toggles for name, param in FLAGS.items()})
        # The overlay as it was before this event: the map frames' key remembers it.
        frames_key = drawn_keys[ids.KEYED.index(ids.MAP_FRAMES)]
        frames_state = parse_query(frames_key if isinstance(frames_key, str) else "", vocab)[0]
        # ...and the load model, which the frames are drawn with.
        before = keep_model(replace(now, show_farms=frames_state.show_farms), frames_state)
        event, model_notices = None, []
        if trigger == ids.NAVIGATE:
            linked, notices = parse_query(navigate if isinstance(navigate, str) else "", vocab)
            event = OpenLink(linked)
        elif trigger in (ids.COUNTRIES, ids.FIRMS):
            event = SetFilters(now.countries, now.firms)
        elif trigger == ids.TOGGLES:
            event = SetToggles(frozenset(name for name in FLAGS if getattr(now, name)))
        elif trigger == ids.CLEAR_FIRMS:
            event = SetFilters(now.countries, ())
        elif trigger == ids.CLEAR_COUNTRIES:
            event = SetFilters((), now.firms)
        elif trigger == ids.RESET:
            event, notices = Reset(), []
        elif trigger == ids.MAP:
            # A country, or a flow line (whose customdata is its destination's code).
            event = ClickCountry(_clicked(map_click, "location") or _clicked(map_click, "customdata") or "")
        elif trigger == ids.SANKEY:
            label = clicked_name(_clicked(sankey_click, "label") or "")
            country_by_name = country_codes(data)
            event = ClickCountry(country_by_name[label]) if label in country_by_name else ClickFirm(label)
        elif trigger in CALCULATOR_INPUTS:
            event, model_notices = model_event(data.main, vocab, before, trigger, preset, efficiency, pue, version, shares)
        state = apply(event, before, vocab) if event else before

        def changed(value, sent):
            return no_update if value == sent else value

        keys = [key.to_query() for key in state_keys(state).values()]
        reason = layer_empty_reason(data, state)
        country_options_now, firm_options_now = choices(data, state)
        return (
            changed(state.metric, metric),
            changed(months.index(state.month), month_index),
            changed(list(state.countries), countries),
            changed(list(state.firms), firms),
            changed(toggles_value(state), toggles),
            notices_list(notices),
            filter_data(state, vocab),
            *[changed(key, sent) for key, sent in zip(keys, drawn_keys)],
            *[changed(value, sent) for value, sent in zip(calculator_values(data.main, state, trigger, preset), (preset, efficiency, pue, version, shares))],
            " ".join(model_notices) or None,
            method_text(data.main, state),
            # The options narrowed by the other filter, with counts (select.country_choices).
            options(country_options_now),
            options(firm_options_now),
            reason is None,
            reason,
        )
