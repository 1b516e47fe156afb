"""The three charts (map, Sankey, energy): their cards, and one server callback per chart.

Each chart's callback listens to its own key Store (`ids.key`), which the state callback
(`components.sync`) writes only when the part of the state that chart draws has changed: an
unchanged chart costs no request, and gunicorn workers draw the charts of one interaction in
parallel. The map and the energy chart are sent as every month and metric of the filter
(`ids.frames`: the map's one Store per metric, the energy chart's frames and its texts,
`ids.ENERGY_TEXTS`, apart), which the page's clientside code draws from (assets/views.js): month, metric
and Play never reach the server, and a new filter builds each chart once. Each callback also
listens to the tab's upload token, and draws the reader's own data while it has a live upload
("bring your own data").
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from dash import Input, Output, State, dcc, html, no_update

from components import ids
from components.graph_config import graph_config
from components.sources import sources_credit, sources_panel
from rigflows.dataset import Dataset
from rigflows.models import METHOD_NOTE
from rigflows.render import (
    energy_frames,
    energy_frames_key,
    energy_texts,
    map_frames_key,
    map_group_frames,
    sankey_figure,
    sankey_key,
    sources_key,
    view_sources,
)
from rigflows.layers import Drawn, drawn, drawn_vocabulary, energy_frames_beside, map_frames_beside, sankey_beside
from rigflows.select import credited_sources, unquantified_reports
from rigflows.state import METRICS, ViewState, parse_query


def _card(title: str, intro: str, *children, class_name: str = "") -> html.Section:
    return html.Section(className=f"card {class_name}".strip(), children=[html.H2(title), html.P(intro, className="card-intro"), *children])


def _graph(graph_id: str, figure: dict, topojson_url: str) -> dcc.Graph:
    """A chart as tall as its figure, which is taller or shorter by width (assets/widths.js)."""
    return dcc.Graph(id=graph_id, figure=figure, config=graph_config(graph_id, topojson_url), className="chart")


def map_card(figure: dict, topojson_url: str, month_controls) -> html.Section:
    return _card(
        "Where the machines went",
        "Click a country to filter every view by it. Grey countries have no data for this metric, which is not the same as zero.",
        _graph(ids.MAP, figure, topojson_url),
        month_controls,
    )


def sankey_card(figure: dict, unquantified: list | None) -> html.Section:
    return _card(
        "Who moved machines to whom",
        "Chinese seller or shipper → destination country → receiving farm or operator. Link widths are machines. Click a country or firm to filter.",
        _graph(ids.SANKEY, figure, ""),
        html.Div(unquantified, id=ids.UNQUANTIFIED, className="unquantified"),
    )


def energy_card(figure: dict) -> html.Section:
    return _card(
        "What the new load did to the grids",
        "Estimated mining load over time for the selected countries (the four largest destinations when none is selected), against loads reported by officials and companies, with grid events marked.",
        _graph(ids.ENERGY, figure, ""),
        html.Details([html.Summary("How the load is estimated"), html.P(METHOD_NOTE)], className="method-note", open=True),
    )


def key_stores(state: ViewState) -> list[dcc.Store]:
    """The key Store of each keyed part, holding the view's key, and the Stores the server fills."""
    stores = [dcc.Store(id=ids.key(part), data=key.to_query()) for part, key in state_keys(state).items()]
    fills = [*(ids.frames(ids.MAP, metric) for metric in METRICS), ids.frames(ids.ENERGY), ids.ENERGY_TEXTS, ids.SOURCES_SHOWN, ids.PAINTED]
    return stores + [dcc.Store(id=store) for store in fills]


def state_keys(state: ViewState) -> dict[str, ViewState]:
    """{keyed part: the part of `state` it draws}, in `ids.KEYED` order."""
    keys = {
        ids.SANKEY: sankey_key(state),
        ids.MAP_FRAMES: map_frames_key(state),
        ids.ENERGY_FRAMES: energy_frames_key(state),
        ids.SOURCES: sources_key(state),
    }
    return {part: keys[part] for part in ids.KEYED}


#: Reports listed under the Sankey (the bundled data has 10); the rest are counted.
MAX_UNQUANTIFIED_LISTED = 12


@lru_cache(maxsize=256)
def unquantified_listing(dataset: Dataset, key: ViewState) -> list | None:
    """The flows and totals reported without a machine count, under the Sankey, each with its
    sources by name (`sources_credit`)."""
    unquantified = unquantified_reports(dataset, key)
    if unquantified.empty:
        return None
    items = [_unquantified_item(dataset, row) for row in unquantified.head(MAX_UNQUANTIFIED_LISTED).itertuples()]
    more = len(unquantified) - len(items)
    if more > 0:
        items.append(html.Li(f"…and {more:,} more, not listed here: the CSV download has them all.", className="unquantified-more"))
    return [html.H3("Reported but not drawn (no count, plans, and orders while their layer is off)"), html.Ul(items)]


def _unquantified_item(dataset: Dataset, row) -> html.Li:
    """One report without a count: what, its note, and its sources by name."""
    return html.Li([html.Strong(row.what), f" — {row.note}" if isinstance(row.note, str) else "", " ", sources_credit(credited_sources(dataset, row.source_ids))])


def dataset_label(token, shown: Drawn, dataset: Dataset) -> str:
    """Which data a Store was filled from: "bundled", or a digest of the upload's token (never
    the token itself) and whether it is drawn beside the bundled data. The page compares it, so
    the same filter from other data redraws."""
    if shown.main is dataset and shown.yours is None:
        return "bundled"
    return f"upload-{shown.label}-" + hashlib.sha256(str(token).encode()).hexdigest()[:12]


