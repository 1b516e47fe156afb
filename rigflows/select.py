"""The rows behind a view: pure pandas from (Dataset, ViewState) to tables the figures draw.

Nothing here knows about Dash or plotly. Remainders (machines whose destination is not
attributed) are derived here from the reported totals, never stored in the data.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from rigflows.countries import country_name
from rigflows.dataset import Dataset
from rigflows.models import country_mining_load, grid_strain
from rigflows.schema import GRID_EVENT_KINDS, OTHER_COUNTRIES
from rigflows.state import ViewState, Vocabulary

NOT_IDENTIFIED = "not identified"
#: The seller-side node of remainders: machines the reporting counted but did not itemise.
NOT_ITEMISED = "Sellers not itemised"
#: Flow kinds that count as machines received; plans and requests are shown but not counted.
CONFIRMED_KINDS = ("relocation", "new_sale")
#: Countries drawn in the energy chart when no country is selected: the largest destinations.
DEFAULT_ENERGY_COUNTRIES = 4
_UNITS_TO_GW = {"MW": 0.001, "GW": 1.0}


def vocabulary(dataset: Dataset) -> Vocabulary:
    """What a URL or a filter may name in this dataset."""
    return Vocabulary(
        months=tuple(dataset.months),
        countries=frozenset(country_options(dataset)),
        firms=frozenset(firm_options(dataset)),
    )


def country_options(dataset: Dataset) -> dict[str, str]:
    """ISO-3 → name for every country any table names (for the country filter)."""
    codes = set(dataset.flows["destination_iso3"]) | set(dataset.farms["iso3"]) | set(dataset.hashrate_share["iso3"])
    codes |= set(dataset.flow_totals["iso3"].dropna()) | set(dataset.grid_reports["iso3"])
    codes.discard(OTHER_COUNTRIES)
    return dict(sorted(((code, country_name(code)) for code in codes), key=lambda item: item[1]))


def firm_options(dataset: Dataset) -> list[str]:
    """Named sellers, receivers and farm operators (for the firm filter), alphabetically."""
    names = set(dataset.flows["seller"]) | set(dataset.flows["receiver"]) | set(dataset.farms["operator"])
    return sorted((name for name in names if name.lower() != NOT_IDENTIFIED), key=str.lower)


def filter_flows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Flows to the selected countries, from or to the selected firms (all flows when none)."""
    flows = dataset.flows
    keep = pd.Series(True, index=flows.index)
    if state.countries:
        keep &= flows["destination_iso3"].isin(state.countries)
    if state.firms:
        keep &= flows["seller"].isin(state.firms) | flows["receiver"].isin(state.firms)
    return flows[keep]


def flows_period(dataset: Dataset, state: ViewState) -> list[str]:
    """The `period_end` months of the flows in view (machine counts are cumulative to these)."""
    return list(filter_flows(dataset, state)["period_end"])


def is_filtered(state: ViewState) -> bool:
    return bool(state.countries or state.firms)


def selected_countries(dataset: Dataset, state: ViewState) -> set[str] | None:
    """Countries a view is limited to, or None when every country is shown.

    A firm filter limits the map and energy views to the countries that firm's flows reach.
    """
    if not is_filtered(state):
        return None
    countries = set(state.countries) if state.countries else set(dataset.flows["destination_iso3"])
    if state.firms:
        countries &= set(filter_flows(dataset, state)["destination_iso3"]) | set(
            dataset.farms.loc[dataset.farms["operator"].isin(state.firms), "iso3"]
        )
    return countries


