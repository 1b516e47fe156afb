"""Each chart's accessible name and text alternative, in words, from the rows it draws.

`rigflows.render` puts them in every figure it builds (`layout.meta`), so they travel with
the figure: the page describes a month it draws from frames without asking the server
(assets/presskit.js), and the press kit (`rigflows.presskit`) reads the same texts. Pure:
(Dataset, ViewState) in, text out; every number comes from the rows `rigflows.select` gives
the charts. The callers that have those rows already pass them in, so a filter's every month
is described without selecting its rows twice.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

from rigflows.dataset import Dataset
from rigflows.figures.choropleth import MapCountry, map_countries
from rigflows.figures.energy import gap_spans, version_note
from rigflows.figures.sankey import LINK_KINDS
from rigflows.figures.style import date_label, period_label
from rigflows.models import describe_assumptions
from rigflows.rows import named_rows
from rigflows.select import (
    NOT_RECEIVED_KINDS,
    delivery_text,
    energy_series,
    farm_markers,
    filter_flows,
    flow_lines,
    flows_period,
    grid_events,
    map_rows,
    reported_loads,
    sankey_links,
    shown_machines,
    unquantified_reports,
    with_month,
)
from rigflows.state import METRICS, ViewState

#: A chart's name when its figure has no title of its own (a filter left nothing to draw):
#: the heading of its card on the page.
FALLBACK_TITLES = {"map": "Where the machines went", "sankey": "Who moved machines to whom", "energy": "What the new load did to the grids"}
#: Countries named one by one in the map's alt text; the rest are counted ("and 12 more").
MAX_LISTED = 10


def and_join(items: list[str]) -> str:
    """['a'] → 'a'; ['a', 'b'] → 'a and b'; ['a', 'b', 'c'] → 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def plain_title(figure: dict, fallback: str) -> str:
    """The figure's own title as plain text (an empty chart has none: `fallback`)."""
    text = ((figure.get("layout") or {}).get("title") or {}).get("text") or ""
    return html.unescape(re.sub(r"<[^>]+>", "", text.replace("<br>", " "))).strip() or fallback


def described(figure: dict, chart: str, alt: str) -> dict:
    """`figure` carrying its accessible name and text alternative in `layout.meta` (plotly
    keeps it with the figure and draws nothing from it): {"title": ..., "alt": ...}, beside what
    the figure already keeps there (its width variants, for assets/widths.js)."""
    layout = figure.setdefault("layout", {})
    layout["meta"] = {**(layout.get("meta") or {}), "title": plain_title(figure, FALLBACK_TITLES[chart]), "alt": alt}
    return figure


# --- the map -------------------------------------------------------------------------------

_MAP_UNITS = {
    "share": lambda value: f"{value:.2f}%",
    "load": lambda value: f"{value:.2f} GW",
    "strain": lambda value: f"{value:.2f}%",
}
#: Map statuses of countries drawn without a number, as the alt text lists them.
_UNCOUNTED = {
    "no count": "Reported as destinations without a count",
    "not received": "Only orders of new machines or machines in transit, not counted as received",
    "plan only": "Only plans or requests, not counted as received",
}


def map_alt(
    dataset: Dataset,
    state: ViewState,
    rows: pd.DataFrame | list[MapCountry] | None = None,
    farms: pd.DataFrame | None = None,
    *,
    lines: pd.DataFrame | None = None,
    shown: dict[str, str] | None = None,
) -> str:
    """'Choropleth map of machines relocated from China (reported) by country, to Nov 2021:
    <country> <count as shown, e.g. "at least N">, ...', from `select.map_rows` (and, for machines, the counts as
    `select.shown_machines` words them and the flow lines of `select.flow_lines`).

    `rows` and `farms`: the map's `select.map_rows` (or the `MapCountry`s the map draws) and,
    when it marks farms, `select.farm_markers`; `lines` and `shown`: for machines, its
    `select.flow_lines` and `select.shown_machines`; each if the caller has it (selected here
    when not)."""
    state = with_month(dataset, state)
    rows = map_rows(dataset, state) if rows is None else rows
    countries = map_countries(rows, state.metric) if isinstance(rows, pd.DataFrame) else rows
    when = period_label(flows_period(dataset, state)) if state.metric == "machines" else date_label(state.month)
    head = f"Choropleth map of {_lower_first(METRICS[state.metric])} by country" + (f", {when}" if when else "")
    if not countries:
        return f"{head}: no country has a value for this selection."
    valued = sorted((country for country in countries if not math.isnan(country.value)), key=lambda country: -country.value)
    if state.metric == "machines":
        shown = shown_machines(dataset, state) if shown is None else shown
        listed = [f"{country.country} {shown.get(country.iso3, f'{country.value:,.0f}')}" for country in valued[:MAX_LISTED]]
    else:
        unit = _MAP_UNITS[state.metric]
        listed = []
        for country in valued[:MAX_LISTED]:
            text = f"{country.country} {unit(country.value)}"
            if not math.isnan(country.low) and not math.isnan(country.high):
                text += f" (range {unit(country.low)} to {unit(country.high)})"
            if country.status == "flagged":
                text += " (flagged: see the note in the chart)"
            listed.append(text)
    sentences = [f"{head}: " + (", ".join(listed) if listed else "no country has a number") + (f", and {len(valued) - MAX_LISTED} more countries" if len(valued) > MAX_LISTED else "") + "."]
    for status, words in _UNCOUNTED.items():
        names = [country.country for country in countries if country.status == status]
        if names:
            sentences.append(f"{words}: {and_join(names)}.")
    if state.metric == "machines":
        sentences += _flow_line_sentences(flow_lines(dataset, state) if lines is None else lines)
    if state.show_farms:
        farms = farm_markers(dataset, state) if farms is None else farms
        if not farms.empty:
            sentences.append(f"Farms marked: {and_join(list(farms['name']))}.")
    sentences.append("Countries in light grey have no data, which is not zero.")
    return " ".join(sentences)


