"""Rules that span tables: references resolve, totals add up, farms sit in their country.

Each rule is a small function returning problems, so a test can break one rule at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from rigflows.geo import CountryGeometry
from rigflows.problems import DataProblem
from rigflows.schema import DELIVERED_KINDS, OTHER_COUNTRIES, RECEIVED_KINDS, SCHEMAS

#: CBECI publishes rounded shares; a month's shares must sum to 100 within this many points.
SHARE_SUM_TOLERANCE_PCT = 1.0

Tables = dict[str, pd.DataFrame]


def _line(index) -> int:
    return int(index) + 2  # header is line 1, first data row line 2


def _ids_in(value) -> tuple[str, ...]:
    """The ids in one cell: a list column's tuple, a single id, or none."""
    return value if isinstance(value, tuple) else (value,) if isinstance(value, str) else ()


def check_source_references(tables: Tables) -> list[DataProblem]:
    """Every source id named anywhere exists in sources.csv."""
    known = set(tables["sources"]["source_id"])
    problems = []
    for name, frame in tables.items():
        for column in ("source_id", "source_ids", "original_id"):
            if column not in frame or (name == "sources" and column == "source_id"):
                continue
            for index, value in frame[column].items():
                for source_id in _ids_in(value):
                    if source_id not in known:
                        problems.append(DataProblem(f"{name}.csv", _line(index), column, f"unknown source id {source_id!r} (not in sources.csv)"))
    return problems


def check_id_references(tables: Tables) -> list[DataProblem]:
    """Flows point to existing farms and totals; totals point to existing parents."""
    farms = set(tables["farms"]["farm_id"])
    totals = set(tables["flow_totals"]["total_id"])
    references = [("flows", "farm_id", farms, "farms.csv"), ("flows", "total_id", totals, "flow_totals.csv"), ("flow_totals", "parent_id", totals, "flow_totals.csv")]
    problems = []
    for table, column, known, where in references:
        for index, value in tables[table][column].dropna().items():
            if value not in known:
                problems.append(DataProblem(f"{table}.csv", _line(index), column, f"unknown id {value!r} (not in {where})"))
    return problems


def check_flow_countries(tables: Tables) -> list[DataProblem]:
    """A flow lands in the same country as the farm and the country total it points to."""
    farm_country = tables["farms"].set_index("farm_id")["iso3"]
    total_country = tables["flow_totals"].set_index("total_id")["iso3"]
    problems = []
    for index, flow in tables["flows"].iterrows():
        for column, countries in (("farm_id", farm_country), ("total_id", total_country)):
            target = flow[column]
            if pd.notna(target) and target in countries.index and pd.notna(countries[target]) and countries[target] != flow["destination_iso3"]:
                problems.append(DataProblem("flows.csv", _line(index), column, f"{target} is in {countries[target]}, but the flow goes to {flow['destination_iso3']}"))
    return problems


def check_ranges(tables: Tables) -> list[DataProblem]:
    """low <= value <= high wherever a table gives a range; periods do not run backwards."""
    triples = [
        ("flows", "machines_low", "machines", "machines_high"),
        ("grid_reports", "value_low", "value", "value_high"),
        ("cbeci_power", "twh_lower", "twh_estimate", "twh_upper"),
    ]
    problems = []
    for table, low, value, high in triples:
        frame = tables[table]
        for index, row in frame.iterrows():
            if pd.notna(row[low]) and pd.notna(row[value]) and row[low] > row[value]:
                problems.append(DataProblem(f"{table}.csv", _line(index), low, f"{low} {row[low]} is above {value} {row[value]}"))
            if pd.notna(row[high]) and pd.notna(row[value]) and row[value] > row[high]:
                problems.append(DataProblem(f"{table}.csv", _line(index), high, f"{high} {row[high]} is below {value} {row[value]}"))
            if pd.notna(row[low]) and pd.notna(row[high]) and row[low] > row[high]:
                problems.append(DataProblem(f"{table}.csv", _line(index), low, f"{low} {row[low]} is above {high} {row[high]}"))
    flows = tables["flows"]
    for index in flows.index[flows["period_start"] > flows["period_end"]]:
        problems.append(DataProblem("flows.csv", _line(index), "period_end", "period ends before it starts"))
    return problems


