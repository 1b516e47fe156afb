"""The data a reader's tab draws: the bundled data, their upload instead of it, or their upload
beside it as a clearly marked "your data" layer.

Beside the bundled data, the upload is never added into a bundled figure: each chart draws the
bundled data as usual, and the upload's own rows (from the same selection functions, on the
upload's Dataset) as separate marks named "(your data)": its own Sankey nodes and links, its
own markers on the map, its own dashed lines on the energy chart, its own rows in the CSV (a
`layer` column says which) and its own section in the sources. A chart gets the layer only when
the reader uploaded a table that chart draws from (`CHART_TABLES`), so an upload of flows does
not repeat the bundled hashrate model as "your data".

Pure: (bundled Dataset, upload Dataset, ViewState) → figures and tables, cached per process.
"""

from __future__ import annotations

import base64
from html import escape
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from rigflows.alttext import described, sankey_alt
from rigflows.dataset import Dataset
from rigflows.figures.choropleth import geo_view
from rigflows.figures.sankey import sankey_dict
from rigflows.figures.style import empty_figure, period_label
from rigflows.render import (
    FRAMES_CACHE_SIZE,
    MONTHLY_METRICS,
    Chart,
    all_ids,
    apply_diff,
    energy_figure,
    energy_frames,
    figure_diff,
    map_group_frames,
    plain,
    sankey_figure,
)
from rigflows.schema import TABLE_NAMES
from rigflows.select import (
    NOT_ITEMISED,
    country_choices,
    drawn_links,
    empty_reason,
    export_table,
    firm_choices,
    flows_period,
    map_rows,
    sankey_links,
    source_line,
    vocabulary,
    with_month,
)
from rigflows.state import ViewState, Vocabulary

INSTEAD = "instead"
BESIDE = "beside"
MODES = {INSTEAD: "Instead of the bundled data", BESIDE: "Beside the bundled data, as a marked layer"}
DEFAULT_MODE = INSTEAD
#: How every mark of the upload's layer is named.
YOURS = " (your data)"
LAYER_NAME = "Your data"
#: The layer's colour (Okabe-Ito vermillion), apart from every bundled mark's.
LAYER_COLOUR = "#D55E00"
LAYER_LINK_COLOUR = "rgba(213,94,0,0.55)"
#: The tables each chart draws from: a chart gets the upload's layer when one of them was uploaded.
CHART_TABLES = {
    "sankey": {"flows", "flow_totals"},
    "map": {"flows", "flow_totals", "farms", "hashrate_share", "cbeci_power", "cbeci_annual", "miner_efficiency", "electricity"},
    "energy": {"hashrate_share", "cbeci_power", "cbeci_annual", "miner_efficiency", "grid_reports", "events", "flow_totals"},
}
#: The tables each map metric draws from: its markers are drawn when one of them was uploaded.
METRIC_TABLES = {
    "machines": {"flows", "flow_totals"},
    "share": {"hashrate_share"},
    "load": {"hashrate_share", "cbeci_power", "cbeci_annual", "miner_efficiency"},
    "strain": {"hashrate_share", "cbeci_power", "cbeci_annual", "miner_efficiency", "electricity"},
}
#: The CSV's `view` values by the chart they belong to.
VIEW_CHART = {
    "map": "map", "farms": "map", "sankey": "sankey", "reported without a count": "sankey",
    "energy model": "energy", "energy reported": "energy", "energy event": "energy",
}


def mode_of(value: object) -> str:
    """The reader's choice from a control or Store: anything but "beside" is "instead"."""
    return BESIDE if value == BESIDE else INSTEAD


@dataclass(frozen=True)
class Drawn:
    """What one tab draws: `main` in every chart, and `yours` (the upload) beside it, or None."""

    main: Dataset
    yours: Dataset | None = None

    @property
    def label(self) -> str:
        return "beside" if self.yours is not None else "main"


def drawn(bundled: Dataset, upload: Dataset | None, mode: object) -> Drawn:
    """The data of a tab with `upload` (None: no live upload) and the reader's `mode`."""
    if upload is None:
        return Drawn(bundled)
    return Drawn(bundled, upload) if mode_of(mode) == BESIDE else Drawn(upload)


@lru_cache(maxsize=16)
def uploaded_tables(bundled: Dataset, upload: Dataset) -> frozenset[str]:
    """The tables of `upload` that differ from the bundled ones: the reader's."""
    return frozenset(name for name in TABLE_NAMES if not upload.tables[name].equals(bundled.tables[name]))


