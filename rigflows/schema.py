"""The curated tables' schemas: one pandera schema per CSV in `data/`.

This module is the contract between the data files and the rest of the app; `data/README.md`
documents the same columns for people. Checks here look at one table at a time; checks that
need two tables (source ids, farm ids, totals) live in `rigflows.integrity`.
"""

from __future__ import annotations

import pycountry
import pandera.pandas as pa

#: Confidence grades, from strongest to weakest. Shared by flows, totals and grid reports.
CONFIDENCE_GRADES = ("several_sources", "single_report", "plan_or_request", "model_estimate")
#: How a machine count was worded by its source.
QUALIFIERS = ("exact", "at_least", "about", "unknown")
#: What a flow is. Only a relocation is machines received; an order of new machines, machines in
#: transit and a plan or request are kept apart and never added to a received count.
FLOW_KINDS = ("relocation", "in_transit", "order", "plan_or_request")
#: The flow kinds counted as machines received in a destination (maps, lines, Sankey by default).
RECEIVED_KINDS = ("relocation",)
#: Kinds with a delivery period (delivery_start required, delivery_end where reported).
DELIVERED_KINDS = ("order",)
SELLER_TYPES = ("mining_firm", "manufacturer", "own_fleet", "not_identified")
SOURCE_KINDS = (
    "original_report",
    "press_copy",
    "official_statistics",
    "company_release",
    "dataset",
    "model_estimate",
    "official_document",
)
COORD_PRECISIONS = ("site", "city_centroid", "none")
SHARE_FLAGS = ("vpn_distorted", "measurement_gap")
GRID_REPORT_KINDS = (
    "mining_load",
    "capacity",
    "demand_growth",
    "rationing",
    "cut_off",
    "blackout",
    "cap",
    "permit",
    "other",
)
#: Grid report kinds that are events to mark on a time axis (the rest are quantities).
GRID_EVENT_KINDS = ("rationing", "cut_off", "blackout", "cap", "permit")
EVENT_KINDS = ("ban", "policy", "market", "relocation", "grid", "report")
#: Editorial notes: `conflict` (figures that disagree between sources, in the methods panel),
#: `credit` (the page footer's data credit).
NOTE_KINDS = ("conflict", "credit")
UNITS = ("MW", "GW", "TWh", "%", "machines", "count")
#: CBECI's "Other" bucket in the hashrate table; the only non-ISO code allowed anywhere.
OTHER_COUNTRIES = "OTHER"

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
_DAY = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
_MONTH_OR_DAY = r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"
_YEAR_MONTH_OR_DAY = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
_ID = r"^[a-z0-9_]+$"
_ID_LIST = r"^[a-z0-9_]+(;[a-z0-9_]+)*$"


def is_iso3(code: str) -> bool:
    """True for an ISO 3166-1 alpha-3 country code (pycountry, not a hand-written list)."""
    # pycountry's lookup ignores case; the data must use the upper-case code itself.
    country = pycountry.countries.get(alpha_3=code) if isinstance(code, str) else None
    return country is not None and country.alpha_3 == code


def _text(nullable: bool = False, **kwargs) -> pa.Column:
    return pa.Column(str, nullable=nullable, coerce=True, **kwargs)


def _one_of(values: tuple[str, ...], nullable: bool = False) -> pa.Column:
    return _text(nullable, checks=pa.Check.isin(values, error=f"must be one of {', '.join(values)}"))


def _pattern(regex: str, what: str, nullable: bool = False) -> pa.Column:
    return _text(nullable, checks=pa.Check.str_matches(regex, error=f"must be {what}"))


def _iso3(nullable: bool = False, allow_other: bool = False) -> pa.Column:
    allowed = "an ISO 3166-1 alpha-3 code" + (f" or {OTHER_COUNTRIES}" if allow_other else "")
    check = pa.Check(
        lambda code: is_iso3(code) or (allow_other and code == OTHER_COUNTRIES),
        element_wise=True,
        error=f"must be {allowed}",
    )
    return _text(nullable, checks=check)


def _count(nullable: bool = True) -> pa.Column:
    return pa.Column("Int64", pa.Check.ge(0, error="must be >= 0"), nullable=nullable, coerce=True)


def _number(nullable: bool = True, low: float = 0, high: float | None = None) -> pa.Column:
    checks = [pa.Check.ge(low, error=f"must be >= {low}")]
    if high is not None:
        checks.append(pa.Check.le(high, error=f"must be <= {high}"))
    return pa.Column("Float64", checks, nullable=nullable, coerce=True)