def check_totals(tables: Tables) -> list[DataProblem]:
    """Parts never exceed the total they claim, and add up to it exactly when it says so."""
    flows, totals = tables["flows"], tables["flow_totals"]
    problems = []
    for index, total in totals.iterrows():
        flow_parts = flows[flows["total_id"] == total["total_id"]]
        child_parts = totals[totals["parent_id"] == total["total_id"]]
        for parts, label in ((flow_parts, "flows"), (child_parts, "child totals")):
            if parts.empty:
                continue
            known = parts["machines"].dropna()
            if pd.isna(total["machines"]):
                continue
            added = int(known.sum())
            if added > total["machines"]:
                problems.append(DataProblem("flow_totals.csv", _line(index), "machines", f"{label} of {total['total_id']} add up to {added:,}, more than its {int(total['machines']):,}"))
            elif total["parts_complete"] and (added != total["machines"] or len(known) < len(parts)):
                problems.append(DataProblem("flow_totals.csv", _line(index), "machines", f"{label} of {total['total_id']} add up to {added:,}, not the {int(total['machines']):,} it claims (parts_complete is true)"))
    return problems


def check_flow_kinds(tables: Tables) -> list[DataProblem]:
    """An order, machines in transit or a plan is never counted as machines received.

    Only a relocation may be part of a reported (received) total; a maker's flow is an order;
    a plan carries the plan grade
    and nothing else does; an order gives its delivery period and nothing else has one; a counted
    relocation into a country with a reported total is part of that total (else it would be
    drawn in the Sankey but not on the map).
    """
    flows, totals = tables["flows"], tables["flow_totals"]
    counted_total = totals.dropna(subset=["iso3", "machines"]).set_index("iso3")["total_id"]
    problems = []
    for index, flow in flows.iterrows():
        line, kind = _line(index), flow["kind"]
        received = kind in RECEIVED_KINDS
        if not received and pd.notna(flow["total_id"]):
            problems.append(DataProblem("flows.csv", line, "total_id", f"a {kind} flow is not machines received, so it cannot be part of a received total"))
        if (kind == "plan_or_request") != (flow["confidence"] == "plan_or_request"):
            problems.append(DataProblem("flows.csv", line, "confidence", "confidence plan_or_request goes with kind plan_or_request, and only with it"))
        if flow["seller_type"] == "manufacturer" and kind != "order":
            problems.append(DataProblem("flows.csv", line, "kind", "a manufacturer sells new machines: its flow is an order, not machines relocated"))
        delivered = kind in DELIVERED_KINDS
        if delivered and pd.isna(flow["delivery_start"]):
            problems.append(DataProblem("flows.csv", line, "delivery_start", f"a {kind} needs the month its delivery starts"))
        for column in ("delivery_start", "delivery_end"):
            if not delivered and pd.notna(flow[column]):
                problems.append(DataProblem("flows.csv", line, column, f"only {', '.join(DELIVERED_KINDS)} rows have a delivery period"))
        if pd.notna(flow["delivery_start"]) and flow["delivery_start"] < flow["period_start"]:
            problems.append(DataProblem("flows.csv", line, "delivery_start", "delivery starts before the period of the order"))
        if pd.notna(flow["delivery_start"]) and pd.notna(flow["delivery_end"]) and flow["delivery_end"] < flow["delivery_start"]:
            problems.append(DataProblem("flows.csv", line, "delivery_end", "delivery ends before it starts"))
        country = flow["destination_iso3"]
        if received and pd.notna(flow["machines"]) and country in counted_total.index and flow["total_id"] != counted_total[country]:
            problems.append(DataProblem("flows.csv", line, "total_id", f"a counted relocation to {country} must be part of its reported total {counted_total[country]}"))
    return problems


