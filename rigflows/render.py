"""Each chart of a view, from (Dataset, ViewState) to a plotly figure dict, cached.

A chart depends on only part of the state (the Sankey ignores metric and month, the energy
chart ignores the metric), so each function first reduces the state to the part it draws:
changing the month then reuses the cached Sankey instead of rebuilding it. Caches are per
process; see the README for a shared cache across workers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from rigflows.dataset import Dataset
from rigflows.figures.choropleth import build_choropleth_figure
from rigflows.figures.energy import build_energy_figure
from rigflows.figures.sankey import build_sankey_figure
from rigflows.figures.style import empty_figure, period_label
from rigflows.select import (
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
    sources_with_originals,
)
from rigflows.state import METRICS, ViewState, keep_model

@dataclass(frozen=True)
class Chart:
    """A drawn chart: its figure (plotly JSON) and the ids of every source behind what it draws."""

    figure: dict
    source_ids: tuple[str, ...] = ()


def _ids(*columns: pd.Series | str) -> tuple[str, ...]:
    values = [value for column in columns for value in ([column] if isinstance(column, str) else column.dropna())]
    return tuple(sorted({part for value in values for part in str(value).split(";") if part}))


#: Views kept per chart and process: 29 months × 4 metrics fit, with room for filters.
CACHE_SIZE = 512


def map_key(state: ViewState) -> ViewState:
    """The map draws everything but the Sankey's remainder toggle; the machines map has no month."""
    key = replace(state, show_remainders=True)
    return replace(key, month=ViewState().month) if state.metric == "machines" else key


def sankey_key(state: ViewState) -> ViewState:
    return ViewState(countries=state.countries, firms=state.firms, show_remainders=state.show_remainders)


def energy_key(state: ViewState) -> ViewState:
    return keep_model(ViewState(month=state.month, countries=state.countries, firms=state.firms), state)


@lru_cache(maxsize=CACHE_SIZE)
def map_figure(dataset: Dataset, key: ViewState) -> Chart:
    rows = map_rows(dataset, key)
    farms = farm_markers(dataset, key) if key.show_farms else None
    if rows.empty and (farms is None or farms.empty):
        return Chart(empty_figure(f"Nothing to map for this selection ({METRICS[key.metric]}). Try another metric or reset the filters.").to_plotly_json())
    lines = flow_lines(dataset, key) if key.metric == "machines" else None
    figure = build_choropleth_figure(rows, farms, key, period=period_label(flows_period(dataset, key)), lines=lines).to_plotly_json()
    return Chart(figure, _ids(rows["source_ids"], *([farms["source_ids"]] if farms is not None else [])))


@lru_cache(maxsize=CACHE_SIZE)
def sankey_figure(dataset: Dataset, key: ViewState) -> Chart:
    links = sankey_links(dataset, key)
    if links.empty:
        return Chart(empty_figure("No reported flows with a machine count match this selection.").to_plotly_json())
    return Chart(build_sankey_figure(links, key, period=period_label(flows_period(dataset, key))).to_plotly_json(), _ids(links["source_ids"]))


@lru_cache(maxsize=CACHE_SIZE)
def energy_figure(dataset: Dataset, key: ViewState) -> Chart:
    series = energy_series(dataset, key)
    if series.empty:
        return Chart(empty_figure("No country in this selection has hashrate data, so no mining load can be estimated.").to_plotly_json())
    reported, events = reported_loads(dataset, key), grid_events(dataset, key)
    figure = build_energy_figure(series, reported, events, key, colour_order=energy_colour_order(dataset), method=method_text(dataset, key)).to_plotly_json()
    return Chart(figure, _ids(reported["source_ids"], events["source_ids"], model_source_ids(dataset, with_demand=False)))


def energy_colour_order(dataset: Dataset) -> list[str]:
    """Every country with a load estimate, largest destinations first: the energy chart's colours."""
    return list(dict.fromkeys([*energy_countries(dataset, ViewState()), *sorted(set(dataset.hashrate_share["iso3"]))]))


@lru_cache(maxsize=CACHE_SIZE)
def view_sources(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Every source behind the three charts of a view, originals of press copies included.

    Taken from the charts themselves (cached), so the list says exactly what is drawn.
    """
    charts = (map_figure(dataset, map_key(state)), sankey_figure(dataset, sankey_key(state)), energy_figure(dataset, energy_key(state)))
    return sources_with_originals(dataset, [source_id for chart in charts for source_id in chart.source_ids])
