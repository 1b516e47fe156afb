"""The page's one callback: whatever the reader did, one request updates the URL, the controls
and every view.

The URL's query string is the single source of truth: a control change or a click becomes a
ViewState, which is written to the URL and rendered; opening a link (or going back) parses the
URL into the same ViewState. Charts whose part of the state did not change answer no_update.
"""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, callback_context, html, no_update

from components import ids
from components.sources import sources_panel
from components.views import render_views, view_outputs, view_states
from rigflows.dataset import Dataset
from rigflows.select import country_options, vocabulary
from rigflows.state import ViewState, clean_state, next_month, parse_query, toggle_country, toggle_firm


def _clicked(click_data, field: str) -> str | None:
    """`field` of the first clicked point ('location' on the map, 'label' on a Sankey node)."""
    try:
        value = click_data["points"][0][field]
    except (TypeError, KeyError, IndexError):
        return None
    return value if isinstance(value, str) else None


def register_sync_callback(app, dataset: Dataset, topojson_url: str, dataset_for=lambda token: None) -> None:
    """`dataset_for(token)`: the reader's uploaded Dataset for their upload token, drawn instead
    of `dataset` while it lives (None: the bundled data)."""
    vocab = vocabulary(dataset)
    months = vocab.months
    country_by_name = {name: code for code, name in country_options(dataset).items()}

    def state_from_url(search) -> tuple[ViewState, list[str]]:
        return parse_query(search if isinstance(search, str) else "", vocab)

    @app.callback(
        Output(ids.URL, "search"),
        Output(ids.METRIC, "value"),
        Output(ids.MONTH, "value"),
        Output(ids.COUNTRIES, "value"),
        Output(ids.FIRMS, "value"),
        Output(ids.TOGGLES, "value"),
        Output(ids.MONTH_LABEL, "children"),
        Output(ids.NOTICES, "children"),
        Output(ids.SOURCES, "children"),
        *view_outputs(),
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
        Input(ids.UPLOAD_TOKEN, "data"),
        *view_states(),
    )
    def sync_state(search, metric, month_index, countries, firms, toggles, _reset, map_click, sankey_click, _tick, upload_token, *drawn):
        trigger = callback_context.triggered_id
        shown = dataset_for(upload_token) or dataset
        if trigger == ids.UPLOAD_TOKEN:  # same view, other data: redraw every chart
            drawn = (None,) * len(drawn)
        if trigger in (None, ids.URL, ids.UPLOAD_TOKEN):  # a new upload changes the data, not the view
            state, notices = state_from_url(search)
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
            elif trigger == ids.TOGGLES and state.show_farms and not state_from_url(search)[0].show_farms:
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
            sources_panel(shown, state),
            *render_views(shown, state, list(drawn), topojson_url),
        )
