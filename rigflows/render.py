"""Each chart of a view, from (Dataset, ViewState) to a plotly figure dict, cached.

A chart depends on only part of the state (the Sankey ignores metric and month, the energy
chart ignores the metric), so each function first reduces the state to the part it draws:
changing the month then reuses the cached Sankey instead of rebuilding it. Keys are
ViewStates, whose filters are kept sorted (`canonical`), so the same view is one cache entry
whatever order it was picked in. Caches are bounded per process; see the README for a shared
cache across workers.

Month and metric changes never reach the server: for a filter, `map_frames` and
`energy_frames` hold every (metric, month) view of the chart as one base figure per group plus
what each month changes, and the page's clientside code (assets/views.js) draws from them.
Every figure carries its chart's accessible name and text alternative (`alttext.described`),
so a month's frame brings its own description with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import orjson
import pandas as pd

from rigflows.alttext import NO_ENERGY_ALT, described, energy_alts, energy_month_alts, map_alt, sankey_alt
from rigflows.dataset import Dataset
from rigflows.figures.choropleth import MapCountry, choropleth_dict, map_countries, map_overlay
from rigflows.figures.energy import drawn_dates, energy_dict, month_date, show_mark
from rigflows.figures.sankey import sankey_dict
from rigflows.figures.style import empty_figure, floats, period_label
from rigflows.select import (
    cut_from_every_country,
    drawn_links,
    empty_reason,
    energy_countries,
    energy_series,
    farm_markers,
    flow_lines,
    flows_period,
    grid_events,
    map_rows,
    method_text,
    model_source_ids,
    reported_loads,
    sankey_links,
    selected_countries,
    shown_machines,
    source_line,
    sources_with_originals,
    with_month,
)
from rigflows.state import METRICS, ViewState, keep_model

@dataclass(frozen=True)
class Chart:
    """A drawn chart: its figure (plotly JSON) and the ids of every source behind what it draws."""

    figure: dict
    source_ids: tuple[str, ...] = ()


def all_ids(*columns: pd.Series | tuple[str, ...]) -> tuple[str, ...]:
    """Every id in `columns` (Series of id tuples, or one tuple), sorted, once."""
    cells = [cell for column in columns for cell in ([column] if isinstance(column, tuple) else column)]
    return tuple(sorted({source_id for cell in cells for source_id in cell}))


#: Views kept per chart and process. Month and metric are drawn in the browser from the frames,
#: so the server draws a chart once per filter (and load model): 128 filters per worker, about
#: 0.4 MB for the three charts of one (measured with tracemalloc), so about 50 MB.
CACHE_SIZE = 128
#: Filters whose every-month frames are kept per process: about 3.7 MB each (map and energy
#: chart), so about 45 MB. With the views above and the page layouts (components/layout.py)
#: a worker stays under issue 8's 300 MB after 10,000 distinct views (`python -m bench.memory`).
FRAMES_CACHE_SIZE = 12


def canonical(state: ViewState) -> ViewState:
    """The same view whatever order its filters were picked in: one cache entry, not n!."""
    return replace(state, countries=tuple(sorted(state.countries)), firms=tuple(sorted(state.firms)))


def map_key(state: ViewState) -> ViewState:
    """The map draws everything but the Sankey's remainder toggle; the machines map has no month."""
    key = replace(canonical(state), show_remainders=True)
    return replace(key, month=ViewState().month) if state.metric == "machines" else key


def sankey_key(state: ViewState) -> ViewState:
    return canonical(ViewState(countries=state.countries, firms=state.firms, show_remainders=state.show_remainders, show_orders=state.show_orders))


def energy_key(state: ViewState) -> ViewState:
    return canonical(keep_model(ViewState(month=state.month, countries=state.countries, firms=state.firms), state))


def map_frames_key(state: ViewState) -> ViewState:
    """What the map's every-month frames depend on: the filters, the farm overlay, the orders
    layer (its lines) and the load model."""
    return canonical(keep_model(ViewState(countries=state.countries, firms=state.firms, show_farms=state.show_farms, show_orders=state.show_orders), state))


def energy_frames_key(state: ViewState) -> ViewState:
    return canonical(keep_model(ViewState(countries=state.countries, firms=state.firms), state))


def sources_key(state: ViewState) -> ViewState:
    """The sources panel lists what any metric or month of the filter draws: the page can show
    all of them without asking the server again."""
    return canonical(replace(state, metric=ViewState().metric, month=ViewState().month))


