"""The guarantee: every data directory that `python -m rigflows check` accepts starts the app and
draws every view.

Hypothesis generates directories (any months, countries, firms, kinds of flow, empty tables) and
perturbs the bundled one (months dropped, countries removed, tables emptied, firms renamed).
Whatever `check` accepts must then start (`create_app`) and answer the page's own requests: the
one callback that draws the map (every metric), the Sankey, the energy chart, the sources panel
and the listing under the Sankey, for several views, and the CSV download. Directories `check`
rejects are outside the guarantee (`assume`); the generators are built to be valid, so few are.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app import create_app
from components import ids
from conftest import DATA_DIR
from rigflows.dataset import find_problems
from rigflows.schema import CBECI_VERSIONS, CONFIDENCE_GRADES, FLEET_CLASSES, EVENT_KINDS, GRID_REPORT_KINDS, NOTE_KINDS, QUALIFIERS, SCHEMAS, SOURCE_KINDS, UNITS
from tests.dash_requests import callback_body, dependency, layout_props, outputs_of

#: Examples per property: each starts an app and draws nine views (1-3 s on 2 shared cores),
#: so the file stays near a minute. Hypothesis keeps its failures in .hypothesis/ and replays them.
GENERATED_EXAMPLES, PERTURBED_EXAMPLES = 10, 8


def property_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])

#: Countries a generated directory may name (all drawn by the map's topojson), and a point inside
#: some of them (GeoNames city centres, as in farms.csv) for farms with coordinates.
COUNTRY_POOL = ("RUS", "KAZ", "USA", "CAN", "PRY", "VEN", "DEU", "MYS", "IRN", "NOR", "CHN")
INSIDE = {"RUS": (56.1325, 101.61417), "KAZ": (51.72371, 75.32287), "CAN": (50.03928, -110.67661), "VEN": (10.48801, -66.87919), "PRY": (-25.28646, -57.647)}
#: Firm names, some awkward on purpose: markup, a country's name, accents, the "unknown" marker.
FIRM_POOL = ("Bitmain", "BitRiver", "not identified", "Firm <b>&</b> Co", "Kazakhstan", "Ünïcode → Mining", "A, \"quoted\" firm")
TEXT = st.text(alphabet=st.sampled_from("abcXYZ 0123456789,;<>&\"'é→%"), max_size=30).map(lambda text: "T" + text)


def months_from(start: int, count: int) -> list[str]:
    return [f"{(start + step) // 12}-{(start + step) % 12 + 1:02d}" for step in range(count)]


@st.composite
def generated_tables(draw) -> dict[str, pd.DataFrame]:
    """A directory valid by construction (the rules of rigflows.schema and rigflows.integrity)."""
    countries = draw(st.lists(st.sampled_from(COUNTRY_POOL), min_size=1, max_size=5, unique=True))
    months = months_from(draw(st.integers(2015 * 12, 2030 * 12)), draw(st.integers(1, 5)))
    source_ids = [f"source_{index}" for index in range(draw(st.integers(1, 4)))]
    cite = st.lists(st.sampled_from(source_ids), min_size=1, max_size=3, unique=True).map(";".join)

    sources = []
    for index, source_id in enumerate(source_ids):
        kind = draw(st.sampled_from(SOURCE_KINDS))
        original = source_ids[0] if kind == "press_copy" and index > 0 and draw(st.booleans()) else ""
        url = draw(st.sampled_from(["", "https://example.org/a?b=1", "http://127.0.0.1/x"]))
        sources.append({"source_id": source_id, "producer": draw(TEXT), "title": draw(TEXT), "published": draw(st.sampled_from(["", "2021", "2021-05", "2021-05-21"])), "url": url, "accessed": "2026-11-24" if url else "", "licence": "", "kind": kind, "original_id": original, "note": draw(TEXT)})

    share_countries = draw(st.lists(st.sampled_from([*countries, "OTHER"]), min_size=1, max_size=len(countries) + 1, unique=True))
    shares = []
    for month in months:
        weights = [draw(st.integers(0, 50)) for _ in share_countries]
        weights[0] += 1 if sum(weights) == 0 else 0
        for iso3, weight in zip(share_countries, weights):
            shares.append({"month": month, "iso3": iso3, "cbeci_label": iso3, "share_pct": round(100 * weight / sum(weights), 2), "hashrate_ehs": draw(st.floats(0, 200)), "flag": draw(st.sampled_from(["", "", "vpn_distorted", "measurement_gap"])), "source_id": source_ids[0]})

    power = []
    for month in months:
        for day in draw(st.lists(st.integers(1, 28), max_size=2, unique=True)):
            low = draw(st.floats(1, 100))
            power.append({"date": f"{month}-{day:02d}", "twh_lower": low, "twh_estimate": low * 1.5, "twh_upper": low * 3, "source_id": source_ids[0]})

    named = set(countries) | {iso3 for iso3 in share_countries if iso3 != "OTHER"}
    years = sorted({int(month[:4]) for month in months})
    electricity = []
    for iso3 in sorted(named):
        for year in draw(st.lists(st.sampled_from([years[0] - 1, *years]), min_size=1, unique=True)):
            demand = draw(st.one_of(st.none(), st.floats(0.5, 5000)))
            electricity.append({"iso3": iso3, "year": year, "demand_twh": demand, "generation_twh": draw(st.one_of(st.none(), st.floats(0, 5000))), "flag": "", "source_id": source_ids[-1]})

    farms = []
    for iso3 in draw(st.lists(st.sampled_from(countries), max_size=3)):
        located = iso3 in INSIDE and draw(st.booleans())
        lat, lon = INSIDE[iso3] if located else ("", "")
        farms.append({"farm_id": f"farm_{len(farms)}", "name": draw(TEXT), "operator": draw(st.sampled_from(FIRM_POOL)), "iso3": iso3, "region": "", "city": "", "lat": lat, "lon": lon, "coord_precision": "city_centroid" if located else "none", "capacity_mw": draw(st.one_of(st.none(), st.floats(0, 500))), "machines": "", "as_of": "2021", "confidence": draw(st.sampled_from(CONFIDENCE_GRADES)), "source_ids": draw(cite), "note": ""})

    totals, total_of = [], {}
    root = draw(st.booleans())
    if root:
        totals.append({"total_id": "total_root", "label": draw(TEXT), "iso3": "", "parent_id": "", "machines": "", "qualifier": draw(st.sampled_from(QUALIFIERS)), "rank": "", "parts_complete": "false", "remainder_label": draw(st.sampled_from(["", "Left, not tracked"])), "confidence": "several_sources", "source_ids": draw(cite), "note": ""})
    for rank, iso3 in enumerate(draw(st.lists(st.sampled_from(countries), unique=True)), start=1):
        machines = draw(st.one_of(st.none(), st.integers(10_000, 500_000)))
        total_of[iso3] = (f"total_{iso3.lower()}", machines)
        totals.append({"total_id": f"total_{iso3.lower()}", "label": draw(TEXT), "iso3": iso3, "parent_id": "total_root" if root and draw(st.booleans()) else "", "machines": machines, "qualifier": draw(st.sampled_from(QUALIFIERS)), "rank": draw(st.sampled_from(["", rank])), "parts_complete": "false", "remainder_label": draw(st.sampled_from(["", "Not identified"])), "confidence": "single_report", "source_ids": draw(cite), "note": ""})
    if root:
        children = sum(row["machines"] or 0 for row in totals if row["parent_id"] == "total_root")
        totals[0]["machines"] = draw(st.one_of(st.none(), st.integers(children, children + 2_000_000)))

    flows = []
    for index in range(draw(st.integers(0, 6))):
        iso3 = draw(st.sampled_from(countries))
        kind = draw(st.sampled_from(["relocation", "relocation", "in_transit", "order", "plan_or_request"]))
        machines = draw(st.one_of(st.none(), st.integers(1, 1000)))
        seller_type = "manufacturer" if kind == "order" and draw(st.booleans()) else draw(st.sampled_from(["mining_firm", "own_fleet", "not_identified"]))
        total_id, counted = total_of.get(iso3, ("", None))
        in_total = kind == "relocation" and total_id and (machines is not None and counted is not None or draw(st.booleans()))
        start = draw(st.sampled_from(months))
        farm = [row["farm_id"] for row in farms if row["iso3"] == iso3]
        flows.append({
            "flow_id": f"flow_{index}", "seller": draw(st.sampled_from(FIRM_POOL)), "seller_type": seller_type, "destination_iso3": iso3,
            "receiver": draw(st.sampled_from(FIRM_POOL)), "farm_id": farm[0] if farm and draw(st.booleans()) else "", "machines": machines, "machines_low": "", "machines_high": "",
            "qualifier": "unknown" if machines is None else draw(st.sampled_from(QUALIFIERS[:-1])), "period_start": start, "period_end": start,
            "delivery_start": start if kind == "order" else "", "delivery_end": draw(st.sampled_from(["", months[-1]])) if kind == "order" else "",
            "kind": kind, "confidence": "plan_or_request" if kind == "plan_or_request" else draw(st.sampled_from(CONFIDENCE_GRADES[:2])),
            "total_id": total_id if in_total else "", "source_ids": draw(cite), "note": draw(TEXT),
        })

    reports = []
    for index in range(draw(st.integers(0, 4))):
        value = draw(st.one_of(st.none(), st.floats(0, 3000)))
        low = draw(st.one_of(st.none(), st.floats(0, value if value is not None else 3000)))
        high = None if value is None or draw(st.booleans()) else value * 2
        reports.append({"report_id": f"report_{index}", "iso3": draw(st.sampled_from(countries)), "region": "", "date_start": draw(st.sampled_from(months)), "date_end": "", "kind": draw(st.sampled_from(GRID_REPORT_KINDS)), "value": value, "value_low": low, "value_high": high, "unit": draw(st.sampled_from(["", *UNITS])), "title": draw(TEXT), "description": draw(TEXT), "confidence": draw(st.sampled_from(CONFIDENCE_GRADES)), "source_ids": draw(cite)})

    events = [{"event_id": f"event_{index}", "date": draw(st.sampled_from(months)), "iso3": draw(st.sampled_from(["", *countries])), "kind": draw(st.sampled_from(EVENT_KINDS)), "title": draw(TEXT), "description": draw(TEXT), "source_ids": draw(cite)} for index in range(draw(st.integers(0, 3)))]
    notes = [{"note_id": f"note_{index}", "kind": draw(st.sampled_from(NOTE_KINDS)), "text": draw(TEXT), "source_ids": draw(cite)} for index in range(draw(st.integers(0, 2)))]

    annual = [
        {"year": year, "model_version": version, "twh": draw(st.floats(1, 300)), "source_ids": draw(cite), "note": ""}
        for year in draw(st.lists(st.sampled_from(years), unique=True)) for version in draw(st.lists(st.sampled_from(CBECI_VERSIONS), unique=True))
    ]
    hardware = [
        {"model": f"Miner {index}", "released": f"{draw(st.sampled_from(months))}-01", "j_per_th": draw(st.floats(1, 800)), "ccaf_qty": draw(st.integers(0, 10**6)), "fleet_class": draw(st.sampled_from(["", *FLEET_CLASSES])), "source_id": source_ids[0]}
        for index in range(draw(st.integers(0, 4)))
    ]

    rows = {"sources": sources, "flows": flows, "flow_totals": totals, "farms": farms, "hashrate_share": shares, "cbeci_power": power, "electricity": electricity, "grid_reports": reports, "events": events, "notes": notes, "cbeci_annual": annual, "miner_efficiency": hardware}
    return {name: pd.DataFrame(rows[name], columns=list(SCHEMAS[name].columns), dtype=object).fillna("") for name in SCHEMAS}


def bundled_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(DATA_DIR / f"{name}.csv", dtype=str, keep_default_na=False) for name in SCHEMAS}


@st.composite
def perturbed_tables(draw) -> dict[str, pd.DataFrame]:
    """The bundled directory with months dropped, countries removed, tables emptied, firms renamed."""
    tables = bundled_tables()
    shares = tables["hashrate_share"]
    months = sorted(shares["month"].unique())
    kept = draw(st.lists(st.sampled_from(months), min_size=1, max_size=6, unique=True))
    tables["hashrate_share"] = shares[shares["month"].isin(kept)]
    gone = draw(st.lists(st.sampled_from(["RUS", "KAZ", "USA", "CAN", "PRY", "VEN"]), max_size=4, unique=True))
    for name, column in (("flows", "destination_iso3"), ("farms", "iso3"), ("flow_totals", "iso3"), ("grid_reports", "iso3"), ("events", "iso3")):
        tables[name] = tables[name][~tables[name][column].isin(gone)]
    for name in draw(st.lists(st.sampled_from(["flows", "farms", "flow_totals", "grid_reports", "events", "notes"]), unique=True)):
        tables[name] = tables[name].iloc[0:0]
    if tables["farms"].empty:
        tables["flows"] = tables["flows"].assign(farm_id="")
    if tables["flow_totals"].empty:
        tables["flows"] = tables["flows"].assign(total_id="")
    renamed = {firm: draw(st.sampled_from(FIRM_POOL)) for firm in draw(st.lists(st.sampled_from(["BitRiver", "Bitmain", "Bit Digital", "MicroBT"]), unique=True))}
    tables["flows"] = tables["flows"].replace({"seller": renamed, "receiver": renamed})
    return tables


# --- the app, as the page talks to it -------------------------------------------------------


def write(tables: dict[str, pd.DataFrame], directory: Path) -> Path:
    directory.mkdir()
    for name, frame in tables.items():
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory


def callback_for(dependencies: list, prop_id: str) -> dict:
    for callback in dependencies:
        outputs = outputs_of(callback["output"]) if callback["output"].startswith("..") else [outputs_of(callback["output"])]
        if dependency(prop_id) in outputs:
            return callback
    raise AssertionError(f"no callback writes {prop_id}")


def keyed_callbacks(dependencies: list) -> list[dict]:
    """The callbacks that draw a chart, its frames or the sources panel from a key Store (and
    the tab's upload token, None here: the directory's own data; and the first paint's Store)."""
    stores = {ids.key(part) for part in ids.KEYED}
    return [
        callback for callback in dependencies
        if callback["inputs"] and callback["inputs"][0]["id"] in stores and all(dep["id"] in stores | {ids.UPLOAD_TOKEN, ids.UPLOAD_MODE, ids.PAINTED} for dep in callback["inputs"])
    ]


def draws_every_view(data_dir: Path) -> None:
    """Start the app on `data_dir` and ask it, as the page would, for every view and the CSV:
    the page for each link (which holds every chart's first figure), then every callback that
    draws a chart, its months and metrics, or the sources from the page's key Stores."""
    client = create_app(data_dir).server.test_client()
    assert client.get("/").status_code == 200
    props = layout_props(client.get("/_dash-layout").get_json())
    dependencies = client.get("/_dash-dependencies").get_json()
    keyed = keyed_callbacks(dependencies)
    assert len(keyed) >= len(ids.KEYED)
    download = callback_for(dependencies, f"{ids.CSV_FILE}.data")

    months = [props[ids.MONTH]["marks"][key] for key in sorted(props[ids.MONTH]["marks"], key=int)]
    country = next(iter(option["value"] for option in props[ids.COUNTRIES]["options"]), "")
    firm = next(iter(option["value"] for option in props[ids.FIRMS]["options"]), "")
    queries = ["", "?orders=1&remainders=0", f"?country={country}", f"?firm={firm}&orders=1", f"?metric=share&month={months[0]}"]
    queries += ["?metric=load", "?metric=strain&farms=1", f"?metric=load&country={country}&month={months[-1]}"]
    for query in queries:
        page = client.get("/_dash-layout", headers={"Referer": f"http://127.0.0.1/{query}"})
        assert page.status_code == 200, (query, page.get_data(as_text=True)[:300])
        props = layout_props(page.get_json())
        figures = [props[chart]["figure"] for chart in (ids.MAP, ids.SANKEY, ids.ENERGY)]
        assert all("layout" in figure for figure in figures), query
        json.dumps(figures)
        for callback in keyed:
            values = [props.get(dep["id"], {}).get(dep["property"]) for dep in callback["inputs"]]
            state = [props.get(dep["id"], {}).get(dep["property"]) for dep in callback["state"]]
            response = client.post("/_dash-update-component", json=callback_body(callback, values, state=state))
            assert response.status_code in (200, 204), (query, callback["output"], response.get_data(as_text=True)[:300])
    csv = client.post("/_dash-update-component", json=callback_body(download, [1], state=[""] * len(download["state"])))
    assert csv.status_code == 200
    assert csv.get_json()["response"][ids.CSV_FILE]["data"]["filename"].endswith(".csv")


def accepted_directory_draws(tables: dict[str, pd.DataFrame]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = write(tables, Path(scratch) / "data")
        problems = find_problems(data_dir)
        assume(not problems)  # outside the guarantee: check refuses it
        draws_every_view(data_dir)
        shutil.rmtree(data_dir)


@property_settings(GENERATED_EXAMPLES)
@given(generated_tables())
def test_every_generated_directory_check_accepts_draws_every_view(tables):
    accepted_directory_draws(tables)


@property_settings(PERTURBED_EXAMPLES)
@given(perturbed_tables())
def test_every_perturbed_bundled_directory_check_accepts_draws_every_view(tables):
    accepted_directory_draws(tables)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(generated_tables())
def test_the_generator_makes_only_directories_check_accepts(tables):
    """The property above is not vacuous: every generated directory passes `check`, so none is
    assumed away (a generator that drifted from the rules fails here, with the problems)."""
    with tempfile.TemporaryDirectory() as scratch:
        problems = find_problems(write(tables, Path(scratch) / "data"))
    assert problems == [], "\n".join(map(str, problems))