def draws_from_upload(bundled: Dataset, yours: Dataset, tables: set[str]) -> bool:
    """True when the reader uploaded one of `tables` (so a chart drawing them gets the layer)."""
    return bool(uploaded_tables(bundled, yours) & tables)


# --- what a state may name ---------------------------------------------------------------


@lru_cache(maxsize=16)
def drawn_vocabulary(bundled: Dataset, drawn_data: Drawn) -> Vocabulary:
    """What the filters and the calculator may name in the data drawn: the upload's countries
    and firms (with the bundled ones beside it). Months stay the bundled data's: they are the
    month slider's."""
    months = vocabulary(bundled)
    main = vocabulary(drawn_data.main)
    countries, firms = main.countries, main.firms
    if drawn_data.yours is not None:
        yours = vocabulary(drawn_data.yours)
        countries, firms = countries | yours.countries, firms | yours.firms
    return Vocabulary(months=months.months, countries=countries, firms=firms, default_month=months.default_month, efficiency_range=main.efficiency_range)


def choices(drawn_data: Drawn, state: ViewState) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The country and firm filters' options (value, label) in the data drawn; beside the
    bundled data, the upload's names the bundled data lacks come after, marked "(your data)"."""
    countries, firms = country_choices(drawn_data.main, state), firm_choices(drawn_data.main, state)
    if drawn_data.yours is not None:
        for mine, theirs in ((countries, country_choices(drawn_data.yours, state)), (firms, firm_choices(drawn_data.yours, state))):
            known = {value for value, _ in mine}
            mine += [(value, label + YOURS) for value, label in theirs if value not in known]
    return countries, firms


def layer_empty_reason(drawn_data: Drawn, state: ViewState) -> str | None:
    """Why the view is empty, when it is empty in every layer drawn."""
    reasons = [empty_reason(data, state) for data in (drawn_data.main, drawn_data.yours) if data is not None]
    return reasons[0] if all(reasons) else None


def clicked_name(label: str) -> str:
    """A Sankey node's name without the layer's mark: a click on "Kazakhstan (your data)"
    filters by Kazakhstan."""
    return label[: -len(YOURS)] if label.endswith(YOURS) else label


# --- the Sankey: the upload's links as their own nodes ------------------------------------


def marked_links(links: pd.DataFrame) -> pd.DataFrame:
    """The upload's Sankey links as their own nodes: every label marked "(your data)", the notes
    saying so. Remainders that lead nowhere are left out: the bundled chart reconciles its own
    untraced machines under the Sankey, and the upload's must not be added into that bar."""
    ends = set(links["source"])
    untraced = (links["kind"] == "remainder") & (links["source"] == NOT_ITEMISED) & ~links["target"].isin(ends)
    links = links[~untraced]
    return links.assign(
        source=links["source"] + YOURS,
        target=links["target"] + YOURS,
        note=("Your data (not shared). " + links["note"].fillna("")).str.strip(),
    )


def _numbers(values) -> list[int]:
    """A plotly array as ints: a list, or plotly.py's typed-array form {dtype, bdata}."""
    if isinstance(values, dict) and "bdata" in values:
        return [int(value) for value in np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])]
    return [int(value) for value in values]


def _recolour_layer_links(figure: dict) -> dict:
    """Every Sankey trace (wide, and each width variant's) draws the upload's links in the
    layer's colour."""
    def recolour(trace: dict) -> None:
        if trace.get("type") != "sankey" or "link" not in trace or "node" not in trace:
            return
        labels = trace["node"].get("label", [])
        colours = list(trace["link"].get("color", []))
        for position, source in enumerate(_numbers(trace["link"].get("source", []))):
            if position < len(colours) and 0 <= source < len(labels) and str(labels[source]).endswith(YOURS):
                colours[position] = LAYER_LINK_COLOUR
        trace["link"]["color"] = colours

    for trace in figure.get("data", []):
        recolour(trace)
    for variant in figure.get("layout", {}).get("meta", {}).get("variants", []):
        for trace in [*variant.get("data", {}).values(), *variant.get("append", [])]:
            recolour(trace)
    return figure