def _flow_line_sentences(lines: pd.DataFrame) -> list[str]:
    """The map's lines from China (`select.flow_lines`): solid for machines relocated, dashed
    (the orders layer) for orders and machines in transit, each in the words of its hover."""
    sentences = []
    if (lines["layer"] == "received").any():
        sentences.append("Solid lines from China to each destination with a count, widths in machines relocated.")
    dashed = lines[lines["layer"] == "not received"]
    if not dashed.empty:
        sentences.append("Dashed lines, not received: " + "; ".join(dashed["text"]) + ".")
    return sentences


# --- the Sankey ----------------------------------------------------------------------------

#: How the alt text names a Sankey link's kind when it is not a plain relocation.
_LINK_WORDS = {
    "order": "order of new machines, not received",
    "in_transit": "in transit, not received",
    "remainder": "derived remainder, not attributed",
}


#: Links described per column of the Sankey (the bundled data has 6 and 4), the largest first
#: when there are more, and reports listed as not drawn: a text alternative is read, not searched.
MAX_LINKS_DESCRIBED = 20


def sankey_alt(dataset: Dataset, state: ViewState, links: pd.DataFrame | None = None) -> str:
    """'Sankey diagram of machines leaving China ...: <seller> to <country> <count as shown>; ...',
    the links of `select.sankey_links` (`links`, if the caller has them; the largest
    MAX_LINKS_DESCRIBED per column, the rest counted) with their counts as shown and their kind
    when not a plain relocation; then when ordered machines arrive, and what is listed but not
    drawn."""
    links = sankey_links(dataset, state) if links is None else links
    period = period_label(flows_period(dataset, state))
    head = "Sankey diagram of machines leaving China: seller or shipper, then destination country, then receiving farm or operator" + (f", {period}" if period else "")
    sentences = [f"{head}. Widths are machines."] if not links.empty else [f"{head}. No reported flow with a machine count matches this selection."]

    def described_link(row) -> str:
        text = f"{row.source} to {row.target} {row.shown}"
        if row.kind == "relocation":
            return text
        return f"{text} ({_LINK_WORDS.get(row.kind) or _lower_first(LINK_KINDS.get(row.kind, (None, None, row.kind.replace('_', ' ')))[2])})"

    for column, words in ((0, "From sellers to countries"), (1, "From countries to receivers")):
        part = links[links["source_column"] == column] if not links.empty else links
        if not part.empty:
            listed = part if len(part) <= MAX_LINKS_DESCRIBED else part.sort_values("machines", ascending=False, kind="stable").head(MAX_LINKS_DESCRIBED)
            more = f"; and {len(part) - len(listed):,} smaller links (the data table lists every link)" if len(listed) < len(part) else ""
            sentences.append(f"{words}: " + "; ".join(described_link(row) for row in named_rows(listed[["source", "target", "shown", "kind"]])) + more + ".")
    if state.show_orders:
        flows = filter_flows(dataset, state).dropna(subset=["machines"])
        deliveries = [f"{flow.seller} to {flow.receiver}{delivery_text(flow)}" for flow in flows[flows["kind"].isin(NOT_RECEIVED_KINDS)].itertuples() if delivery_text(flow)]
        if deliveries:
            sentences.append("When ordered machines arrive: " + "; ".join(deliveries) + ".")
    unlisted = unquantified_reports(dataset, state)
    if not unlisted.empty:
        # A total with no count is listed by its label alone ('Canada'): say what it lacks.
        uncounted = set(dataset.flow_totals.loc[dataset.flow_totals["machines"].isna(), "label"])
        items = [f"{what}, count not reported" if what in uncounted else what for what in unlisted["what"].head(MAX_LINKS_DESCRIBED)]
        more = f"; and {len(unlisted) - len(items):,} more" if len(items) < len(unlisted) else ""
        sentences.append("Listed under the chart, not drawn: " + "; ".join(items) + more + ".")
    return " ".join(sentences)


# --- the energy chart ----------------------------------------------------------------------