# --- remainders ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def derived_remainders(dataset: Dataset) -> pd.DataFrame:
    """Machines a reported total has that its reported parts do not account for.

    For a total with child totals (2m left China > 430k tracked > countries) the remainder is
    the total minus the known children; for a country total, minus its known flows. Both sides
    are often bounds ("more than 2m", "over 430,000"), so every remainder is an approximation.
    """
    totals, flows = dataset.flow_totals, dataset.flows
    rows = []
    for _, total in totals.dropna(subset=["machines"]).iterrows():
        children = totals[totals["parent_id"] == total["total_id"]]
        parts = flows[flows["total_id"] == total["total_id"]]
        if children.empty and parts.empty:
            continue
        accounted = int(children["machines"].dropna().sum()) + int(parts["machines"].dropna().sum())
        remainder = int(total["machines"]) - accounted
        if remainder <= 0:
            continue
        label = total["remainder_label"] if pd.notna(total["remainder_label"]) else f"{total['label']}: not attributed"
        rows.append(
            {
                "total_id": total["total_id"],
                "label": label,
                "iso3": total["iso3"],
                "machines": remainder,
                "of_total": int(total["machines"]),
                "accounted": accounted,
                "confidence": "model_estimate",
                "source_ids": total["source_ids"],
                "note": f"{int(total['machines']):,} reported ({total['qualifier'].replace('_', ' ')}) minus {accounted:,} attributed; derived, approximate",
            }
        )
    return pd.DataFrame(rows, columns=["total_id", "label", "iso3", "machines", "of_total", "accounted", "confidence", "source_ids", "note"])