def _unique_id() -> pa.Column:
    return _text(checks=pa.Check.str_matches(_ID, error="must be lower_snake_case"), unique=True)


_SOURCE_IDS = _pattern(_ID_LIST, "source ids separated by ';'")
_CONFIDENCE = _one_of(CONFIDENCE_GRADES)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "sources": pa.DataFrameSchema(
        strict=True,
        columns={
            "source_id": _unique_id(),
            "producer": _text(),
            "title": _text(),
            "published": _pattern(_YEAR_MONTH_OR_DAY, "a date YYYY[-MM[-DD]]", nullable=True),
            "url": _pattern(r"^https?://\S+$", "an http(s) URL", nullable=True),
            "accessed": _pattern(_DAY, "a date YYYY-MM-DD", nullable=True),
            "licence": _text(nullable=True),
            "kind": _one_of(SOURCE_KINDS),
            "original_id": _pattern(_ID, "a source id", nullable=True),
            "note": _text(nullable=True),
        }
    ),
    "flows": pa.DataFrameSchema(
        strict=True,
        columns={
            "flow_id": _unique_id(),
            "seller": _text(),
            "seller_type": _one_of(SELLER_TYPES),
            "destination_iso3": _iso3(),
            "receiver": _text(),
            "farm_id": _pattern(_ID, "a farm id", nullable=True),
            "machines": _count(),
            "machines_low": _count(),
            "machines_high": _count(),
            "qualifier": _one_of(QUALIFIERS),
            "period_start": _pattern(_MONTH, "a month YYYY-MM"),
            "period_end": _pattern(_MONTH, "a month YYYY-MM"),
            "delivery_start": _pattern(_MONTH, "a month YYYY-MM", nullable=True),
            "delivery_end": _pattern(_MONTH, "a month YYYY-MM", nullable=True),
            "kind": _one_of(FLOW_KINDS),
            "confidence": _CONFIDENCE,
            "total_id": _pattern(_ID, "a total id", nullable=True),
            "source_ids": _SOURCE_IDS,
            "note": _text(nullable=True),
        }
    ),
    "flow_totals": pa.DataFrameSchema(
        strict=True,
        columns={
            "total_id": _unique_id(),
            "label": _text(),
            "iso3": _iso3(nullable=True),
            "parent_id": _pattern(_ID, "a total id", nullable=True),
            "machines": _count(),
            "qualifier": _one_of(QUALIFIERS),
            "rank": _count(),
            "parts_complete": _one_of(("true", "false")),
            "remainder_label": _text(nullable=True),
            "confidence": _CONFIDENCE,
            "source_ids": _SOURCE_IDS,
            "note": _text(nullable=True),
        }
    ),
    "farms": pa.DataFrameSchema(
        strict=True,
        columns={
            "farm_id": _unique_id(),
            "name": _text(),
            "operator": _text(),
            "iso3": _iso3(),
            "region": _text(nullable=True),
            "city": _text(nullable=True),
            "lat": _number(low=-90, high=90),
            "lon": _number(low=-180, high=180),
            "coord_precision": _one_of(COORD_PRECISIONS),
            "capacity_mw": _number(),
            "machines": _count(),
            "as_of": _pattern(_YEAR_MONTH_OR_DAY, "a date YYYY[-MM[-DD]]"),
            "confidence": _CONFIDENCE,
            "source_ids": _SOURCE_IDS,
            "note": _text(nullable=True),
        }
    ),
    "hashrate_share": pa.DataFrameSchema(
        strict=True,
        columns={
            "month": _pattern(_MONTH, "a month YYYY-MM"),
            "iso3": _iso3(allow_other=True),
            "cbeci_label": _text(),
            "share_pct": _number(nullable=False, high=100),
            "hashrate_ehs": _number(nullable=False),
            "flag": _one_of(SHARE_FLAGS, nullable=True),
            "source_id": _pattern(_ID, "a source id"),
        },
        unique=["month", "iso3"],
        # The app's months (slider, default month) come from this table: it cannot be empty.
        checks=pa.Check(lambda frame: len(frame) > 0, error="must have at least one row (the app's months come from it)"),
    ),
    "cbeci_power": pa.DataFrameSchema(
        strict=True,
        columns={
            "date": _pattern(_DAY, "a date YYYY-MM-DD"),
            "twh_lower": _number(nullable=False),
            "twh_estimate": _number(nullable=False),
            "twh_upper": _number(nullable=False),
            "source_id": _pattern(_ID, "a source id"),
        },
        unique=["date"],
    ),
    "electricity": pa.DataFrameSchema(
        strict=True,
        columns={
            "iso3": _iso3(),
            "year": pa.Column("Int64", pa.Check.in_range(1990, 2100), coerce=True),
            "demand_twh": _number(),
            "generation_twh": _number(),
            "flag": _text(nullable=True),
            "source_id": _pattern(_ID, "a source id"),
        },
        unique=["iso3", "year"],
    ),
    "grid_reports": pa.DataFrameSchema(
        strict=True,
        columns={
            "report_id": _unique_id(),
            "iso3": _iso3(),
            "region": _text(nullable=True),
            "date_start": _pattern(_MONTH_OR_DAY, "a date YYYY-MM[-DD]"),
            "date_end": _pattern(_MONTH_OR_DAY, "a date YYYY-MM[-DD]", nullable=True),
            "kind": _one_of(GRID_REPORT_KINDS),
            "value": _number(),
            "value_low": _number(),
            "value_high": _number(),
            "unit": _one_of(UNITS, nullable=True),
            "title": _text(),
            "description": _text(),
            "confidence": _CONFIDENCE,
            "source_ids": _SOURCE_IDS,
        }
    ),
    "events": pa.DataFrameSchema(
        strict=True,
        columns={
            "event_id": _unique_id(),
            "date": _pattern(_MONTH_OR_DAY, "a date YYYY-MM[-DD]"),
            "iso3": _iso3(nullable=True),
            "kind": _one_of(EVENT_KINDS),
            "title": _text(),
            "description": _text(),
            "source_ids": _SOURCE_IDS,
        }
    ),
    "notes": pa.DataFrameSchema(
        strict=True,
        columns={
            "note_id": _unique_id(),
            "kind": _one_of(NOTE_KINDS),
            "text": _text(),
            "source_ids": _SOURCE_IDS,
        }
    ),
}