def check_total_tree(tables: Tables) -> list[DataProblem]:
    """One total per country; totals form a tree (no cycles); a complete total has a number."""
    totals = tables["flow_totals"]
    problems = []
    countries = totals["iso3"].dropna()
    for index in countries.index[countries.duplicated()]:
        problems.append(DataProblem("flow_totals.csv", _line(index), "iso3", f"{countries[index]} already has a total: one total per country"))
    parent_of = dict(zip(totals["total_id"], totals["parent_id"]))
    for index, total in totals.iterrows():
        seen, current = {total["total_id"]}, total["parent_id"]
        while isinstance(current, str) and current in parent_of and current not in seen:
            seen.add(current)
            current = parent_of[current]
        if current == total["total_id"]:
            problems.append(DataProblem("flow_totals.csv", _line(index), "parent_id", f"{total['total_id']} is its own ancestor (a cycle of parents)"))
        if total["parts_complete"] and pd.isna(total["machines"]):
            problems.append(DataProblem("flow_totals.csv", _line(index), "parts_complete", "a total without a number cannot have complete parts"))
    return problems


def check_share_sums(tables: Tables) -> list[DataProblem]:
    """Each month's hashrate shares sum to about 100%."""
    shares = tables["hashrate_share"]
    problems = []
    for month, group in shares.groupby("month"):
        total = float(group["share_pct"].sum())
        if abs(total - 100) > SHARE_SUM_TOLERANCE_PCT:
            problems.append(DataProblem("hashrate_share.csv", _line(group.index[0]), "share_pct", f"shares for {month} sum to {total:.2f}%, not about 100%"))
    return problems


def check_farm_locations(tables: Tables, geometry: CountryGeometry) -> list[DataProblem]:
    """Coordinates come in pairs, match their stated precision, and lie in the farm's country."""
    problems = []
    for index, farm in tables["farms"].iterrows():
        has_lat, has_lon = pd.notna(farm["lat"]), pd.notna(farm["lon"])
        if has_lat != has_lon:
            problems.append(DataProblem("farms.csv", _line(index), "lat" if not has_lat else "lon", "give both lat and lon, or neither"))
            continue
        if has_lat and farm["coord_precision"] == "none":
            problems.append(DataProblem("farms.csv", _line(index), "coord_precision", "coordinates are given, so precision cannot be 'none'"))
        if not has_lat and farm["coord_precision"] != "none":
            problems.append(DataProblem("farms.csv", _line(index), "coord_precision", "no coordinates, so precision must be 'none'"))
        if has_lat and not geometry.contains(farm["iso3"], farm["lon"], farm["lat"]):
            problems.append(DataProblem("farms.csv", _line(index), "lat", f"({farm['lat']}, {farm['lon']}) is not inside {farm['iso3']}"))
    return problems


def check_electricity_coverage(tables: Tables) -> list[DataProblem]:
    """National electricity figures exist for every country the other tables name."""
    covered = set(tables["electricity"]["iso3"])
    named = {
        ("flows.csv", "destination_iso3"): tables["flows"]["destination_iso3"],
        ("farms.csv", "iso3"): tables["farms"]["iso3"],
        ("hashrate_share.csv", "iso3"): tables["hashrate_share"]["iso3"],
    }
    problems = []
    for (file, column), codes in named.items():
        for iso3 in sorted(set(codes.dropna()) - covered - {OTHER_COUNTRIES}):
            line = _line(codes.index[codes == iso3][0])
            problems.append(DataProblem(file, line, column, f"{iso3} has no rows in electricity.csv"))
    return problems