#: The energy chart's text when no country of the selection has a load estimate.
NO_ENERGY_ALT = "Line chart of estimated Bitcoin mining load: no country in this selection has hashrate data, so no load can be estimated."


def _gw(value) -> str:
    return f"{value:.2f} GW"


def _range(low, high) -> str:
    """' (range 0.73 GW to 2.43 GW)', or nothing when a bound is unknown."""
    return f" (range {_gw(low)} to {_gw(high)})" if pd.notna(low) and pd.notna(high) else ""


def energy_alt(dataset: Dataset, state: ViewState) -> str:
    """'Line chart of estimated mining load (GW, model) ...: in <month>, <country> <load> GW
    (range ...)', saying which model is drawn (CBECI version, the reader's efficiency and
    overhead), then the reported loads and the grid events, from `select.energy_*`."""
    state = with_month(dataset, state)
    return energy_month_alts(dataset, state, [state.month])[state.month]


def energy_month_alts(dataset: Dataset, state: ViewState, months: list[str]) -> dict[str, str]:
    """`energy_alt` of `state` at each of `months`."""
    return energy_alts(state, months, energy_series(dataset, state), reported_loads(dataset, state), grid_events(dataset, state))


def energy_alts(state: ViewState, months: list[str], series: pd.DataFrame, reported: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    """`energy_alt` of `state` at each of `months`, from the rows the chart draws
    (`select.energy_series`, `select.reported_loads`, `select.grid_events` of `state`): only
    the sentence on the selected month differs from month to month."""
    if series.empty:
        return dict.fromkeys(months, NO_ENERGY_ALT)
    countries = and_join(list(dict.fromkeys(series["country"])))
    every_month = sorted(series["month"])
    gap = set(series.loc[series["gap_month"].astype(bool), "month"])
    overstated = lambda month: " (measurement-gap month: overstated)" if month in gap else ""  # noqa: E731
    before = [
        f"Line chart of estimated Bitcoin mining load in GW, monthly from {date_label(every_month[0])} to {date_label(every_month[-1])}, for {countries}: a model, not measured.",
        describe_assumptions(state.efficiency, state.pue, state.shares) + ("" if state.is_default_model else " The default model is drawn dotted for comparison."),
        f"{version_note(series)}.",
    ]
    if series[["load_gw_low", "load_gw_high"]].notna().all(axis=1).any():
        before.append("The band runs from a fleet of the most efficient machine CCAF lists by each month to a fleet of S9-era machines.")
    spans = gap_spans(series)
    if spans:
        named = and_join([date_label(first) if first == last else f"{date_label(first)} to {date_label(last)}" for first, last in spans])
        before.append(f"Shaded: CBECI measurement-gap months ({named}), where China's hashrate is missing from the shares, so these estimates are overstated.")
    # As the chart draws it: a share CBECI left at 0 in a measurement gap is a hole, not a load.
    drawn = [row for row in named_rows(series[["iso3", "country", "month", "load_gw", "load_gw_low", "load_gw_high", "flag"]]) if row.flag != "measurement_gap" and pd.notna(row.load_gw)]
    after = []
    if drawn:
        highest: dict[str, tuple] = {}  # each country's first month at its highest estimate
        for row in drawn:
            if row.iso3 not in highest or row.load_gw > highest[row.iso3].load_gw:
                highest[row.iso3] = row
        peaks = sorted((highest[iso3] for iso3 in sorted(highest)), key=lambda row: -row.load_gw)
        after.append("Highest estimate: " + ", ".join(f"{row.country} {_gw(row.load_gw)} in {date_label(row.month)}{overstated(row.month)}" for row in peaks) + ".")
    if not reported.empty:
        items = []
        for row in named_rows(reported[["country", "date_start", "title", "value_gw", "low_gw", "high_gw"]]):
            value = _gw(row.value_gw) if pd.notna(row.value_gw) else "no value"
            bounds = f", range {_gw(row.low_gw)} to {_gw(row.high_gw)}" if pd.notna(row.low_gw) and pd.notna(row.high_gw) else ""
            items.append(f"{row.country}, {date_label(row.date_start)}: {row.title} ({value}{bounds})")
        after.append("Reported loads and capacities, as points: " + "; ".join(items) + ".")
    if not events.empty:
        after.append("Grid events, as dashed lines: " + "; ".join(f"{row.country}, {date_label(row.date_start)}: {row.title}" for row in named_rows(events[["country", "date_start", "title"]])) + ".")

    # Each month's values, largest first, from one pass over the rows (not one filter per month).
    by_month: dict[str, list[str]] = {}
    for row in sorted(drawn, key=lambda row: -row.load_gw):
        by_month.setdefault(row.month, []).append(f"{row.country} {_gw(row.load_gw)}{_range(row.load_gw_low, row.load_gw_high)}")

    def selected_month(month: str) -> list[str]:
        if month not in by_month:
            return []
        return [f"In {date_label(month)}, the selected month{overstated(month)}: " + ", ".join(by_month[month]) + "."]

    return {month: " ".join([*before, *selected_month(month), *after]) for month in months}
