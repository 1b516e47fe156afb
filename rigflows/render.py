"""Each chart of a view, from (Dataset, ViewState) to a plotly figure dict, cached.

A chart depends on only part of the state (the Sankey ignores metric and month, the energy
chart ignores the metric), so each function first reduces the state to the part it draws:
changing the month then reuses the cached Sankey instead of rebuilding it. Caches are per
process; see the README for a shared cache across workers.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from rigflows.dataset import Dataset
from rigflows.figures.choropleth import build_choropleth_figure
from rigflows.figures.energy import build_energy_figure
from rigflows.figures.sankey import build_sankey_figure
from rigflows.figures.style import empty_figure, period_label
from rigflows.select import energy_series, farm_markers, flow_lines, flows_period, grid_events, map_rows, reported_loads, sankey_links
from rigflows.state import METRICS, ViewState

#: Views kept per chart and process: 29 months × 4 metrics fit, with room for filters.
CACHE_SIZE = 512


def map_key(state: ViewState) -> ViewState:
    """The map draws everything but the Sankey's remainder toggle; the machines map has no month."""
    key = replace(state, show_remainders=True)
    return replace(key, month=ViewState().month) if state.metric == "machines" else key


def sankey_key(state: ViewState) -> ViewState:
    return ViewState(countries=state.countries, firms=state.firms, show_remainders=state.show_remainders)


def energy_key(state: ViewState) -> ViewState:
    return ViewState(month=state.month, countries=state.countries, firms=state.firms)


@lru_cache(maxsize=CACHE_SIZE)
def map_figure(dataset: Dataset, key: ViewState) -> dict:
    rows = map_rows(dataset, key)
    farms = farm_markers(dataset, key) if key.show_farms else None
    if rows.empty and (farms is None or farms.empty):
        return empty_figure(f"Nothing to map for this selection ({METRICS[key.metric]}). Try another metric or reset the filters.").to_plotly_json()
    lines = flow_lines(dataset, key) if key.metric == "machines" else None
    return build_choropleth_figure(rows, farms, key, period=period_label(flows_period(dataset, key)), lines=lines).to_plotly_json()


@lru_cache(maxsize=CACHE_SIZE)
def sankey_figure(dataset: Dataset, key: ViewState) -> dict:
    links = sankey_links(dataset, key)
    if links.empty:
        return empty_figure("No reported flows with a machine count match this selection.").to_plotly_json()
    return build_sankey_figure(links, key, period=period_label(flows_period(dataset, key))).to_plotly_json()


@lru_cache(maxsize=CACHE_SIZE)
def energy_figure(dataset: Dataset, key: ViewState) -> dict:
    series = energy_series(dataset, key)
    if series.empty:
        return empty_figure("No country in this selection has hashrate data, so no mining load can be estimated.").to_plotly_json()
    return build_energy_figure(series, reported_loads(dataset, key), grid_events(dataset, key), key).to_plotly_json()