@lru_cache(maxsize=CACHE_SIZE)
def map_figure(dataset: Dataset, key: ViewState) -> Chart:
    """The map of one view, drawn whole through plotly (the frames of `map_frames` draw the
    same figures month by month from their parts)."""
    key = with_month(dataset, key)
    countries = drawn_countries(dataset, key)
    farms = farm_markers(dataset, key) if key.show_farms else None
    lines = flow_lines(dataset, key) if key.metric == "machines" else None
    shown = shown_machines(dataset, key) if key.metric == "machines" else None
    alt = map_alt(dataset, key, countries, farms, lines=lines, shown=shown)
    if not countries and (farms is None or farms.empty):
        return Chart(described(empty_figure(_empty_map_message(dataset, key)), "map", alt))
    ids = all_ids(*(country.source_ids for country in countries), *([farms["source_ids"]] if farms is not None else []))
    extent = map_extent(dataset, map_frames_key(key), key.metric)
    overlay = map_overlay(farms, lines, extent, country_anchors(dataset))
    figure = choropleth_dict(countries, overlay, key, period=period_label(flows_period(dataset, key)), source_line=source_line(dataset, ids), shown=shown)
    return Chart(described(plain(figure), "map", alt), ids)


def _empty_map_message(dataset: Dataset, key: ViewState) -> str:
    return empty_reason(dataset, key) or f"Nothing to map for this selection ({METRICS[key.metric]}). Try another metric or reset the filters."


#: The map metrics that have a month; their rows do not depend on the filters, which only pick countries.
MONTHLY_METRICS = tuple(metric for metric in METRICS if metric != "machines")


def drawn_countries(dataset: Dataset, key: ViewState) -> list[MapCountry]:
    """The countries the map of view `key` draws: those of `every_country` its filter selects,
    as `select.map_rows` cuts its rows (`select.cut_from_every_country`)."""
    if not cut_from_every_country(key):
        return map_countries(map_rows(dataset, key), key.metric)
    return _selected_of(every_country(dataset, key.metric, key.month, keep_model(ViewState(), key)), selected_countries(dataset, key))


def _selected_of(countries: tuple[MapCountry, ...], selected: frozenset[str] | None) -> list[MapCountry]:
    """Those of `countries` a filter selects (`select.selected_countries`; None: every one)."""
    return [country for country in countries if selected is None or country.iso3 in selected]


@lru_cache(maxsize=len(METRICS) * 240)
def every_country(dataset: Dataset, metric: str, month: str, model: ViewState = ViewState()) -> tuple[MapCountry, ...]:
    """`select.map_rows` of the unfiltered view, for a metric (and month, and the load model of
    `model`), as the map draws them (`choropleth.map_countries`, hovers included): made once
    per dataset, so a new filter's map costs what it draws, not a pass over the tables."""
    return tuple(map_countries(map_rows(dataset, keep_model(ViewState(metric=metric, month=month), model)), metric))


@lru_cache(maxsize=4)
def country_anchors(dataset: Dataset) -> dict[str, tuple[float, float]]:
    """Every country's (lon, lat) anchor, where the map labels it (`geo.CountryGeometry.anchor`)."""
    return {iso3: (float(lon), float(lat)) for iso3, lon, lat in dataset.geometry.anchors[["lon", "lat"]].itertuples()}


@lru_cache(maxsize=CACHE_SIZE)
def map_extent(dataset: Dataset, key: ViewState, metric: str) -> tuple[float, float, float, float] | None:
    """What the map of filter `key` (a `map_frames_key`) draws in `metric` in any month: its
    countries, the ends of its lines from China and its farms (`geo.CountryGeometry.extent`).
    The same in every month, so the view holds still while the months play."""
    points: list[tuple[float, float]] = []
    if metric == "machines":
        state = map_key(replace(key, metric=metric))
        codes = set(map_rows(dataset, state)["iso3"])
        lines = flow_lines(dataset, state)
        points += [*zip(lines["from_lon"], lines["from_lat"]), *zip(lines["to_lon"], lines["to_lat"])]
    else:
        selected = selected_countries(dataset, key)
        every = drawn_in_any_month(dataset, metric, keep_model(ViewState(), key))
        codes = every if selected is None else every & selected
    if key.show_farms:
        farms = farm_markers(dataset, key)
        points += list(zip(floats(farms["lon"]), floats(farms["lat"])))
    return dataset.geometry.extent(sorted(codes), points)


@lru_cache(maxsize=len(MONTHLY_METRICS) * 4)
def drawn_in_any_month(dataset: Dataset, metric: str, model: ViewState = ViewState()) -> frozenset[str]:
    """Every country the unfiltered map draws in `metric` in some month (with the load model of `model`)."""
    return frozenset(country.iso3 for month in dataset.months for country in every_country(dataset, metric, month, model))