def unquantified_reports(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Reported flows and totals with no machine count (Canada's rank, The9's contract, storage)."""
    flows = filter_flows(dataset, state)
    flows = flows[flows["machines"].isna()]
    rows = [
        {"what": f"{flow.seller} → {country_name(flow.destination_iso3)} ({flow.receiver})", "note": flow.note, "source_ids": flow.source_ids}
        for flow in flows.itertuples()
    ]
    totals = dataset.flow_totals
    if state.countries:
        totals = totals[totals["iso3"].isin(state.countries)]
    if not state.firms:
        for total in totals.itertuples():
            if pd.isna(total.machines):
                rows.append({"what": total.label, "note": total.note, "source_ids": total.source_ids})
            elif pd.isna(total.parent_id) and totals["parent_id"].ne(total.total_id).all() and not (dataset.flows["total_id"] == total.total_id).any():
                rows.append({"what": f"{total.label}: about {int(total.machines):,}", "note": total.note, "source_ids": total.source_ids})
    return pd.DataFrame(rows, columns=["what", "note", "source_ids"])


# --- Sankey --------------------------------------------------------------------------------

SANKEY_COLUMNS = ("seller", "country", "receiver")


def _receiver_label(receiver: str, iso3: str) -> str:
    # "not identified" in two countries are two different unknowns, not one node.
    return f"Not identified ({country_name(iso3)})" if receiver.lower() == NOT_IDENTIFIED else receiver


def _seller_label(seller: str) -> str:
    return "Seller not identified" if seller.lower() == NOT_IDENTIFIED else seller


def sankey_links(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Links seller → country → receiver, in machines, plus the derived remainders.

    Columns: source, target, source_column, target_column (0 seller, 1 country, 2 receiver),
    machines, kind, confidence, source_ids, note. Flows without a count cannot be drawn and are
    listed by `unquantified_reports` instead.
    """
    flows = filter_flows(dataset, state).dropna(subset=["machines"])
    links = []
    for flow in flows.itertuples():
        country = country_name(flow.destination_iso3)
        common = {"machines": int(flow.machines), "kind": flow.kind, "confidence": flow.confidence, "source_ids": flow.source_ids, "note": flow.note if pd.notna(flow.note) else ""}
        links.append({"source": _seller_label(flow.seller), "target": country, "source_column": 0, "target_column": 1, **common})
        links.append({"source": country, "target": _receiver_label(flow.receiver, flow.destination_iso3), "source_column": 1, "target_column": 2, **common})
    if state.show_remainders and not is_filtered(state):
        for remainder in derived_remainders(dataset).itertuples():
            common = {"machines": remainder.machines, "kind": "remainder", "confidence": remainder.confidence, "source_ids": remainder.source_ids, "note": remainder.note}
            if pd.isna(remainder.iso3):
                links.append({"source": NOT_ITEMISED, "target": remainder.label, "source_column": 0, "target_column": 1, **common})
            else:
                country = country_name(remainder.iso3)
                links.append({"source": country, "target": _receiver_label(NOT_IDENTIFIED, remainder.iso3), "source_column": 1, "target_column": 2, **common})
    columns = ["source", "target", "source_column", "target_column", "machines", "kind", "confidence", "source_ids", "note"]
    frame = pd.DataFrame(links, columns=columns)
    if frame.empty:
        return frame
    grouped = (
        frame.groupby(["source", "target", "source_column", "target_column", "kind", "confidence"], as_index=False, sort=False)
        .agg(machines=("machines", "sum"), source_ids=("source_ids", _join_ids), note=("note", _join_text))
    )
    return grouped[columns].sort_values(["source_column", "machines"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _join_ids(values: pd.Series) -> str:
    return ";".join(dict.fromkeys(part for value in values for part in str(value).split(";") if part))


def _join_text(values: pd.Series) -> str:
    return " / ".join(dict.fromkeys(value for value in values if value))


# --- map -----------------------------------------------------------------------------------

MAP_COLUMNS = ["iso3", "country", "value", "low", "high", "status", "details", "source_ids"]


def map_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """One row per country for the chosen metric (and month), limited by the filters.

    `status` is "reported", "flagged" (a distorted share), "estimate" (model), "no count"
    (a reported destination without a number) or "plan only" (only plans or requests, not
    counted as received); `details` are extra hover lines.
    """
    builders = {"machines": _machine_rows, "share": _share_rows, "load": _load_rows, "strain": _strain_rows}
    rows = builders[state.metric](dataset, state)
    limit = selected_countries(dataset, state)
    if limit is not None:
        rows = rows[rows["iso3"].isin(limit)]
    rows = rows[rows["iso3"] != OTHER_COUNTRIES]
    return rows[MAP_COLUMNS].sort_values("iso3").reset_index(drop=True)


def _machine_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    flows = filter_flows(dataset, state)
    totals = dataset.flow_totals.dropna(subset=["iso3"]).set_index("iso3")
    rows = []
    for iso3 in sorted(set(flows["destination_iso3"]) | (set(totals.index) if not state.firms else set())):
        mine = flows[flows["destination_iso3"] == iso3]
        confirmed = mine[mine["kind"].isin(CONFIRMED_KINDS)]["machines"].dropna()
        details = [
            f"{flow.seller} → {flow.receiver}: {_count(flow.machines)} ({flow.kind.replace('_', ' ')}, {flow.confidence.replace('_', ' ')})"
            for flow in mine.itertuples()
        ]
        if iso3 in totals.index and not state.firms:
            total = totals.loc[iso3]
            rank = f", rank {int(total['rank'])} among destinations" if pd.notna(total["rank"]) else ""
            details.insert(0, f"FT-tracked total: {_count(total['machines'])}{rank}")
        value = float(confirmed.sum()) if not confirmed.empty else float("nan")
        plans_only = confirmed.empty and (mine["kind"] == "plan_or_request").any()
        sources = _join_ids(pd.concat([mine["source_ids"], pd.Series([totals.loc[iso3, "source_ids"]] if iso3 in totals.index else [], dtype=object)]))
        rows.append({"iso3": iso3, "country": country_name(iso3), "value": value, "low": float("nan"), "high": float("nan"), "status": "reported" if not confirmed.empty else "plan only" if plans_only else "no count", "details": details, "source_ids": sources})
    return pd.DataFrame(rows, columns=MAP_COLUMNS)


def _count(machines) -> str:
    return "count not reported" if pd.isna(machines) else f"{int(machines):,}"


def _month_rows(frame: pd.DataFrame, state: ViewState) -> pd.DataFrame:
    return frame[frame["month"] == state.month].assign(country=lambda rows: rows["iso3"].map(country_name))


def _flag_details(flag) -> list[str]:
    notes = {
        "vpn_distorted": "Flagged: share likely inflated by VPN/proxy use (CBECI asterisk); not a grid figure",
        "measurement_gap": "Flagged: CBECI shows 0% here, a measurement gap after the ban, not a real zero",
    }
    return [notes[flag]] if isinstance(flag, str) and flag in notes else []


def _share_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(dataset.hashrate_share, state)
    return rows.assign(
        value=rows["share_pct"],
        low=float("nan"),
        high=float("nan"),
        status=rows["flag"].map(lambda flag: "flagged" if isinstance(flag, str) else "reported"),
        details=[[f"Hashrate: {ehs:.2f} EH/s", *_flag_details(flag)] for ehs, flag in zip(rows["hashrate_ehs"], rows["flag"])],
        source_ids=rows["source_id"],
    )


@lru_cache(maxsize=4)
def mining_load(dataset: Dataset) -> pd.DataFrame:
    """Model: mining load and strain for every country and month (see rigflows.models).

    Depends on the dataset alone, so it is computed once per dataset; treat it as read-only.
    """
    load = country_mining_load(dataset.hashrate_share, dataset.cbeci_power)
    return grid_strain(load, dataset.electricity)


def _load_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(mining_load(dataset), state)
    return rows.assign(
        value=rows["load_gw"],
        low=rows["load_gw_low"],
        high=rows["load_gw_high"],
        status=rows["flag"].map(lambda flag: "flagged" if isinstance(flag, str) else "estimate"),
        details=[[f"Share of hashrate: {share:.2f}%", *_flag_details(flag)] for share, flag in zip(rows["share_pct"], rows["flag"])],
        source_ids=model_source_ids(dataset, with_demand=False),
    )


def _strain_rows(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    rows = _month_rows(mining_load(dataset), state).dropna(subset=["strain_pct"])
    return rows.assign(
        value=rows["strain_pct"],
        low=rows["strain_pct_low"],
        high=rows["strain_pct_high"],
        status=rows["flag"].map(lambda flag: "flagged" if isinstance(flag, str) else "estimate"),
        details=[
            [f"Load {load:.2f} GW vs demand {demand:,.1f} TWh ({int(year)})", *_flag_details(flag)]
            for load, demand, year, flag in zip(rows["load_gw"], rows["demand_twh"], rows["demand_year"], rows["flag"])
        ],
        source_ids=model_source_ids(dataset, with_demand=True),
    )


def model_source_ids(dataset: Dataset, with_demand: bool) -> str:
    """The sources the load model draws on (shares, network power and, for strain, demand)."""
    tables = [dataset.hashrate_share, dataset.cbeci_power] + ([dataset.electricity] if with_demand else [])
    return _join_ids(pd.concat([table["source_id"] for table in tables]).drop_duplicates())


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
    countries = energy_countries(dataset, state)
    load = mining_load(dataset)
    load = load[load["iso3"].isin(countries)].assign(country=lambda rows: rows["iso3"].map(country_name))
    return load.sort_values(["iso3", "month"]).reset_index(drop=True)


def reported_loads(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Reported mining loads and capacities in GW (with ranges), for the energy countries."""
    reports = dataset.grid_reports
    reports = reports[reports["iso3"].isin(energy_countries(dataset, state)) & reports["kind"].isin(["mining_load", "capacity"]) & reports["unit"].isin(list(_UNITS_TO_GW))]
    factor = reports["unit"].map(_UNITS_TO_GW)
    # A report that gives only a range ("1,000-1,200 MW") is drawn at its midpoint, with the range.
    value = reports["value"].fillna((reports["value_low"] + reports["value_high"]) / 2)
    return reports.assign(
        country=reports["iso3"].map(country_name),
        value_gw=value * factor,
        low_gw=reports["value_low"] * factor,
        high_gw=reports["value_high"] * factor,
    ).reset_index(drop=True)


def grid_events(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Blackouts, cut-offs, rationing, caps and permit decisions for the energy countries."""
    reports = dataset.grid_reports
    events = reports[reports["iso3"].isin(energy_countries(dataset, state)) & reports["kind"].isin(GRID_EVENT_KINDS)]
    return events.assign(country=events["iso3"].map(country_name)).sort_values("date_start").reset_index(drop=True)


# --- flow lines ----------------------------------------------------------------------------

#: Where every flow starts on the map: the machines left China.
ORIGIN = "CHN"


def flow_lines(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """One line per destination, China → country, in machines counted as received.

    Both ends are the country anchors of the map's own geometry (`rigflows.geo`), so a line
    ends where the country is drawn.
    """
    flows = filter_flows(dataset, state)
    flows = flows[flows["kind"].isin(CONFIRMED_KINDS)].dropna(subset=["machines"])
    origin = dataset.geometry.anchor(ORIGIN)
    rows = []
    for iso3, group in flows.groupby("destination_iso3"):
        anchor = dataset.geometry.anchor(iso3)
        if origin is None or anchor is None:
            continue
        rows.append({"iso3": iso3, "country": country_name(iso3), "machines": int(group["machines"].sum()), "from_lon": origin[0], "from_lat": origin[1], "to_lon": anchor[0], "to_lat": anchor[1]})
    return pd.DataFrame(rows, columns=["iso3", "country", "machines", "from_lon", "from_lat", "to_lon", "to_lat"])


# --- farms, sources, export ----------------------------------------------------------------


def farm_markers(dataset: Dataset, state: ViewState) -> pd.DataFrame:
    """Farms with coordinates, limited by the filters (for the map overlay)."""
    farms = dataset.farms.dropna(subset=["lat", "lon"])
    if state.countries:
        farms = farms[farms["iso3"].isin(state.countries)]
    if state.firms:
        linked = set(filter_flows(dataset, state)["farm_id"].dropna())
        farms = farms[farms["operator"].isin(state.firms) | farms["name"].isin(state.firms) | farms["farm_id"].isin(linked)]
    return farms.reset_index(drop=True)


def sources_with_originals(dataset: Dataset, source_ids) -> pd.DataFrame:
    """The sources rows for `source_ids` (';'-joined strings or ids), plus the original of each
    press copy among them, in the sources table's order."""
    ids = {part for value in source_ids for part in str(value).split(";") if part}
    sources = dataset.sources
    originals = sources.loc[sources["source_id"].isin(ids), "original_id"].dropna()
    return sources[sources["source_id"].isin(ids | set(originals))].reset_index(drop=True)


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
    cite = lambda ids: " | ".join(citations.get(source_id, source_id) for source_id in str(ids).split(";") if source_id)  # noqa: E731
    month = state.month if state.metric != "machines" else ""
    map_part = map_rows(dataset, state).assign(view="map", metric=state.metric, month=month, from_="", to="", kind="", confidence="")
    map_part["notes"] = map_part["details"].map(" / ".join)
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
            "low": float("nan"),
            "high": float("nan"),
            "status": "",
            "kind": links["kind"],
            "confidence": links["confidence"],
            "notes": links["note"],
            "source_ids": links["source_ids"],
        }
    )
    columns = ["view", "metric", "month", "iso3", "country", "from_", "to", "label", "value", "low", "high", "status", "kind", "confidence", "notes", "source_ids"]
    parts = [map_part.assign(label=""), flow_part.assign(label=""), *_energy_export_parts(dataset, state), *_listing_export_parts(dataset, state)]
    table = pd.concat([part.reindex(columns=columns, fill_value="") for part in parts], ignore_index=True).rename(columns={"from_": "from"})
    table["sources"] = table["source_ids"].map(cite)
    return table


def _energy_export_parts(dataset: Dataset, state: ViewState) -> list[pd.DataFrame]:
    """The energy chart's rows for the CSV: model series (GW, bounds), reported loads, grid events."""
    series = energy_series(dataset, state)
    model = pd.DataFrame({
        "view": "energy model", "metric": "load", "month": series["month"], "iso3": series["iso3"], "country": series["country"],
        "value": series["load_gw"], "low": series["load_gw_low"], "high": series["load_gw_high"],
        "status": series["flag"].map(lambda flag: "flagged" if isinstance(flag, str) else "estimate"), "confidence": "model_estimate",
        "notes": "GW, model: share of hashrate x CBECI network power", "source_ids": model_source_ids(dataset, with_demand=False),
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
        "view": "reported without a count", "label": unquantified["what"], "notes": unquantified["note"].fillna(""), "source_ids": unquantified["source_ids"],
    }))
    return parts