#: The free-text columns a reader sees (hovers, listings, the sources panel, notes, the CSV):
#: written for readers, so they may not point at the data's own machinery.
READER_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("producer", "title", "licence", "note"),
    "flows": ("seller", "receiver", "note"),
    "flow_totals": ("label", "remainder_label", "note"),
    "farms": ("name", "operator", "region", "city", "note"),
    "grid_reports": ("region", "title", "description"),
    "events": ("title", "description"),
    "notes": ("text",),
    "cbeci_annual": ("note",),
}
#: Every column name of every table, and the tables' own file names.
_COLUMN_NAMES = frozenset(column for schema in SCHEMAS.values() for column in schema.columns)
_FILE_NAMES = frozenset(f"{name}.csv" for name in SCHEMAS)
_SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
_WORD = re.compile(r"\w+(?:\.\w+)*")
#: A word with a slash is an address or a file path of a source (a repository, a URL), where an
#: underscore is the source's own spelling, not ours.
_PATH = re.compile(r"\S*/\S*")


def internal_references(text: str, source_ids: frozenset[str]) -> list[str]:
    """What in `text` only the data's authors can read: a README, a data file, a source id, a
    column name or any other snake_case identifier. Names inside a source's own address or file
    path (a slash in the word) are allowed, unless they are one of our columns or source ids."""
    found = ["README"] if "README" in text else []
    words = set(_WORD.findall(text))
    found += sorted(words & _FILE_NAMES)
    found += sorted(word for word in words if word in source_ids or word in _COLUMN_NAMES and "_" in word)
    outside_paths = _PATH.sub(" ", text)
    found += sorted({word for word in _SNAKE_CASE.findall(outside_paths) if word not in found and f"{word}.csv" not in found})
    return list(dict.fromkeys(found))


def _reference_problem(reference: str, sources: pd.DataFrame) -> str:
    if reference == "README":
        return "refers readers to the README, which they never see: say it here, in plain words"
    if reference in _FILE_NAMES:
        return f"names the data file {reference!r}: readers see the charts and the sources, not our files"
    if reference in set(sources["source_id"]):
        producer = sources.loc[sources["source_id"] == reference, "producer"].iloc[0]
        return f"names the source id {reference!r}: name the source as readers know it ({producer})"
    return f"names the identifier {reference!r}: readers never see the data's column names or ids; say it in words"


def check_reader_text(tables: Tables) -> list[DataProblem]:
    """Text shown to readers says things in words: no README, data file, column name, source id
    or other snake_case identifier (an id in a hover or a note means nothing to a reader)."""
    sources = tables["sources"]
    known = frozenset(sources["source_id"])
    problems = []
    for name, columns in READER_TEXT_COLUMNS.items():
        frame = tables.get(name)
        if frame is None:
            continue
        for column in columns:
            for index, text in frame[column].dropna().items():
                for reference in internal_references(str(text), known):
                    problems.append(DataProblem(f"{name}.csv", _line(index), column, _reference_problem(reference, sources)))
    return problems


#: Each rule with the tables it reads: a rule runs only when all of them loaded, so a broken
#: file does not hide the problems of the others (the user sees every problem at once).
RULES: tuple[tuple[Callable[[Tables], list[DataProblem]], tuple[str, ...]], ...] = (
    (check_source_references, ("sources",)),
    (check_id_references, ("flows", "farms", "flow_totals")),
    (check_flow_countries, ("flows", "farms", "flow_totals")),
    (check_ranges, ("flows", "grid_reports", "cbeci_power")),
    (check_totals, ("flows", "flow_totals")),
    (check_flow_kinds, ("flows", "flow_totals")),
    (check_total_tree, ("flow_totals",)),
    (check_share_sums, ("hashrate_share",)),
    (check_electricity_coverage, ("electricity", "flows", "farms", "hashrate_share")),
    (check_reader_text, ("sources",)),
)


def check_integrity(tables: Tables, geometry: CountryGeometry) -> list[DataProblem]:
    """Run every cross-table rule whose tables loaded; returns all problems found."""
    problems = [problem for rule, needs in RULES if all(name in tables for name in needs) for problem in rule(tables)]
    if "farms" in tables:
        problems += check_farm_locations(tables, geometry)
    return problems