def your_unquantified(bundled: Dataset, yours: Dataset, key: ViewState) -> list:
    """The upload's flows reported without a count that the bundled list does not already
    have, under the bundled ones, marked."""
    listed = set(unquantified_reports(bundled, key)["what"])
    mine = unquantified_reports(yours, key)
    if mine.empty or mine["what"].isin(listed).all():
        return []
    items = [_unquantified_item(yours, row) for row in mine.itertuples() if row.what not in listed]
    return [html.H3("Your data (not shared): reported but not drawn"), html.Ul(items)]


def register_view_callbacks(app, dataset: Dataset, dataset_for=lambda token: None) -> None:
    """`dataset_for(token)`: the reader's uploaded Dataset for the upload token in their tab's
    session storage (`ids.UPLOAD_TOKEN`), drawn instead of `dataset` or beside it, as the reader
    chose (`ids.UPLOAD_MODE`, `rigflows.layers`), while it lives (None: the bundled data). Every
    callback here takes the token and the choice as inputs, so an upload, a reload with a live
    upload, the choice and "Forget my data" redraw every chart with the right data."""
    token = Input(ids.UPLOAD_TOKEN, "data")
    mode = Input(ids.UPLOAD_MODE, "value")

    def shown(upload_token, upload_mode) -> Drawn:
        return drawn(dataset, dataset_for(upload_token), upload_mode)

    def state_of(query, data: Drawn) -> ViewState:
        """A key Store's query: written by the state callback, parsed like any URL anyway, with
        the names of the data drawn (an upload's own countries and firms)."""
        return parse_query(query if isinstance(query, str) else "", drawn_vocabulary(dataset, data))[0]

    @app.callback(Output(ids.SANKEY, "figure"), Output(ids.UNQUANTIFIED, "children"), Input(ids.key(ids.SANKEY), "data"), token, mode, prevent_initial_call=True)
    def draw_sankey(query, upload_token, upload_mode):
        data = shown(upload_token, upload_mode)
        key = sankey_key(state_of(query, data))
        if data.yours:
            return sankey_beside(dataset, data.yours, key).figure, (unquantified_listing(dataset, key) or []) + your_unquantified(dataset, data.yours, key) or None
        return sankey_figure(data.main, key).figure, unquantified_listing(data.main, key)

    # Filled once the first paint is done (`ids.PAINTED`: their answers held it up, by 0.7 s
    # on 100x data) and after each filter change; the page draws the map and the energy chart, every
    # month and metric, from them. Labelled with their data, so frames of the same filter from
    # other data redraw.
    painted = Input(ids.PAINTED, "data")

    def map_frames_callback(metric: str) -> None:
        """The map's frames of one metric: four requests a new filter, one per metric."""

        @app.callback(Output(ids.frames(ids.MAP, metric), "data"), Input(ids.key(ids.MAP_FRAMES), "data"), token, mode, painted, prevent_initial_call=True)
        def fill_map_frames(query, upload_token, upload_mode, _painted):
            data = shown(upload_token, upload_mode)
            key = map_frames_key(state_of(query, data))
            frames = map_frames_beside(dataset, data.yours, key, metric) if data.yours else map_group_frames(data.main, key, metric).data
            return {**frames, "dataset": dataset_label(upload_token, data, dataset)}

    for metric in METRICS:
        map_frames_callback(metric)

    @app.callback(Output(ids.frames(ids.ENERGY), "data"), Input(ids.key(ids.ENERGY_FRAMES), "data"), token, mode, painted, prevent_initial_call=True)
    def fill_energy_frames(query, upload_token, upload_mode, _painted):
        data = shown(upload_token, upload_mode)
        key = energy_frames_key(state_of(query, data))
        frames = energy_frames_beside(dataset, data.yours, key) if data.yours else energy_frames(data.main, key).data
        return {**frames, "dataset": dataset_label(upload_token, data, dataset)}

    @app.callback(Output(ids.ENERGY_TEXTS, "data"), Input(ids.key(ids.ENERGY_FRAMES), "data"), token, mode, painted, prevent_initial_call=True)
    def fill_energy_texts(query, upload_token, upload_mode, _painted):
        """Beside an upload, the bundled chart's texts (the upload adds lines, not words)."""
        data = shown(upload_token, upload_mode)
        key = energy_frames_key(state_of(query, data))
        return {**energy_texts(data.main, key), "dataset": dataset_label(upload_token, data, dataset)}

    @app.callback(Output(ids.SOURCES, "children"), Output(ids.SOURCES_SHOWN, "data"), Input(ids.key(ids.SOURCES), "data"), token, mode, painted, State(ids.SOURCES_SHOWN, "data"), prevent_initial_call=True)
    def list_sources(query, upload_token, upload_mode, _painted, listed_now):
        """The panel is sent only when its data or its list of sources differs from the page's;
        the first one once the first paint is done (it is below the charts)."""
        data = shown(upload_token, upload_mode)
        key = sources_key(state_of(query, data))
        layers = [data.main] + ([data.yours] if data.yours else [])
        listed = "|".join([dataset_label(upload_token, data, dataset), *(source for layer in layers for source in view_sources(layer, key)["source_id"])])
        if listed == listed_now:
            return no_update, no_update
        panel = sources_panel(data.main, key)
        if data.yours:
            panel = [*panel, html.H3("Your data (not shared): the sources your upload cites"), *sources_panel(data.yours, key)]
        return panel, listed