@lru_cache(maxsize=256)
def sankey_beside(bundled: Dataset, yours: Dataset, key: ViewState) -> Chart:
    """The Sankey of both layers: the bundled links and, as their own nodes, the upload's. Each
    layer is drawn as its own Sankey would be (`drawn_links`: an upload of 500 sellers draws its
    20 largest and one node for the rest, never merged with a bundled node); the text
    alternative and the sources take every link."""
    bundled_links = sankey_links(bundled, key)
    yours_links = sankey_links(yours, key) if draws_from_upload(bundled, yours, CHART_TABLES["sankey"]) else None
    links = pd.concat([bundled_links, None if yours_links is None else marked_links(yours_links)], ignore_index=True)
    alt = sankey_alt(bundled, key, links)
    if links.empty:
        return Chart(described(empty_figure(empty_reason(bundled, key) or "No reported flows with a machine count match this selection, in either layer."), "sankey", alt))
    ids = all_ids(links["source_ids"])
    period = period_label(flows_period(bundled, key) + flows_period(yours, key))
    line = f"{source_line(bundled, ids)}. Marked (your data): the reader's upload, not shared"
    drawn = pd.concat([drawn_links(bundled, bundled_links), None if yours_links is None else marked_links(drawn_links(yours, yours_links))], ignore_index=True)
    figure = plain(sankey_dict(drawn, key, period=period, source_line=line))
    figure = _bundled_reconciliation(figure, plain(sankey_figure(bundled, key).figure))  # a copy: its shapes go into this figure
    return Chart(described(_recolour_layer_links(figure), "sankey", alt), ids)


RECONCILIATION_KEY = "All machines reported leaving China"


def _bundled_reconciliation(figure: dict, bundled_figure: dict) -> dict:
    """The bar under the Sankey (every machine reported leaving China, to scale) as the bundled
    chart draws it: the upload's flows must not be added into its "traced" part. Its shapes and
    its key are taken from the bundled figure, in the wide layout and in each width variant."""
    def layouts(of: dict) -> list[dict]:
        return [of.get("layout", {}), *(variant.get("layout", {}) for variant in of.get("layout", {}).get("meta", {}).get("variants", []))]

    for mine, bundled in zip(layouts(figure), layouts(bundled_figure)):
        if "shapes" in mine or "shapes" in bundled:
            mine["shapes"] = bundled.get("shapes", [])
        keys = [annotation for annotation in bundled.get("annotations", []) if RECONCILIATION_KEY in str(annotation.get("text", ""))]
        if "annotations" in mine:
            mine["annotations"] = [annotation for annotation in mine["annotations"] if RECONCILIATION_KEY not in str(annotation.get("text", ""))] + keys
    return figure


# --- the map: the upload's figures as markers beside the bundled choropleth ---------------

_UNITS = {"machines": "{:,.0f} machines", "share": "{:.2f}% of hashrate", "load": "{:.2f} GW (model)", "strain": "{:.2f}% of demand (model)"}


def map_layer_trace(yours: Dataset, rows: pd.DataFrame, metric: str) -> dict | None:
    """The upload's map rows as a marker on each country (its own hover and click), or None
    when it has none: the bundled choropleth underneath keeps its colours and its hover."""
    anchored = [(row, yours.geometry.anchor(row.iso3)) for row in rows.itertuples()]
    anchored = [(row, point) for row, point in anchored if point is not None]
    if not anchored:
        return None
    hover = []
    for row, _ in anchored:
        value = _UNITS[metric].format(row.value) if pd.notna(row.value) else row.status
        # The reader's names and notes are text, never markup.
        lines = [f"<b>{escape(str(row.country))}{YOURS}</b>", escape(str(value)), *(escape(str(line)) for line in row.details[:6]), "Your upload (not shared): drawn beside the bundled data, not added to it"]
        hover.append("<br>".join(lines))
    return {
        "type": "scattergeo",
        "name": LAYER_NAME,
        "lon": [point[0] for _, point in anchored],
        "lat": [point[1] for _, point in anchored],
        "customdata": [row.iso3 for row, _ in anchored],
        "mode": "markers+text",
        "text": ["your data"] * len(anchored),
        "textposition": "bottom center",
        "textfont": {"size": 10, "color": LAYER_COLOUR},
        "marker": {"symbol": "diamond", "size": 11, "color": LAYER_COLOUR, "line": {"color": "white", "width": 1}},
        "hovertext": hover,
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
    }


def with_map_layer(figure: dict, trace: dict | None) -> dict:
    """`figure` with the upload's markers on top (unchanged when there are none). A bundled map
    with nothing to draw is a message with no map: the markers get the world, drawn as every
    map is (plotly.js's own defaults would ask for layers the page's topojson leaves out)."""
    if trace is None:
        return figure
    layout = figure.get("layout", {})
    return {**figure, "data": [*figure.get("data", []), trace], "layout": layout if "geo" in layout else {**layout, "geo": geo_view(None)}}


def _with_markers(bundled: Dataset, bundled_figure: dict, yours: Dataset, key: ViewState) -> dict:
    if not draws_from_upload(bundled, yours, METRIC_TABLES[key.metric]):
        return bundled_figure
    return with_map_layer(bundled_figure, map_layer_trace(yours, map_rows(yours, key), key.metric))