# --- load-model tables (owned with rigflows.models) ----------------------------------------
#: CBECI model versions with published annual totals: the pre-2023 model and the Aug 2023 revision.
CBECI_VERSIONS = ("v1", "revised_2023")
#: Machine generations of CCAF's hardware list that the load model uses as fleet presets.
FLEET_CLASSES = ("s9_era", "s19_era")

MODEL_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "cbeci_annual": pa.DataFrameSchema(
        strict=True,
        columns={
            "year": pa.Column("Int64", pa.Check.in_range(2009, 2100), coerce=True),
            "model_version": _one_of(CBECI_VERSIONS),
            "twh": _number(nullable=False),
            "source_ids": _SOURCE_IDS,
            "note": _text(nullable=True),
        },
        unique=["year", "model_version"],
    ),
    "miner_efficiency": pa.DataFrameSchema(
        strict=True,
        columns={
            "model": _text(unique=True),
            "released": _pattern(_DAY, "a date YYYY-MM-DD"),
            "j_per_th": pa.Column("Float64", pa.Check.gt(0, error="must be > 0"), nullable=False, coerce=True),
            "ccaf_qty": _count(),
            "fleet_class": _one_of(FLEET_CLASSES, nullable=True),
            "source_id": _pattern(_ID, "a source id"),
        },
    ),
}
SCHEMAS.update(MODEL_SCHEMAS)

#: Columns written true/false in the CSV, turned into booleans once validated.
BOOLEAN_COLUMNS: dict[str, tuple[str, ...]] = {"flow_totals": ("parts_complete",)}

#: Columns holding a list of ids, written 'a;b' in the CSV: read once into a tuple (`split_ids`)
#: and written back only by the CSV writer (`join_ids`), so no other code splits strings.
ID_LIST_COLUMNS: tuple[str, ...] = ("source_ids",)
ID_SEPARATOR = ";"


def split_ids(text: object) -> tuple[str, ...]:
    """'a;b' as ('a', 'b'); an empty cell as ()."""
    return tuple(part for part in text.split(ID_SEPARATOR) if part) if isinstance(text, str) else ()


def join_ids(ids: tuple[str, ...]) -> str:
    return ID_SEPARATOR.join(ids)


#: Every table the app needs, in load order; each is `data/<name>.csv`.
TABLE_NAMES: tuple[str, ...] = tuple(SCHEMAS)