@lru_cache(maxsize=4)
def monthly_ids_by_country(dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Per country, the sources of its rows in every monthly metric and month of the map (with
    the default load model): once per dataset, so a filter's are the union of its countries'."""
    cells: dict[str, list[tuple[str, ...]]] = {}
    for metric in MONTHLY_METRICS:
        for month in dataset.months:
            rows = map_rows(dataset, ViewState(metric=metric, month=month))
            for iso3, ids in zip(rows["iso3"], rows["source_ids"]):
                cells.setdefault(iso3, []).append(ids)
    return {iso3: all_ids(*ids) for iso3, ids in cells.items()}


@lru_cache(maxsize=CACHE_SIZE)
def map_source_ids(dataset: Dataset, key: ViewState) -> tuple[str, ...]:
    """The sources of the map of filter `key` (a `map_frames_key`) in every metric and month."""
    countries = selected_countries(dataset, key)
    by_country = monthly_ids_by_country(dataset)
    columns = [map_rows(dataset, replace(key, metric="machines"))["source_ids"]]
    columns += [ids for iso3, ids in by_country.items() if countries is None or iso3 in countries]
    if key.show_farms:
        columns.append(farm_markers(dataset, key)["source_ids"])
    return all_ids(*columns)


@lru_cache(maxsize=CACHE_SIZE)
def sankey_figure(dataset: Dataset, key: ViewState) -> Chart:
    links = sankey_links(dataset, key)
    alt = sankey_alt(dataset, key, links)
    if links.empty:
        return Chart(described(empty_figure(empty_reason(dataset, key) or "No reported flows with a machine count match this selection."), "sankey", alt))
    ids = sankey_ids(links)
    figure = sankey_dict(drawn_links(dataset, links), key, period=period_label(flows_period(dataset, key)), source_line=source_line(dataset, ids))
    return Chart(described(plain(figure), "sankey", alt), ids)


def sankey_ids(links: pd.DataFrame) -> tuple[str, ...]:
    """The sources of a Sankey: those of every link it draws (`select.sankey_links`)."""
    return all_ids(links["source_ids"])


@lru_cache(maxsize=CACHE_SIZE)
def energy_source_ids(dataset: Dataset, key: ViewState) -> tuple[str, ...]:
    """The sources of the energy chart of `key` (its filter and load model; the same in every
    month): its reported loads, its grid events and the load model's inputs; none when it draws
    no estimate (a message)."""
    if energy_series(dataset, key).empty:
        return ()
    return _energy_ids(dataset, reported_loads(dataset, key), grid_events(dataset, key))


def _energy_ids(dataset: Dataset, reported: pd.DataFrame, events: pd.DataFrame) -> tuple[str, ...]:
    return all_ids(reported["source_ids"], events["source_ids"], model_source_ids(dataset, with_demand=False))


@lru_cache(maxsize=CACHE_SIZE)
def energy_figure(dataset: Dataset, key: ViewState) -> Chart:
    key = with_month(dataset, key)
    return _energy_charts(dataset, key, [key.month])[key.month]


def _energy_charts(dataset: Dataset, key: ViewState, months: list[str], *, as_frames: bool = False) -> dict[str, Chart]:
    """The energy chart of `key` at each of `months`, as plain JSON: the rows are the same in
    every month, so they are selected once, and the chart is drawn once with a mark at every
    month inside the span it draws anyway, each month showing its own (`energy.show_mark`); a
    month outside that span widens the time axis and is drawn whole. `as_frames`: every mark
    hidden and no text alternative, which the page adds (`energy_texts`), so every month inside
    the span is one and the same figure."""
    series = energy_series(dataset, key)
    if series.empty:
        message = empty_figure(empty_reason(dataset, key) or "No country in this selection has hashrate data, so no mining load can be estimated.")
        return dict.fromkeys(months, Chart(described(plain(message), "energy", "" if as_frames else NO_ENERGY_ALT)))
    reported, events, colours = reported_loads(dataset, key), grid_events(dataset, key), energy_colour_order(dataset)
    source_ids = _energy_ids(dataset, reported, events)
    line, method = source_line(dataset, source_ids), method_text(dataset, key)
    alts = dict.fromkeys(months, "") if as_frames else energy_alts(key, months, series, reported, events)
    dates = drawn_dates(series, reported, events)
    inside = [month for month in dataset.months if min(dates) <= month_date(month) <= max(dates)]

    def drawn(month: str, marked: list[str]) -> dict:
        return plain(energy_dict(series, reported, events, replace(key, month=month), colour_order=colours, source_line=line, method=method, marked_months=marked))

    charts, whole, hidden = {}, None, None
    for month in months:
        if month not in inside:
            figure = described(show_mark(drawn(month, [month]), None if as_frames else month), "energy", alts[month])
        elif as_frames:
            whole = whole or drawn(month, inside)
            hidden = hidden or described(show_mark(whole, None), "energy", "")
            figure = hidden
        else:
            whole = whole or drawn(month, inside)
            figure = described(show_mark(whole, month), "energy", alts[month])
        charts[month] = Chart(figure, source_ids)
    return charts


@lru_cache(maxsize=4)
def energy_colour_order(dataset: Dataset) -> list[str]:
    """Every country with a load estimate, largest destinations first: the energy chart's colours."""
    return list(dict.fromkeys([*energy_countries(dataset, ViewState()), *sorted(set(dataset.hashrate_share["iso3"]))]))


# --- frames: every month and metric of a filter, for the clientside month and metric ----------


@dataclass(frozen=True)
class Frames:
    """Every view of one chart for one filter, as the page's clientside code draws them.

    `data` is plain JSON: {"key": the filter's query, "groups": {group: {"base": figure,
    "diffs": {month: {"data": [trace or null], "layout": {changed keys}, "meta": {changed
    keys of layout.meta}, "drop": [layout keys]}}}}}. A group is a map metric (or "all" for the
    energy chart); a diff lists only what differs from its group's base figure, a null trace
    meaning "the base's trace". layout.meta (text alternative, width variants) is diffed key by
    key when both figures have the same keys: a month changes its text, rarely its variants.
    """

    data: dict


def plain(figure: dict) -> dict:
    """A figure as plain JSON values (numpy arrays to lists, NaN to null), comparable with ==."""
    return orjson.loads(orjson.dumps(figure, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS))


def _json_default(value):
    """What orjson leaves over: arrays of Python objects (a column of mixed values in a data
    directory `check` accepts), numpy and pandas scalars, pandas' missing values (null)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")


def figure_diff(base: dict, figure: dict) -> dict:
    """What `figure` changes in `base` (see `Frames`); {} when they are the same."""
    diff = {}
    base_data, data = base.get("data", []), figure.get("data", [])
    if data != base_data:
        diff["data"] = [None if index < len(base_data) and trace == base_data[index] else trace for index, trace in enumerate(data)]
    base_layout, layout = base.get("layout", {}), figure.get("layout", {})
    base_meta, meta = base_layout.get("meta"), layout.get("meta")
    by_key = isinstance(base_meta, dict) and isinstance(meta, dict) and base_meta.keys() == meta.keys()
    changed = {name: value for name, value in layout.items() if base_layout.get(name) != value and not (name == "meta" and by_key)}
    if changed:
        diff["layout"] = changed
    if by_key and meta != base_meta:
        diff["meta"] = {name: value for name, value in meta.items() if base_meta[name] != value}
    dropped = [name for name in base_layout if name not in layout]
    if dropped:
        diff["drop"] = dropped
    return diff


def apply_diff(base: dict, diff: dict) -> dict:
    """The figure a frame stands for (what assets/views.js does), for tests and the first paint."""
    data = [base["data"][index] if trace is None else trace for index, trace in enumerate(diff["data"])] if "data" in diff else base.get("data", [])
    layout = {name: value for name, value in {**base.get("layout", {}), **diff.get("layout", {})}.items() if name not in diff.get("drop", [])}
    if "meta" in diff:
        layout["meta"] = {**layout["meta"], **diff["meta"]}
    return {"data": data, "layout": layout}


def _frames(key: ViewState, groups: dict[str, dict[str, dict]]) -> Frames:
    """Frames of plain-JSON figures (per group, by month): the first month of a group is its
    base. The figures are plain already (the diffs compare them with ==), so the frames are not
    copied through JSON again (3 ms a filter)."""
    out = {}
    for group, figures in groups.items():
        base = next(iter(figures.values()))
        out[group] = {"base": base, "diffs": {month: figure_diff(base, figure) for month, figure in figures.items()}}
    return Frames({"key": key.to_query(), "groups": out})


def map_frames(dataset: Dataset, key: ViewState) -> Frames:
    """The map of filter `key` (a `map_frames_key`) for every metric and month: each metric's
    `map_group_frames` in one."""
    groups = {metric: map_group_frames(dataset, key, metric).data["groups"][metric] for metric in METRICS}
    return Frames({"key": key.to_query(), "groups": groups})


@lru_cache(maxsize=FRAMES_CACHE_SIZE * len(METRICS))
def map_group_frames(dataset: Dataset, key: ViewState, metric: str) -> Frames:
    """The map of filter `key` (a `map_frames_key`) for `metric`, every month of it.

    The page asks for each metric's apart, so a new filter's four are built by as many workers
    at once and none of the filter's requests is four times the others. The machines map has no
    month: it is the per-view figure. A monthly metric's figure is built month by month from
    its parts, without plotly: the countries of `every_country` (kept per dataset, hovers
    included) that the filter selects, under an overlay (farms, the view) built once; only the
    choropleth traces, title, footer key and text alternative are made per month, and the diff
    against the first month is taken on shared objects. Nothing goes through the per-view
    cache, so a filter's 88 frames do not push out the views readers asked for.
    """
    if metric not in MONTHLY_METRICS:
        return _frames(key, {metric: {ViewState().month: map_figure.__wrapped__(dataset, map_key(replace(key, metric=metric))).figure}})
    selected = selected_countries(dataset, key)
    farms = farm_markers(dataset, key) if key.show_farms else None
    farm_ids = all_ids(farms["source_ids"]) if farms is not None else ()
    lines: dict[tuple[str, ...], str] = {}  # source line by source ids: the same in most months
    model = keep_model(ViewState(), key)
    figures, empty = {}, None
    overlay = map_overlay(farms, extent=map_extent(dataset, key, metric), anchors=country_anchors(dataset))
    at_metric = map_key(replace(key, metric=metric))  # a monthly metric's key keeps its month
    for month in dataset.months:
        state = replace(at_metric, month=month)
        countries = _selected_of(every_country(dataset, metric, month, model), selected)
        alt = map_alt(dataset, state, countries, farms)
        if not countries and (farms is None or farms.empty):
            empty = empty or empty_figure(_empty_map_message(dataset, state))
            figures[month] = described({"data": empty["data"], "layout": dict(empty["layout"])}, "map", alt)
            continue
        ids = all_ids(*(country.source_ids for country in countries), farm_ids)
        if ids not in lines:
            lines[ids] = source_line(dataset, ids)
        figures[month] = described(choropleth_dict(countries, overlay, state, source_line=lines[ids]), "map", alt)
    return _frames(key, {metric: figures})


@lru_cache(maxsize=FRAMES_CACHE_SIZE)
def energy_frames(dataset: Dataset, key: ViewState) -> Frames:
    """The energy chart of filter `key` (an `energy_frames_key`) at every month, every month
    mark hidden and its text alternative left empty: the page shows the month's mark
    (`energy.show_mark`) and its text (`energy_texts`, another request, so that neither is
    the chart's whole cost), so a month inside the chart's span changes nothing else."""
    return _frames(key, {"all": {month: chart.figure for month, chart in _energy_charts(dataset, key, dataset.months, as_frames=True).items()}})


@lru_cache(maxsize=FRAMES_CACHE_SIZE)
def energy_texts(dataset: Dataset, key: ViewState) -> dict:
    """The energy chart's text alternative at every month of filter `key` (an
    `energy_frames_key`): {"key": the filter's query, "alts": {month: text}}."""
    return {"key": key.to_query(), "alts": energy_month_alts(dataset, key, dataset.months)}


def energy_frame(frames: dict, texts: dict, month: str) -> dict:
    """The energy chart the page draws at `month` from `energy_frames` and `energy_texts`
    (assets/views.js): the month's text alternative, its mark shown. For tests."""
    group = frames["groups"]["all"]
    figure = apply_diff(group["base"], group["diffs"][month])
    figure["layout"]["meta"] = {**figure["layout"]["meta"], "alt": texts["alts"][month]}
    return show_mark(figure, month)


@lru_cache(maxsize=CACHE_SIZE)
def view_sources(dataset: Dataset, key: ViewState) -> pd.DataFrame:
    """Every source behind the charts of a filter (a `sources_key`) in any metric or month,
    originals of press copies included.

    Taken from what the charts draw, as the charts take them, without drawing them: a filter's
    sources on another worker than its charts cost a selection, not three charts.
    """
    source_ids = [
        *map_source_ids(dataset, map_frames_key(key)),
        *sankey_ids(sankey_links(dataset, sankey_key(key))),
        *energy_source_ids(dataset, energy_frames_key(key)),
    ]
    return sources_with_originals(dataset, source_ids)