@lru_cache(maxsize=FRAMES_CACHE_SIZE)
def map_frames_beside(bundled: Dataset, yours: Dataset, key: ViewState, metric: str) -> dict:
    """The bundled map's frames (every month of `metric` for `key`, a `map_frames_key`) with
    the upload's markers in each."""
    bundled_frames = map_group_frames(bundled, key, metric)
    entry = bundled_frames.data["groups"][metric]
    figures = {}
    for month, diff in entry["diffs"].items():
        month_key = replace(key, metric=metric, month=month if metric in MONTHLY_METRICS else "")
        figures[month] = plain(_with_markers(bundled, apply_diff(entry["base"], diff), yours, month_key))
    base = next(iter(figures.values()))
    return {**bundled_frames.data, "groups": {metric: {"base": base, "diffs": {month: figure_diff(base, figure) for month, figure in figures.items()}}}}


# --- the energy chart: the upload's lines, dashed and named -------------------------------


def energy_layer_traces(yours_figure: dict) -> list[dict]:
    """The upload's energy traces, each named "(your data)", dashed and in the layer's legend
    group, with hovers that say so; its uncertainty bands are left out (the bundled ones stay)."""
    traces = []
    for trace in yours_figure.get("data", []):
        name = str(trace.get("name") or "")
        if trace.get("type") != "scatter" or trace.get("fill") or " range, " in name:
            continue
        marked = {**trace, "name": name + YOURS, "legendgroup": "your-data", "showlegend": False}
        if "line" in marked:
            marked["line"] = {**marked["line"], "dash": "dash"}
        if "marker" in marked:
            marked["marker"] = {**marked["marker"], "line": {"color": LAYER_COLOUR, "width": 2}}
        if "hovertemplate" in marked:
            marked["hovertemplate"] = f"<b>{LAYER_NAME} (not shared)</b><br>" + marked["hovertemplate"]
        traces.append(marked)
    if traces:
        traces[0]["showlegend"] = True
        traces[0]["name"] = f"{LAYER_NAME}: dashed lines and outlined marks"
    return traces


def with_energy_layer(figure: dict, traces: list[dict]) -> dict:
    return {**figure, "data": [*figure.get("data", []), *traces]} if traces else figure


def _energy_traces(bundled: Dataset, yours: Dataset, key: ViewState) -> list[dict]:
    if not draws_from_upload(bundled, yours, CHART_TABLES["energy"]):
        return []
    return energy_layer_traces(plain(energy_figure(yours, with_month(bundled, key)).figure))


@lru_cache(maxsize=FRAMES_CACHE_SIZE)
def energy_frames_beside(bundled: Dataset, yours: Dataset, key: ViewState) -> dict:
    """The bundled energy frames (`key`, an `energy_frames_key`) with the upload's lines in
    every month (they do not move with the month)."""
    bundled_frames = energy_frames(bundled, key)
    traces = _energy_traces(bundled, yours, key)
    groups = {}
    for group, entry in bundled_frames.data["groups"].items():
        figures = {month: plain(with_energy_layer(apply_diff(entry["base"], diff), traces)) for month, diff in entry["diffs"].items()}
        base = next(iter(figures.values()))
        groups[group] = {"base": base, "diffs": {month: figure_diff(base, figure) for month, figure in figures.items()}}
    return {**bundled_frames.data, "groups": groups}


# --- the CSV: one table, a column saying which layer each row comes from -------------------


def layered_export(bundled: Dataset, drawn_data: Drawn, state: ViewState) -> pd.DataFrame:
    """The rows behind the view, with `layer` first: "bundled" or "your data". Instead of the
    bundled data every row is the upload's; beside it, the upload's rows of the charts that
    draw its layer follow the bundled rows."""
    if drawn_data.main is not bundled:
        return export_table(drawn_data.main, state).pipe(_with_layer, "your data")
    table = export_table(bundled, state)
    if drawn_data.yours is None:
        return table
    charts = {chart for chart, tables in CHART_TABLES.items() if draws_from_upload(bundled, drawn_data.yours, tables)}
    yours = export_table(drawn_data.yours, state)
    yours = yours[yours["view"].map(VIEW_CHART).isin(charts)]
    return pd.concat([_with_layer(table, "bundled"), _with_layer(yours, "your data")], ignore_index=True)


def _with_layer(table: pd.DataFrame, layer: str) -> pd.DataFrame:
    return table.assign(layer=layer)[["layer", *table.columns]]
