"""The rows behind a view: pure pandas from (Dataset, ViewState) to tables the figures draw.

Nothing here knows about Dash or plotly. Remainders (machines whose destination is not
attributed) are derived here from the reported totals, never stored in the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache, wraps

import pandas as pd

from rigflows.countries import country_name
from rigflows.dataset import Dataset
from rigflows.models import (
    DEFAULT_VERSION,
    VERSION_LABELS,
    country_mining_load,
    describe_assumptions,
    describe_model,
    efficiency_range,
    fleet_presets,
    grid_strain,
    measurement_gap_months,
)
from rigflows.rows import named_rows
from rigflows.schema import GRID_EVENT_KINDS, OTHER_COUNTRIES, RECEIVED_KINDS
from rigflows.state import METRICS, ViewState, Vocabulary, keep_model

NOT_IDENTIFIED = "not identified"
#: The seller-side node of remainders: machines the reporting counted but did not itemise.
NOT_ITEMISED = "Sellers not itemised"
#: Flow kinds of the optional "orders" layer: new machines ordered and machines in transit,
#: shown apart from (never added to) the machines received. Plans are listed, never drawn.
NOT_RECEIVED_KINDS = ("order", "in_transit")
#: Countries drawn in the energy chart when no country is selected: the largest destinations.
DEFAULT_ENERGY_COUNTRIES = 4
_UNITS_TO_GW = {"MW": 0.001, "GW": 1.0}


def default_month(dataset: Dataset) -> str:
    """The month a view opens on: the latest month of the hashrate data (a rule, not a date in code).

    `check` requires at least one month, so there always is one.
    """
    return dataset.months[-1]


def with_month(dataset: Dataset, state: ViewState) -> ViewState:
    """The state with its month resolved: a state made without a dataset has month '' (the
    dataset's default)."""
    return state if state.month else replace(state, month=default_month(dataset))


def vocabulary(dataset: Dataset) -> Vocabulary:
    """What a URL or a filter may name in this dataset."""
    return Vocabulary(
        months=tuple(dataset.months),
        countries=frozenset(country_options(dataset)),
        firms=frozenset(firm_options(dataset)),
        default_month=default_month(dataset),
        efficiency_range=efficiency_range(dataset.miner_efficiency),
    )


@lru_cache(maxsize=8)  # asked for by every state callback: treat as read-only
def country_options(dataset: Dataset) -> dict[str, str]:
    """ISO-3 → name for every country any table names (for the country filter)."""
    codes = set(dataset.flows["destination_iso3"]) | set(dataset.farms["iso3"]) | set(dataset.hashrate_share["iso3"])
    codes |= set(dataset.flow_totals["iso3"].dropna()) | set(dataset.grid_reports["iso3"])
    codes.discard(OTHER_COUNTRIES)
    return dict(sorted(((code, country_name(code)) for code in codes), key=lambda item: item[1]))


@lru_cache(maxsize=8)  # asked for by every state callback: treat as read-only
def firm_options(dataset: Dataset) -> list[str]:
    """Named sellers, receivers and farm operators (for the firm filter), alphabetically."""
    names = set(dataset.flows["seller"]) | set(dataset.flows["receiver"]) | set(dataset.farms["operator"])
    return sorted((name for name in names if name.lower() != NOT_IDENTIFIED), key=str.lower)


def cut_by_country(*depends_on: str):
    """For a selection whose rows are each of one destination country (column iso3), computed
    from the flows and totals of that country alone: with no firm filter, a country filter's
    rows are the rows of the unfiltered view for those countries (a row of no country, such as
    a worldwide total, belongs to the unfiltered view only). They are cut from one pass per dataset
    (kept), so a new country filter costs a lookup, not a pass over the tables.

    `depends_on`: the ViewState fields other than the filters the selection reads; the kept
    pass is keyed on them alone. A firm filter changes every country's rows: computed anew,
    once per filter (the map, its extent, its lines and its sources all ask for them).
    """
    def decorate(select):
        @lru_cache(maxsize=8)
        def everywhere(dataset: Dataset, fields: tuple[tuple[str, object], ...]) -> pd.DataFrame:
            return select(dataset, ViewState(**dict(fields)))

        @lru_cache(maxsize=64)
        def of_firms(dataset: Dataset, fields: tuple[tuple[str, object], ...], countries: tuple[str, ...], firms: tuple[str, ...]) -> pd.DataFrame:
            return select(dataset, ViewState(**dict(fields), countries=countries, firms=firms))

        @wraps(select)
        def cut(dataset: Dataset, state: ViewState) -> pd.DataFrame:
            fields = tuple((name, getattr(state, name)) for name in depends_on)
            if state.firms:
                return of_firms(dataset, fields, tuple(sorted(state.countries)), tuple(sorted(state.firms)))
            return kept_cut(everywhere, (dataset, fields), state.countries) if state.countries else everywhere(dataset, fields).reset_index(drop=True)

        return cut

    return decorate


def _rows_of(rows: pd.DataFrame, countries) -> pd.DataFrame:
    """The rows (column iso3) of `countries`, in their order, numbered from 0."""
    return rows[rows["iso3"].isin(countries)].reset_index(drop=True)


def kept_cut(every, arguments: tuple, countries: Iterable[str]) -> pd.DataFrame:
    """`_rows_of` the rows `every(*arguments)` (a selection kept per dataset) for `countries`,
    kept per the countries those rows have of them: many filters have the same few in common
    with a table (a handful of countries report loads), and cutting a frame costs pandas about
    0.5 ms however small it is. Treat the rows as read-only."""
    return _kept_cut(every, arguments, frozenset(countries) & _countries_in(every, arguments))


@lru_cache(maxsize=256)
def _kept_cut(every, arguments: tuple, countries: frozenset[str]) -> pd.DataFrame:
    return _rows_of(every(*arguments), countries)


@lru_cache(maxsize=64)
def _countries_in(every, arguments: tuple) -> frozenset[str]:
    return frozenset(every(*arguments)["iso3"])


def filter_flows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Flows to the selected countries, from or to the selected firms (all flows when none).
    Kept per filter (a view's map, Sankey, text and lists all ask): treat it as read-only."""
    return _flows_of(dataset, tuple(sorted(state.countries)), tuple(sorted(state.firms)))


@lru_cache(maxsize=256)
def _flows_of(dataset: Dataset, countries: tuple[str, ...], firms: tuple[str, ...]) -> pd.DataFrame:
    flows = dataset.flows
    keep = pd.Series(True, index=flows.index)
    if countries:
        keep &= flows["destination_iso3"].isin(countries)
    if firms:
        keep &= flows["seller"].isin(firms) | flows["receiver"].isin(firms)
    return flows[keep]


def flows_period(dataset: Dataset, state: ViewState) -> list[str]:
    """The `period_end` months of the flows in view (machine counts are cumulative to these)."""
    return list(filter_flows(dataset, state)["period_end"])


def is_filtered(state: ViewState) -> bool:
    return bool(state.countries or state.firms)


def selected_countries(dataset: Dataset, state: ViewState) -> frozenset[str] | None:
    """Countries a view is limited to, or None when every country is shown.

    A firm filter limits the map and energy views to the countries that firm's flows reach.
    """
    if not is_filtered(state):
        return None
    return _selected_countries(dataset, tuple(sorted(state.countries)), tuple(sorted(state.firms)))


@lru_cache(maxsize=256)  # each chart of a filter asks, some several times
def _selected_countries(dataset: Dataset, countries: tuple[str, ...], firms: tuple[str, ...]) -> frozenset[str]:
    chosen = set(countries) if countries else set(dataset.flows["destination_iso3"])
    if firms:
        chosen &= set(_flows_of(dataset, countries, firms)["destination_iso3"]) | set(
            dataset.farms.loc[dataset.farms["operator"].isin(firms), "iso3"]
        )
    return frozenset(chosen)


# --- remainders ---------------------------------------------------------------------------


#: How a remainder relates to the true number, from the wording of the figures it comes from.
BOUND_WORDS = {"exact": "", "at_least": "at least ", "at_most": "at most ", "about": "about "}


def remainder_bound(total_qualifier: str, part_qualifiers) -> str:
    """'exact', 'at_least', 'at_most' or 'about' for total − parts.

    A total worded "at least"/"over" can only push the remainder up; parts worded so can only push
    it down; both at once (or any "about") leave no bound, only an approximation.
    """
    parts = set(part_qualifiers)
    if total_qualifier == "about" or "about" in parts or "unknown" in parts:
        return "about"
    up, down = total_qualifier == "at_least", "at_least" in parts
    return "about" if up and down else "at_least" if up else "at_most" if down else "exact"


def round_significant(machines: float, digits: int = 3) -> int:
    """12,345 → 12,300: a bound or an approximation is not shown to the unit."""
    if machines <= 0:
        return 0
    return int(round(machines, digits - 1 - len(str(int(machines))) + 1))


def machines_text(machines, bound: str = "exact") -> str:
    """'12,345', 'about 1.23 million', 'at most ~12,300': a count as it may be quoted."""
    if pd.isna(machines):
        return "count not reported"
    if bound == "exact":
        return f"{int(machines):,}"
    rounded = round_significant(float(machines))
    number = f"{rounded / 1_000_000:.3g} million" if rounded >= 1_000_000 else f"{rounded:,}"
    return BOUND_WORDS[bound] + ("~" if bound in ("at_least", "at_most") else "") + number


def _qualified(machines, qualifier: str) -> str:
    """A reported figure with its wording: 'at least 12,345', 'about 1,200', '12,345'."""
    return machines_text(machines) if qualifier == "exact" or pd.isna(machines) else f"{BOUND_WORDS.get(qualifier, '')}{int(machines):,}"


@lru_cache(maxsize=4)
def derived_remainders(dataset: Dataset) -> pd.DataFrame:
    """Machines a reported total has that its reported parts do not account for.

    For a total with child totals (2m left China > 430k tracked > countries) the remainder is
    the total minus the known children; for a country total, minus its counted relocations (a
    country with no breakdown at all, like the US, is all remainder). Figures worded "at least"
    make the remainder a bound or an approximation (`bound`, `shown`); `note` gives the arithmetic.
    """
    totals, flows = dataset.flow_totals, dataset.flows
    flows = flows[flows["kind"].isin(RECEIVED_KINDS)]
    rows = []
    for _, total in totals.dropna(subset=["machines"]).iterrows():
        children = totals[totals["parent_id"] == total["total_id"]].dropna(subset=["machines"])
        parts = flows[flows["total_id"] == total["total_id"]].dropna(subset=["machines"])
        terms = [(row["label"], row["machines"], row["qualifier"]) for _, row in children.iterrows()]
        terms += [(f"{row['seller']} → {row['receiver']}", row["machines"], row["qualifier"]) for _, row in parts.iterrows()]
        if not terms and pd.isna(total["iso3"]):
            continue  # a root nothing is reported under (Arcane's storage estimate): not a remainder
        accounted = int(sum(machines for _, machines, _ in terms))
        remainder = int(total["machines"]) - accounted
        if remainder <= 0:
            continue
        bound = remainder_bound(total["qualifier"], [qualifier for _, _, qualifier in terms])
        label = total["remainder_label"] if pd.notna(total["remainder_label"]) else f"{total['label']}: not attributed"
        shown = machines_text(remainder, bound)
        listed = "; ".join(f"{name} {_qualified(machines, qualifier)}" for name, machines, qualifier in terms)
        arithmetic = f"{total['label']}: {_qualified(total['machines'], total['qualifier'])}"
        arithmetic += f" − {accounted:,} attributed ({listed})" if terms else ", none of it attributed"
        arithmetic += f" = {remainder:,}, shown as {shown}"
        arithmetic += {
            "exact": ".",
            "at_least": ": the total is a floor, so the remainder is too.",
            "at_most": ": some parts are floors, so the remainder is a ceiling.",
            "about": ": approximate figures, or floors on both sides, make it neither a floor nor a ceiling.",
        }[bound]
        if total["qualifier"] == "at_least" and any(qualifier == "at_least" for _, _, qualifier in terms):
            arithmetic += f" If the total is close to its stated floor, it is {machines_text(remainder, 'at_most')}."
        rows.append(
            {
                "total_id": total["total_id"],
                "label": label,
                "iso3": total["iso3"],
                "machines": remainder,
                "bound": bound,
                "shown": shown,
                "of_total": int(total["machines"]),
                "accounted": accounted,
                "confidence": "model_estimate",
                "source_ids": total["source_ids"],
                "note": "Derived, not reported. " + arithmetic,
            }
        )
    return pd.DataFrame(rows, columns=["total_id", "label", "iso3", "machines", "bound", "shown", "of_total", "accounted", "confidence", "source_ids", "note"])


@lru_cache(maxsize=256)  # asked for by the Sankey's text alternative and the list under it
def unquantified_reports(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """What is reported but not drawn: flows and totals with no count (Canada's rank, The9's
    contract), plans and requests (never drawn: they are not machines received), orders and
    machines in transit while their layer is off, and estimates nothing is reported under.
    Columns what, note, source_ids."""
    return _reports_not_drawn(dataset, state)[["what", "note", "source_ids"]]


@cut_by_country("show_orders")
def _reports_not_drawn(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """`unquantified_reports` with each report's country (iso3; missing for a worldwide total)."""
    flows = filter_flows(dataset, state)
    hidden = flows["machines"].isna() | (flows["kind"] == "plan_or_request") | (flows["kind"].isin(NOT_RECEIVED_KINDS) & (not state.show_orders))
    rows = [
        {"what": f"{_KIND_WORDS[flow.kind]}: {flow.seller} → {country_name(flow.destination_iso3)} ({flow.receiver}), {_qualified(flow.machines, flow.qualifier)}", "note": flow.note, "source_ids": flow.source_ids, "iso3": flow.destination_iso3}
        for flow in named_rows(flows.loc[hidden, ["kind", "seller", "destination_iso3", "receiver", "machines", "qualifier", "note", "source_ids"]])
    ]
    totals = dataset.flow_totals
    if state.countries:
        totals = totals[totals["iso3"].isin(state.countries)]
    if not state.firms:
        parents, with_flows = set(totals["parent_id"].dropna()), set(dataset.flows["total_id"].dropna())
        for total in named_rows(totals[["total_id", "label", "machines", "qualifier", "parent_id", "iso3", "note", "source_ids"]]):
            if pd.isna(total.machines):
                rows.append({"what": total.label, "note": total.note, "source_ids": total.source_ids, "iso3": total.iso3})
            elif pd.isna(total.parent_id) and pd.isna(total.iso3) and total.total_id not in parents and total.total_id not in with_flows:
                rows.append({"what": f"{total.label}: {_qualified(total.machines, total.qualifier)}", "note": total.note, "source_ids": total.source_ids, "iso3": total.iso3})
    return pd.DataFrame(rows, columns=["what", "note", "source_ids", "iso3"])


#: How each flow kind reads in a listing or a hover.
_KIND_WORDS = {
    "relocation": "Relocation",
    "in_transit": "In transit, not received",
    "order": "Order of new machines, not received",
    "plan_or_request": "Plan or request, not counted",
}


# --- Sankey --------------------------------------------------------------------------------

SANKEY_COLUMNS = ("seller", "country", "receiver")


def _receiver_label(receiver: str, iso3: str) -> str:
    # "not identified" in two countries are two different unknowns, not one node.
    return f"Not identified ({country_name(iso3)})" if receiver.lower() == NOT_IDENTIFIED else receiver


def _seller_label(seller: str) -> str:
    return "Seller not identified" if seller.lower() == NOT_IDENTIFIED else seller


def sankey_links(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Links seller → country → receiver, in machines: relocations, plus derived remainders, plus
    (only with the orders layer) orders and machines in transit. Plans are never drawn.

    Columns: source, target, source_column, target_column (0 seller, 1 country, 2 receiver),
    machines, shown (the count as it may be quoted), kind, confidence, source_ids, note,
    source_names (the producers, as hovers name them). Flows
    without a count cannot be drawn and are listed by `unquantified_reports` instead.

    A country filter's links (no firm filter) are cut from the unfiltered view's: every link
    has its country at one end (the target of a seller's link, the source of a receiver's), so
    links merged there never mix countries, and a subset of links sorted stably stays sorted.
    """
    if not state.countries or state.firms:
        return _links_of(dataset, state)
    every, country = _every_countrys_links(dataset, state.show_orders)
    return every[country.isin({country_name(iso3) for iso3 in state.countries})].reset_index(drop=True)


@lru_cache(maxsize=8)
def _every_countrys_links(dataset: Dataset, show_orders: bool) -> tuple[pd.DataFrame, pd.Series]:
    """The unfiltered view's links without the remainders of no country (whole view only), and
    the country at one end of each."""
    links = _links_of(dataset, ViewState(show_orders=show_orders, show_remainders=False))
    return links, links["target"].where(links["source_column"] == 0, links["source"])


def _links_of(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """`sankey_links` in one pass over the flows and remainders."""
    kinds = RECEIVED_KINDS + (NOT_RECEIVED_KINDS if state.show_orders else ())
    flows = filter_flows(dataset, state).dropna(subset=["machines"])
    flows = flows[flows["kind"].isin(kinds)]
    links = []
    for flow in named_rows(flows[_LINKED_FLOW_COLUMNS]):
        country = country_name(flow.destination_iso3)
        note = flow.note if pd.notna(flow.note) else ""
        if flow.kind in NOT_RECEIVED_KINDS:
            note = f"{_KIND_WORDS[flow.kind]}{delivery_text(flow)}. {note}"
        common = {"machines": int(flow.machines), "shown": _qualified(flow.machines, flow.qualifier), "kind": flow.kind, "confidence": flow.confidence, "source_ids": flow.source_ids, "note": note}
        links.append({"source": _seller_label(flow.seller), "target": country, "source_column": 0, "target_column": 1, **common})
        links.append({"source": country, "target": _receiver_label(flow.receiver, flow.destination_iso3), "source_column": 1, "target_column": 2, **common})
    for remainder in _remainder_rows(dataset) if not state.firms else ():  # a firm filter draws no remainder
        common = {"machines": remainder.machines, "shown": remainder.shown, "kind": "remainder", "confidence": remainder.confidence, "source_ids": remainder.source_ids, "note": remainder.note}
        if pd.isna(remainder.iso3):
            # What left China or was tracked without a reported destination: optional, whole view only.
            if state.show_remainders and not is_filtered(state):
                links.append({"source": NOT_ITEMISED, "target": remainder.label, "source_column": 0, "target_column": 1, **common})
        elif not state.firms and (not state.countries or remainder.iso3 in state.countries):
            # Part of a reported country total: always drawn, it is that country's count.
            country = country_name(remainder.iso3)
            links.append({"source": NOT_ITEMISED, "target": country, "source_column": 0, "target_column": 1, **common})
            links.append({"source": country, "target": _receiver_label(NOT_IDENTIFIED, remainder.iso3), "source_column": 1, "target_column": 2, **common})
    return _merged_links(dataset, links)


_LINK_COLUMNS = ["source", "target", "source_column", "target_column", "machines", "shown", "kind", "confidence", "source_ids", "note"]
#: What makes two links one (`_merged_links`).
_MERGED_BY = ("source", "target", "source_column", "target_column", "kind", "confidence")
#: The columns of a flow a Sankey link reads (its delivery text included, `delivery_text`).
_LINKED_FLOW_COLUMNS = ["seller", "receiver", "destination_iso3", "machines", "qualifier", "kind", "confidence", "source_ids", "note", "delivery_start", "delivery_end"]


@lru_cache(maxsize=4)
def _remainder_rows(dataset: Dataset) -> list[tuple]:
    """`derived_remainders` as rows, read by every Sankey of a country filter."""
    return named_rows(derived_remainders(dataset))


def _merged_links(dataset: Dataset, links: list[dict]) -> pd.DataFrame:
    """Links (dicts of `_LINK_COLUMNS`) with the same ends, kind and confidence as one, largest
    first in each column. Grouped in plain Python: pandas' groupby with three joined columns
    took milliseconds for a few dozen links, at every new firm filter."""
    groups: dict[tuple, list[dict]] = {}
    for link in links:
        groups.setdefault(tuple(link[name] for name in _MERGED_BY), []).append(link)
    rows = [
        {
            **dict(zip(_MERGED_BY, key)),
            "machines": sum(link["machines"] for link in group),
            "shown": _join_shown([link["shown"] for link in group]),
            "source_ids": _join_ids([link["source_ids"] for link in group]),
            "note": _join_text([link["note"] for link in group]),
        }
        for key, group in groups.items()
    ]
    merged = pd.DataFrame(rows, columns=_LINK_COLUMNS)
    merged = merged.assign(source_names=source_names(dataset, merged["source_ids"]))
    return merged.sort_values(["source_column", "machines"], ascending=[True, False], kind="stable").reset_index(drop=True)


#: Quoted counts joined in a merged link before the rest are counted ('12,000 + 345 + 2 more').
_SHOWN_JOINED = 3


def _join_shown(values: Iterable[str]) -> str:
    """Links merged into one: their quoted counts, joined ('12,000 + 345')."""
    shown = list(values)
    more = len(shown) - _SHOWN_JOINED
    return " + ".join(shown[:_SHOWN_JOINED]) + (f" + {more:,} more" if more > 0 else "")


#: Sellers, and receivers, the Sankey draws as nodes of their own. The smaller ones are drawn as
#: one node per column that says how many it holds (the table and the CSV keep every link). The
#: bundled data has at most 7 in a column; thousands of nodes would be unreadable and slow.
MAX_NODES_PER_COLUMN = 20


def drawn_links(dataset: Dataset, links: pd.DataFrame, most: int = MAX_NODES_PER_COLUMN) -> pd.DataFrame:
    """`links` (`sankey_links`) as the Sankey draws them: in each column the `most` largest
    nodes, and the others merged into one ("37 other sellers", "12 other countries", "412
    other receivers"), whose links keep every source. Remainders are never merged: each is its
    own count. A node's size is what leaves it (sellers) or what reaches it (the others)."""
    frame = links
    merged = False
    for column, words in enumerate(("other sellers", "other countries", "other receivers")):
        others = _beyond_largest(frame, column, most)
        if len(others) > 1:
            frame = frame if merged else links[_LINK_COLUMNS].copy()
            label = f"{len(others):,} {words}"
            for side in ("source", "target"):
                frame.loc[(frame[f"{side}_column"] == column) & frame[side].isin(others), side] = label
            merged = True
    return _merged_links(dataset, frame.to_dict("records")) if merged else links


def _beyond_largest(links: pd.DataFrame, column: int, most: int) -> list[str]:
    """The nodes of `column` after its `most` largest (ties in order of appearance), but
    remainders: those `drawn_links` merges when there are two or more."""
    end = "source" if column == 0 else "target"
    totals: dict[str, float] = {}
    remainders = set()
    for label, at, kind, machines in zip(links[end].tolist(), links[f"{end}_column"].tolist(), links["kind"].tolist(), links["machines"].tolist()):
        if at == column:
            totals[label] = totals.get(label, 0) + (0 if pd.isna(machines) else machines)
            if kind == "remainder":
                remainders.add(label)
    ranked = sorted(totals, key=lambda label: -totals[label])
    return [label for label in ranked[most:] if label not in remainders]


def delivery_text(flow) -> str:
    """', delivery Jan 2022 – Jun 2022' (or 'from Jun 2021'): when ordered machines arrive."""
    start, end = getattr(flow, "delivery_start", None), getattr(flow, "delivery_end", None)
    if not isinstance(start, str):
        return ""
    if isinstance(end, str):
        return f", delivery {_month_words(start)} – {_month_words(end)}"
    return f", deliveries from {_month_words(start)} (end not stated)"


def _month_words(month: str) -> str:
    return pd.Timestamp(month).strftime("%b %Y")


def _join_ids(values: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """The ids of several rows (each a tuple), in order, once each."""
    return tuple(dict.fromkeys(source_id for ids in values for source_id in ids))


def _each_row(ids: tuple[str, ...], rows: pd.DataFrame | pd.Series) -> list[tuple[str, ...]]:
    """The same ids for every row of a column (pandas would spread a bare tuple over the rows)."""
    return [ids] * len(rows)


def _join_text(values: Iterable[str]) -> str:
    return " / ".join(dict.fromkeys(value for value in values if value))


# --- map -----------------------------------------------------------------------------------

MAP_COLUMNS = ["iso3", "country", "value", "low", "high", "status", "details", "source_ids"]
#: What `map_rows` returns: MAP_COLUMNS and the producers the hovers name (`source_names`).
MAP_ROW_COLUMNS = [*MAP_COLUMNS, "source_names"]


def map_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """One row per country for the chosen metric (and month), limited by the filters.

    `status` is "reported", "flagged" (a distorted share), "estimate" (model), "no count"
    (a reported destination without a number) or "plan only" (only plans or requests, not
    counted as received); `details` are extra hover lines; `source_names` the producers behind
    the row, as a reader knows them (`credited_producers`).

    Each country's row is its own, so a view's rows are cut from every country's, which are
    kept (treat them as read-only); only a firm filter changes the rows of the machines map.
    """
    state = with_month(dataset, state)
    if not cut_from_every_country(state):
        return _map_rows(dataset, state)
    key = keep_model(ViewState(metric=state.metric, month=state.month), state)
    limit = selected_countries(dataset, state)
    return _every_countrys_map_rows(dataset, key) if limit is None else kept_cut(_every_countrys_map_rows, (dataset, key), limit)


def cut_from_every_country(state: ViewState) -> bool:
    """Whether the map rows of view `state` are every country's, cut by its filter: all but a
    firm filter's machines map (a firm's machines are not its countries')."""
    return not (state.firms and state.metric == "machines")


@lru_cache(maxsize=len(METRICS) * 240)  # every metric and month of 20 years of a dataset
def _every_countrys_map_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    return _map_rows(dataset, state)


def _map_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    builders = {"machines": _machine_rows, "share": _share_rows, "load": _load_rows, "strain": _strain_rows}
    rows = builders[state.metric](dataset, state)
    limit = selected_countries(dataset, state)
    if limit is not None:
        rows = rows[rows["iso3"].isin(limit)]
    rows = rows[rows["iso3"] != OTHER_COUNTRIES]
    rows = rows[MAP_COLUMNS].assign(source_names=source_names(dataset, rows["source_ids"]))
    return rows.sort_values("iso3").reset_index(drop=True)


@cut_by_country()
def received_machines(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Machines relocated from China per destination, as the map and its lines draw them.

    A country's reported total when it has a number (the whole view: a total may have no
    breakdown at all, or be worded 'at least'); else, or under a firm filter, the sum of its counted
    relocations. Orders, machines in transit and plans are never in it. Columns: iso3,
    machines, shown (as quoted, e.g. 'at least 12,345').
    """
    flows = filter_flows(dataset, state)
    flows = flows[flows["kind"].isin(RECEIVED_KINDS)].dropna(subset=["machines"])
    counted = {}
    if not state.firms:
        totals = dataset.flow_totals.dropna(subset=["iso3", "machines"])
        for total in totals.itertuples():
            if not state.countries or total.iso3 in state.countries:
                counted[total.iso3] = (int(total.machines), _qualified(total.machines, total.qualifier))
    for iso3, group in flows.groupby("destination_iso3"):
        if iso3 not in counted:
            exact = (group["qualifier"] == "exact").all()
            counted[iso3] = (int(group["machines"].sum()), " + ".join(_qualified(m, q) for m, q in zip(group["machines"], group["qualifier"])) if not exact or len(group) > 1 else _qualified(group["machines"].iloc[0], "exact"))
    rows = [{"iso3": iso3, "machines": machines, "shown": shown} for iso3, (machines, shown) in sorted(counted.items())]
    return pd.DataFrame(rows, columns=["iso3", "machines", "shown"])


def shown_machines(dataset: Dataset, state: ViewState) -> dict[str, str]:
    """{ISO-3: its machines as quoted ('at least 12,345')} of `received_machines`: how the map's
    labels and text alternative word them."""
    received = received_machines(dataset, state)
    return dict(zip(received["iso3"].tolist(), received["shown"].tolist()))


@cut_by_country()
def _machine_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    flows = filter_flows(dataset, state)
    totals, remainders = _totals_by_country(dataset), _remainders_by_country(dataset)
    received = received_machines(dataset, state).set_index("iso3")
    with_total = {iso3 for iso3 in totals.index if not state.countries or iso3 in state.countries} if not state.firms else set()
    rows = []
    for iso3 in sorted(set(flows["destination_iso3"]) | with_total):
        mine = flows[flows["destination_iso3"] == iso3]
        details = []
        if iso3 in with_total:
            total = totals.loc[iso3]
            rank = f", rank {int(total['rank'])} among destinations" if pd.notna(total["rank"]) else ""
            details.append(f"Reported total, relocated from China: {_qualified(total['machines'], total['qualifier'])}{rank}")
        details += [
            f"{flow.seller} → {flow.receiver}: {_qualified(flow.machines, flow.qualifier)} ({_KIND_WORDS[flow.kind].lower()}{delivery_text(flow)}; {flow.confidence.replace('_', ' ')})"
            for flow in mine.itertuples()
        ]
        if iso3 in with_total and iso3 in remainders.index:
            details.append(f"{remainders.loc[iso3, 'label']}: {remainders.loc[iso3, 'shown']} (derived remainder)")
        has_count = iso3 in received.index
        kinds = set(mine["kind"])
        status = (
            "reported" if has_count
            else "no count" if iso3 in with_total or "relocation" in kinds
            else "not received" if kinds & set(NOT_RECEIVED_KINDS)
            else "plan only"
        )
        value = float(received.loc[iso3, "machines"]) if has_count else float("nan")
        low = value if has_count and received.loc[iso3, "shown"].startswith("at least") else float("nan")
        total_ids = pd.Series([totals.loc[iso3, "source_ids"]] if iso3 in with_total else [], dtype=object)
        sources = _join_ids(pd.concat([mine["source_ids"], total_ids]))
        rows.append({"iso3": iso3, "country": country_name(iso3), "value": value, "low": low, "high": float("nan"), "status": status, "details": details, "source_ids": sources})
    return pd.DataFrame(rows, columns=MAP_COLUMNS)


@lru_cache(maxsize=4)  # every machines map of a firm filter reads them
def _totals_by_country(dataset: Dataset) -> pd.DataFrame:
    """Each country's reported total (`flow_totals` rows of a country), by ISO-3."""
    return dataset.flow_totals.dropna(subset=["iso3"]).set_index("iso3")


@lru_cache(maxsize=4)
def _remainders_by_country(dataset: Dataset) -> pd.DataFrame:
    """Each country's derived remainder (`derived_remainders` rows of a country), by ISO-3."""
    return derived_remainders(dataset).dropna(subset=["iso3"]).set_index("iso3")


def _month_rows(frame: pd.DataFrame, state: ViewState) -> pd.DataFrame:
    return frame[frame["month"] == state.month].assign(country=lambda rows: rows["iso3"].map(country_name))


def _flag_details(flag, gap_month: bool = False) -> list[str]:
    """Hover lines for a flagged share, and for any share in a measurement-gap month."""
    notes = {
        "vpn_distorted": "Flagged: share likely inflated by VPN/proxy use (CBECI asterisk); not a grid figure",
        "measurement_gap": "Flagged: CBECI shows 0% here, a measurement gap after the ban, not a real zero",
    }
    if isinstance(flag, str) and flag in notes:
        return [notes[flag]]
    return [GAP_MONTH_NOTE] if gap_month else []


#: Why every other country is flagged in a month where a share is a measurement gap.
GAP_MONTH_NOTE = "Flagged: measurement-gap month (China's hashrate missing from CBECI's shares), so this share and any load from it are overstated"


def _flag_status(flags: pd.Series, gap_months: pd.Series, unflagged: str) -> pd.Series:
    return pd.Series([("flagged" if isinstance(flag, str) or gap else unflagged) for flag, gap in zip(flags, gap_months)], index=flags.index, dtype=object)


def gap_months(dataset: Dataset) -> list[str]:
    """The measurement-gap months of this dataset (from `hashrate_share.flag`)."""
    return measurement_gap_months(dataset.hashrate_share)


def _share_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(dataset.hashrate_share, state)
    gap = rows["month"].isin(gap_months(dataset))
    return rows.assign(
        value=rows["share_pct"],
        low=float("nan"),
        high=float("nan"),
        status=_flag_status(rows["flag"], gap, "reported"),
        details=[[f"Hashrate: {ehs:.2f} EH/s", *_flag_details(flag, in_gap)] for ehs, flag, in_gap in zip(rows["hashrate_ehs"], rows["flag"], gap)],
        source_ids=rows["source_id"].map(lambda source_id: (source_id,)),
    )


@lru_cache(maxsize=16)
def mining_load(dataset: Dataset, version: str = DEFAULT_VERSION, efficiency: float | None = None, pue: float = 1.0, shares: tuple = ()) -> pd.DataFrame:
    """Model: mining load and strain for every country and month (see rigflows.models).

    Depends on the dataset and the model's assumptions alone, so it is computed once per
    dataset and assumptions; treat it as read-only.
    """
    load = country_mining_load(dataset.hashrate_share, dataset.cbeci_power, dataset.cbeci_annual, dataset.miner_efficiency, version, efficiency, pue, shares)
    return grid_strain(load, dataset.electricity)


def model_load(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """`mining_load` under the reader's assumptions (the state's model fields)."""
    return mining_load(dataset, state.cbeci, state.efficiency, state.pue, state.shares)


@lru_cache(maxsize=4)
def efficiency_presets(dataset: Dataset) -> tuple[dict, ...]:
    """The calculator's fleet presets from CCAF's list: one per machine generation, each with
    its median efficiency (J/TH) and the range of its models, for a dropdown. Once per dataset
    (the state callback asks on every filter change); treat it as read-only."""
    names = {"s9_era": "S9-era fleet", "s19_era": "S19-era fleet"}
    presets = []
    for row in fleet_presets(dataset.miner_efficiency).itertuples():
        # The median of two models can carry float noise (31.880000000000003): the list has 3 decimals.
        median = round(float(row.j_per_th), 3)
        span = f"median {median:g} J/TH of models at {row.j_per_th_min:g}–{row.j_per_th_max:g}"
        presets.append({"value": row.fleet_class, "label": f"{names.get(row.fleet_class, row.fleet_class)} ({span})", "j_per_th": median})
    return tuple(sorted(presets, key=lambda preset: -preset["j_per_th"]))


def method_text(dataset: Dataset, state: ViewState) -> str:
    """The load model's method with this dataset's figures and the reader's assumptions."""
    return _method_text(dataset, state.cbeci, state.efficiency, state.pue, state.shares)


@lru_cache(maxsize=64)
def _method_text(dataset: Dataset, version: str, efficiency: float | None, pue: float, shares: tuple) -> str:
    """Once per dataset and model: the state callback sends it on every filter change."""
    return describe_model(dataset.cbeci_power, dataset.cbeci_annual, dataset.miner_efficiency, version, efficiency, pue, shares)


def version_text(version_drawn: str, chosen: str) -> str:
    """Which CBECI model a month's load follows, for hovers and the CSV."""
    missing = " (no revised annual total for this year)" if version_drawn != chosen else ""
    return f"Network power: {VERSION_LABELS.get(version_drawn, version_drawn)}{missing}"


def _formula_text(ehs: float, j_per_th: float, pue: float, load_gw: float, state: ViewState) -> str:
    """One country's arithmetic, e.g. 'Model: 21.85 EH/s × 34 J/TH × 1.1 = 0.82 GW'."""
    efficiency = f"{j_per_th:.1f} J/TH (CBECI's own)" if state.efficiency is None else f"{j_per_th:g} J/TH"
    return f"Model: {ehs:.2f} EH/s × {efficiency} × overhead {pue:g} = {load_gw:.2f} GW"


#: The load model's columns in the CSV: the version, efficiency and overhead behind each row.
MODEL_COLUMNS = ["cbeci_version", "j_per_th", "overhead_pue"]


def model_columns(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Per country, the assumptions behind the map's load or strain in the state's month (no
    rows for the other metrics, which use no model)."""
    if state.metric not in ("load", "strain"):
        return pd.DataFrame(columns=["iso3", *MODEL_COLUMNS])
    rows = _month_rows(model_load(dataset, state), state)
    return pd.DataFrame({"iso3": rows["iso3"], "cbeci_version": rows["version_drawn"], "j_per_th": rows["j_per_th"], "overhead_pue": rows["pue"]})


def _load_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(model_load(dataset, state), state)
    return rows.assign(
        value=rows["load_gw"],
        low=rows["load_gw_low"],
        high=rows["load_gw_high"],
        status=_flag_status(rows["flag"], rows["gap_month"], "estimate"),
        details=[
            [f"Share of hashrate: {share:.2f}%" + (" (your value)" if yours else ""), _formula_text(ehs, j, pue, load, state), version_text(version, state.cbeci), *_flag_details(flag, gap)]
            for share, yours, ehs, j, pue, load, version, flag, gap in zip(
                rows["share_pct"], rows["share_set_by_reader"], rows["hashrate_ehs"], rows["j_per_th"], rows["pue"], rows["load_gw"], rows["version_drawn"], rows["flag"], rows["gap_month"]
            )
        ],
        source_ids=_each_row(model_source_ids(dataset, with_demand=False), rows),
    )


def _strain_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(model_load(dataset, state), state).dropna(subset=["strain_pct"])
    return rows.assign(
        value=rows["strain_pct"],
        low=rows["strain_pct_low"],
        high=rows["strain_pct_high"],
        status=_flag_status(rows["flag"], rows["gap_month"], "estimate"),
        details=[
            [f"Load {load:.2f} GW vs demand {demand:,.1f} TWh ({int(year)})", version_text(version, state.cbeci), *_flag_details(flag, gap)]
            for load, demand, year, version, flag, gap in zip(rows["load_gw"], rows["demand_twh"], rows["demand_year"], rows["version_drawn"], rows["flag"], rows["gap_month"])
        ],
        source_ids=_each_row(model_source_ids(dataset, with_demand=True), rows),
    )


@lru_cache(maxsize=8)  # the same for every view: asked for by each energy chart and sources panel
def model_source_ids(dataset: Dataset, with_demand: bool) -> tuple[str, ...]:
    """The sources the load model draws on (shares, network power, the hardware list behind its
    range, CBECI's annual totals and, for strain, demand)."""
    tables = [dataset.hashrate_share, dataset.cbeci_power, dataset.miner_efficiency] + ([dataset.electricity] if with_demand else [])
    singles = [(source_id,) for table in tables for source_id in table["source_id"]]
    return _join_ids([*singles, *dataset.cbeci_annual["source_ids"]])


# --- energy --------------------------------------------------------------------------------


def energy_countries(dataset: Dataset, state: ViewState) -> list[str]:
    """Countries the energy chart compares: the selection, else the largest FT destinations."""
    limit = selected_countries(dataset, state)
    if limit is not None:
        return sorted(limit - {OTHER_COUNTRIES})
    totals = dataset.flow_totals.dropna(subset=["iso3", "machines"]).sort_values("machines", ascending=False)
    codes = list(dict.fromkeys(totals["iso3"]))
    codes += [code for code in dataset.grid_reports["iso3"] if code not in codes]
    return codes[:DEFAULT_ENERGY_COUNTRIES]


def energy_series(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Monthly model load (GW, with range) for the energy chart's countries."""
    return kept_cut(_every_countrys_load, (dataset, state.cbeci, state.efficiency, state.pue, state.shares), energy_countries(dataset, state))


@lru_cache(maxsize=16)
def _every_countrys_load(dataset: Dataset, cbeci: str, efficiency, pue, shares) -> pd.DataFrame:
    """`energy_series` of every country under one load model, by country and month: a view's
    rows are those of its countries (one row per country and month: the order is the same)."""
    load = mining_load(dataset, cbeci, efficiency, pue, shares)
    return load.assign(country=load["iso3"].map(country_name)).sort_values(["iso3", "month"])


def reported_loads(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Reported mining loads and capacities in GW (with ranges), for the energy countries."""
    return kept_cut(_every_reported_load, (dataset,), energy_countries(dataset, state))


@lru_cache(maxsize=4)  # a view's rows are these rows of its countries: a lookup, not a pass
def _every_reported_load(dataset: Dataset) -> pd.DataFrame:
    reports = dataset.grid_reports
    reports = reports[reports["kind"].isin(["mining_load", "capacity"]) & reports["unit"].isin(list(_UNITS_TO_GW))]
    factor = reports["unit"].map(_UNITS_TO_GW)
    # A report that gives only a range ("1,000-1,200 MW") is drawn at its midpoint, with the range.
    value = reports["value"].fillna((reports["value_low"] + reports["value_high"]) / 2)
    return reports.assign(
        country=reports["iso3"].map(country_name),
        source_names=source_names(dataset, reports["source_ids"]),
        value_gw=value * factor,
        low_gw=reports["value_low"] * factor,
        high_gw=reports["value_high"] * factor,
    )


def grid_events(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Blackouts, cut-offs, rationing, caps and permit decisions for the energy countries, by date."""
    return kept_cut(_every_grid_event, (dataset,), energy_countries(dataset, state))


@lru_cache(maxsize=4)
def _every_grid_event(dataset: Dataset) -> pd.DataFrame:
    """Every event, sorted stably: any country's are in the same order alone or with others."""
    reports = dataset.grid_reports
    events = reports[reports["kind"].isin(GRID_EVENT_KINDS)]
    return events.assign(country=events["iso3"].map(country_name), source_names=source_names(dataset, events["source_ids"])).sort_values("date_start", kind="stable")


# --- flow lines ----------------------------------------------------------------------------

#: Where every flow starts on the map: the machines left China.
ORIGIN = "CHN"


@cut_by_country("show_orders")
def flow_lines(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """One line per destination, China → country: machines relocated (as on the map) and, with
    the orders layer, a separate line for orders and machines in transit.

    `layer` is "received" or "not received"; `text` is the line's hover. Both ends are the
    country anchors of the map's own geometry (`rigflows.geo`), so a line ends where the
    country is drawn.
    """
    origin = dataset.geometry.anchor(ORIGIN)
    lines = []
    for row in received_machines(dataset, state).itertuples():
        lines.append((row.iso3, row.machines, "received", f"China → {country_name(row.iso3)}: {row.shown} machines relocated"))
    if state.show_orders:
        flows = filter_flows(dataset, state)
        flows = flows[flows["kind"].isin(NOT_RECEIVED_KINDS)].dropna(subset=["machines"])
        for iso3, group in flows.groupby("destination_iso3"):
            parts = "; ".join(f"{flow.seller} → {flow.receiver} {_qualified(flow.machines, flow.qualifier)} ({_KIND_WORDS[flow.kind].lower()}{delivery_text(flow)})" for flow in group.itertuples())
            lines.append((iso3, int(group["machines"].sum()), "not received", f"China → {country_name(iso3)}, not received: {parts}"))
    rows = []
    for iso3, machines, layer, text in lines:
        anchor = dataset.geometry.anchor(iso3)
        if origin is None or anchor is None or iso3 == ORIGIN:
            continue
        rows.append({"iso3": iso3, "country": country_name(iso3), "machines": machines, "layer": layer, "text": text, "from_lon": origin[0], "from_lat": origin[1], "to_lon": anchor[0], "to_lat": anchor[1]})
    return pd.DataFrame(rows, columns=["iso3", "country", "machines", "layer", "text", "from_lon", "from_lat", "to_lon", "to_lat"])


# --- farms, sources, export ----------------------------------------------------------------


def farm_markers(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Farms with coordinates, limited by the filters (for the map overlay), with the producers
    of their sources (`source_names`)."""
    farms = dataset.farms.dropna(subset=["lat", "lon"])
    if state.countries:
        farms = farms[farms["iso3"].isin(state.countries)]
    if state.firms:
        linked = set(filter_flows(dataset, state)["farm_id"].dropna())
        farms = farms[farms["operator"].isin(state.firms) | farms["name"].isin(state.firms) | farms["farm_id"].isin(linked)]
    return farms.assign(source_names=source_names(dataset, farms["source_ids"])).reset_index(drop=True)


def sources_with_originals(dataset: Dataset, source_ids: Iterable[str]) -> pd.DataFrame:
    """The sources rows for `source_ids`, plus the original of each press copy among them, in
    the sources table's order."""
    ids = set(source_ids)
    sources = dataset.sources
    originals = sources.loc[sources["source_id"].isin(ids), "original_id"].dropna()
    return sources[sources["source_id"].isin(ids | set(originals))].reset_index(drop=True)


#: Producers named in a chart's source line before "and N more" (the rest are in the panel).
SOURCE_LINE_PRODUCERS = 4
_CREDIT_ORDER = {kind: rank for rank, kind in enumerate(("dataset", "official_statistics", "official_document", "original_report", "company_release", "model_estimate", "press_copy"))}


@lru_cache(maxsize=4096)  # a few dozen id sets, asked for by every row of every frame
def credited_producers(dataset: Dataset, source_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The producers behind `source_ids` as a reader knows them, once each, in credit order.

    A press copy is credited to its original's producer (the FT, not the site that copied it);
    data and official documents come first, then reporting, then copies (the table's order
    within). Unknown ids are left out.
    """
    return tuple(dict.fromkeys(source["producer"] for source in credited_sources(dataset, source_ids)))


def credited_sources(dataset: Dataset, source_ids: tuple[str, ...]) -> list[dict]:
    """The sources behind `source_ids` as a listing names them, in credit order: each a dict of
    producer, title and url, and the press copies read for it (`copies`, the same fields).

    A press copy whose original has a row of its own is listed under that original (the FT
    article, read in ultcoin365's rewrite); any other source stands for itself.
    """
    sources = _sources_by_id(dataset)
    entry = lambda source_id: {"producer": sources[source_id]["producer"], "title": sources[source_id]["title"], "url": sources[source_id]["url"] if isinstance(sources[source_id]["url"], str) else None}  # noqa: E731
    credited: dict[str, list[str]] = {}
    for source_id in (source_id for source_id in source_ids if source_id in sources):
        original = sources[source_id]["original_id"]
        if isinstance(original, str) and original in sources:
            credited.setdefault(original, []).append(source_id)
        else:
            credited.setdefault(source_id, [])
    ranked = sorted(credited, key=lambda source_id: (_CREDIT_ORDER.get(sources[source_id]["kind"], len(_CREDIT_ORDER)), sources[source_id]["position"]))
    return [{**entry(source_id), "copies": [entry(copy) for copy in credited[source_id]]} for source_id in ranked]


@lru_cache(maxsize=4)
def _sources_by_id(dataset: Dataset) -> dict[str, dict]:
    """The sources table as {source_id: its row, with its position in the table}: read only."""
    return {row["source_id"]: {**row, "position": position} for position, row in enumerate(dataset.sources.to_dict("records"))}


def source_names(dataset: Dataset, column: pd.Series) -> list[tuple[str, ...]]:
    """`credited_producers` of each row's source ids: the `source_names` column hovers print."""
    return [credited_producers(dataset, ids if isinstance(ids, tuple) else ()) for ids in column]


def source_line(dataset: Dataset, source_ids: Iterable[str]) -> str:
    """'Sources: Financial Times; CCAF, CBECI; ... and 3 more (see the sources panel)': the
    producers behind a drawn chart, from its source ids, so a PNG credits exactly what it shows."""
    producers = credited_producers(dataset, tuple(source_ids))
    if not producers:
        return "Sources: see the sources panel"
    shown, more = producers[:SOURCE_LINE_PRODUCERS], len(producers) - SOURCE_LINE_PRODUCERS
    return "Sources: " + "; ".join(shown) + (f" and {more} more" if more > 0 else "") + " (see the sources panel)"


def editorial_notes(dataset: Dataset, kind: str) -> pd.DataFrame:
    """The notes of one kind (`notes.csv`: conflicts, credit), in the table's order."""
    notes = dataset.notes
    return notes[notes["kind"] == kind].reset_index(drop=True)


def citation(source) -> str:
    """'Producer, "Title" (published), URL, accessed DATE' for one sources row."""
    parts = [str(source["producer"]), f"\u201c{source['title']}\u201d"]
    if pd.notna(source["published"]):
        parts[-1] += f" ({source['published']})"
    if pd.notna(source["url"]):
        parts.append(str(source["url"]))
    if pd.notna(source["accessed"]):
        parts.append(f"accessed {source['accessed']}")
    return ", ".join(parts)


def export_table(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """The rows behind the current view as one flat table, each with its full citations.

    Map rows (metric, month), Sankey links, the energy chart (model series with bounds,
    reported loads, grid events), the farm overlay and the flows reported without a count are
    stacked with a `view` column saying which chart they belong to, so the CSV carries exactly
    what is on screen.
    """
    citations = {row["source_id"]: citation(row) for _, row in dataset.sources.iterrows()}
    cite = lambda ids: " | ".join(citations.get(source_id, source_id) for source_id in ids)  # noqa: E731
    month = state.month if state.metric != "machines" else ""
    map_part = map_rows(dataset, state).assign(view="map", metric=state.metric, month=month, from_="", to="", kind="", confidence="")
    map_part["notes"] = map_part["details"].map(" / ".join)
    # The count as it may be quoted ('at least 12,345', 'about 12,300'): value alone overstates precision.
    shown = received_machines(dataset, state).set_index("iso3")["shown"] if state.metric == "machines" else pd.Series(dtype=object)
    map_part["value_as_reported"] = map_part["iso3"].map(shown).astype(object).fillna("")
    map_part["measurement_gap_month"] = state.metric != "machines" and state.month in gap_months(dataset)
    map_part = map_part.merge(model_columns(dataset, state), on="iso3", how="left")
    links = sankey_links(dataset, state)
    flow_part = pd.DataFrame(
        {
            "view": "sankey",
            "metric": "machines",
            "month": "",
            "iso3": "",
            "country": "",
            "from_": links["source"],
            "to": links["target"],
            "value": links["machines"],
            "value_as_reported": links["shown"],
            "low": float("nan"),
            "high": float("nan"),
            "status": "",
            "kind": links["kind"],
            "confidence": links["confidence"],
            "notes": links["note"],
            "source_ids": links["source_ids"],
            "measurement_gap_month": False,
            **{column: pd.NA for column in MODEL_COLUMNS},
        }
    )
    columns = ["view", "metric", "month", "iso3", "country", "from_", "to", "label", "value", "value_as_reported", "low", "high", "status", "kind", "confidence", "notes", "measurement_gap_month", *MODEL_COLUMNS, "source_ids"]
    parts = [map_part.assign(label=""), flow_part.assign(label=""), *_energy_export_parts(dataset, state), *_listing_export_parts(dataset, state)]
    table = pd.concat([part.reindex(columns=columns, fill_value="") for part in parts], ignore_index=True).rename(columns={"from_": "from"})
    table["source_ids"] = table["source_ids"].map(lambda ids: ids if isinstance(ids, tuple) else ())
    table["sources"] = table["source_ids"].map(cite)
    return table


def _energy_export_parts(dataset: Dataset, state: ViewState) -> list[pd.DataFrame]:
    """The energy chart's rows for the CSV: model series (GW, bounds), reported loads, grid events."""
    series = energy_series(dataset, state)
    model = pd.DataFrame({
        "view": "energy model", "metric": "load", "month": series["month"], "iso3": series["iso3"], "country": series["country"],
        "value": series["load_gw"], "low": series["load_gw_low"], "high": series["load_gw_high"],
        "status": series["flag"].map(lambda flag: "flagged" if isinstance(flag, str) else "estimate"), "confidence": "model_estimate",
        "notes": [energy_model_note(version, state) for version in series["version_drawn"]], "source_ids": _each_row(model_source_ids(dataset, with_demand=False), series),
    })
    reported = reported_loads(dataset, state)
    loads = pd.DataFrame({
        "view": "energy reported", "metric": "load", "month": reported["date_start"], "iso3": reported["iso3"], "country": reported["country"],
        "label": reported["title"], "value": reported["value_gw"], "low": reported["low_gw"], "high": reported["high_gw"], "status": "reported",
        "kind": reported["kind"], "confidence": reported["confidence"], "notes": "GW. " + reported["description"].fillna(""), "source_ids": reported["source_ids"],
    })
    events = grid_events(dataset, state)
    marked = pd.DataFrame({
        "view": "energy event", "month": events["date_start"], "iso3": events["iso3"], "country": events["country"], "label": events["title"],
        "kind": events["kind"], "confidence": events["confidence"], "notes": events["description"].fillna(""), "source_ids": events["source_ids"],
    })
    return [model, loads, marked]


def energy_model_note(version_drawn: str, state: ViewState) -> str:
    """The model behind one energy row as drawn: the reader's efficiency and overhead (or
    CBECI's own) and the CBECI version of that month's network power."""
    return f"GW, model estimate, not measured. {describe_assumptions(state.efficiency, state.pue, state.shares)} {version_text(version_drawn, state.cbeci)}."


def _listing_export_parts(dataset: Dataset, state: ViewState) -> list[pd.DataFrame]:
    """The farm overlay (when on) and the flows and totals reported without a machine count."""
    parts = []
    if state.show_farms:
        farms = farm_markers(dataset, state)
        parts.append(pd.DataFrame({
            "view": "farms", "metric": "capacity_mw", "month": farms["as_of"], "iso3": farms["iso3"], "country": farms["iso3"].map(country_name),
            "label": farms["name"], "from_": farms["operator"], "value": farms["capacity_mw"], "confidence": farms["confidence"],
            "notes": farms["note"].fillna(""), "source_ids": farms["source_ids"],
        }))
    unquantified = unquantified_reports(dataset, state)
    parts.append(pd.DataFrame({
        "view": "reported without a count", "label": unquantified["what"], "notes": unquantified["note"].astype(object).fillna(""), "source_ids": unquantified["source_ids"],
    }))
    return parts


# --- filter options that guide -------------------------------------------------------------


@lru_cache(maxsize=4)
def _reach(dataset: Dataset) -> tuple[dict, dict]:
    """{(firm, ISO-3): flows} and {(operator, ISO-3): farms}: a flow counts for its seller and
    its receiver (once if they are the same firm). Counted once per dataset: the filter options
    are rebuilt on every reader action."""
    flows, farms = {}, {}
    for flow in dataset.flows.itertuples():
        for firm in {flow.seller, flow.receiver}:
            flows[firm, flow.destination_iso3] = flows.get((firm, flow.destination_iso3), 0) + 1
    for farm in dataset.farms.itertuples():
        farms[farm.operator, farm.iso3] = farms.get((farm.operator, farm.iso3), 0) + 1
    return flows, farms


def _count_label(name: str, flows: int, farms: int, nothing: str) -> str:
    """'BitRiver (2 flows, 1 farm)', 'Enegix (1 farm)', or `name` with what it lacks."""
    parts = [f"{count} {word}{'' if count == 1 else 's'}" for count, word in ((flows, "flow"), (farms, "farm")) if count]
    return f"{name} ({', '.join(parts) if parts else nothing})"


def _tally(pairs: dict, keep_firm, keep_country, by: int) -> dict[str, int]:
    """Counts of `pairs` ((firm, ISO-3) → n) kept by both tests, summed by firm (0) or country (1)."""
    totals: dict[str, int] = {}
    for pair, count in pairs.items():
        if keep_firm(pair[0]) and keep_country(pair[1]):
            totals[pair[by]] = totals.get(pair[by], 0) + count
    return totals


def country_choices(dataset: Dataset, state: ViewState) -> list[tuple[str, str]]:
    """(ISO-3, label) for the country filter: with firms selected, only the countries their
    flows reach or their farms are in (and those already chosen), each with the count of
    flows and farms it would show."""
    firms = set(state.firms)
    keep_firm = (lambda firm: firm in firms) if firms else (lambda firm: True)
    flow_counts = _flows_by_country(dataset, state.firms)
    farm_counts = _tally(_reach(dataset)[1], keep_firm, lambda iso3: True, 1)
    nothing = "none for the selected firms" if firms else "no flows or farms reported"
    choices = []
    for code, name in country_options(dataset).items():
        counts = int(flow_counts.get(code, 0)), farm_counts.get(code, 0)
        if firms and not any(counts) and code not in state.countries:
            continue
        choices.append((code, _count_label(name, *counts, nothing)))
    return choices


@lru_cache(maxsize=64)
def _flows_by_country(dataset: Dataset, firms: tuple[str, ...]) -> dict[str, int]:
    """Flows per destination (ISO-3) from or to `firms` (any firm when none). A flow between two
    selected firms is one flow: counted from the flows, not the pairs."""
    return dict(filter_flows(dataset, ViewState(firms=firms))["destination_iso3"].value_counts())


def firm_choices(dataset: Dataset, state: ViewState) -> list[tuple[str, str]]:
    """(firm, label) for the firm filter: with countries selected, only the firms with a flow
    to one of them or a farm in one (and those already chosen), each with its counts there."""
    countries = set(state.countries)
    keep_country = (lambda iso3: iso3 in countries) if countries else (lambda iso3: True)
    flow_pairs, farm_pairs = _reach(dataset)
    flow_counts = _tally(flow_pairs, lambda firm: True, keep_country, 0)
    farm_counts = _tally(farm_pairs, lambda firm: True, keep_country, 0)
    choices = []
    for firm in firm_options(dataset):
        counts = flow_counts.get(firm, 0), farm_counts.get(firm, 0)
        if countries and not any(counts) and firm not in state.firms:
            continue
        choices.append((firm, _count_label(firm, *counts, "none in the selected countries")))
    return choices


def empty_reason(dataset: Dataset, state: ViewState) -> str | None:
    """Why the view is empty when the country and firm filters have nothing in common, or
    None when they do (or only one is set)."""
    if not (state.countries and state.firms) or selected_countries(dataset, state):
        return None
    firms = " or ".join(state.firms)
    countries = " or ".join(country_name(code) for code in state.countries)
    return f"No reported flow or farm of {firms} is in {countries}: the two filters have nothing in common."
