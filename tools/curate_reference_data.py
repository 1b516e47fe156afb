"""Regenerate the three mechanical tables of data/ from the research reference files.

    python tools/curate_reference_data.py [REFERENCE_DIR] [--out DATA_DIR]

REFERENCE_DIR defaults to /work/shared/research/data (the raw copies described in the research
notes, DATA-SOURCES.md); DATA_DIR defaults to this project's data/. Writes:

- hashrate_share.csv  from cbeci_mining_map_country_share_2019-09_2022-01.csv (CBECI mining map)
- cbeci_power.csv     from cbeci_v1_daily_annualised_electricity_2010-2022.csv, 2019-09-01..2022-01-31
- electricity.csv     from owid_energy_2022release_electricity_demand_generation_2015-2021_all_countries.csv
- miner_efficiency.csv from ccaf_cbeci_miner_efficiency.csv (CCAF's hardware list; J/GH -> J/TH)

The other tables (sources, flows, flow_totals, farms, grid_reports, events, cbeci_annual) are curated by hand;
this script only reads them to know which countries electricity.csv must cover. Nothing here is
estimated: values are copied, renamed and flagged, never computed.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
import pycountry

DEFAULT_REFERENCE_DIR = Path("/work/shared/research/data")
DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "data"

SHARE_FILE = "cbeci_mining_map_country_share_2019-09_2022-01.csv"
POWER_FILE = "cbeci_v1_daily_annualised_electricity_2010-2022.csv"
OWID_FILE = "owid_energy_2022release_electricity_demand_generation_2015-2021_all_countries.csv"
MINERS_FILE = "ccaf_cbeci_miner_efficiency.csv"

# Source ids, as in data/sources.csv.
CBECI_MAP_SOURCE = "cbeci_mining_map"
CBECI_POWER_SOURCE = "cbeci_v1_electricity"
OWID_SOURCE = "owid_energy_2022"
MINERS_SOURCE = "ccaf_cbeci_miners"

# CBECI v1 `api/prov.csv` span: the months the mining map covers.
POWER_FIRST_DAY, POWER_LAST_DAY = "2019-09-01", "2022-01-31"
ELECTRICITY_YEARS = range(2015, 2022)

# Names pycountry cannot look up as written (CBECI and OWID spellings).
NAME_TO_ISO3 = {
    "Mainland China": "CHN",
    "Iran, Islamic Rep.": "IRN",
    "Russia": "RUS",
    "Germany *": "DEU",
    "Ireland *": "IRL",
    "Other": "OTHER",
}
# CBECI marks these with an asterisk: shares possibly distorted by VPN/proxy use.
VPN_DISTORTED_LABELS = {"Germany *", "Ireland *"}
# China reads 0% in CBECI for Jul and Aug 2021: a gap in measurement, not an absence of mining.
MEASUREMENT_GAP = {("CHN", "2021-07"), ("CHN", "2021-08")}
DEMAND_QUIRK_FLAG = "demand_above_generation_release_quirk"
# CCAF's hardware list opens with six placeholder rows (CPU, GPU, FPGA, early ASICs), not machines.
MINER_PLACEHOLDERS = {"Worst CPU", "Best CPU", "Worst GPU", "Best GPU", "FPGA", "early ASICS"}
# The two machine generations the reporting names ("old S9s" vs new S19s), by CCAF's model names:
# the plain Antminer S9 bins (11.5-14 TH/s) and the Antminer S19 family. Other rows get no class.
FLEET_CLASSES = {"s9_era": re.compile(r"^Bitmain Antminer S9 \("), "s19_era": re.compile(r"^Bitmain Antminer S19\b")}
J_PER_TH_PER_J_PER_GH = 1000  # unit conversion: 1 TH = 1000 GH
# Hand-curated tables and their country columns, read to decide electricity.csv's coverage.
COUNTRY_COLUMNS = {
    "flows.csv": ["destination_iso3"],
    "flow_totals.csv": ["iso3"],
    "farms.csv": ["iso3"],
    "grid_reports.csv": ["iso3"],
    "events.csv": ["iso3"],
}


def to_iso3(name: str) -> str | None:
    """ISO 3166-1 alpha-3 for a country name (CBECI's 'Other' -> OTHER); None if not a country."""
    if name in NAME_TO_ISO3:
        return NAME_TO_ISO3[name]
    try:
        return pycountry.countries.lookup(name).alpha_3
    except LookupError:
        return None


def hashrate_share(reference_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(reference_dir / SHARE_FILE, dtype=str)
    out = pd.DataFrame(
        {
            "month": raw["date"].str[:7],
            "iso3": raw["country"].map(to_iso3),
            "cbeci_label": raw["country"],
            "share_pct": raw["monthly_hashrate_%"].str.rstrip("%").astype(float),
            "hashrate_ehs": raw["monthly_absolute_hashrate_EH/S"].astype(float),
        }
    )
    if out["iso3"].isna().any():
        raise ValueError(f"no ISO-3 code for {sorted(set(out.loc[out['iso3'].isna(), 'cbeci_label']))}")
    flags = []
    for row in out.itertuples(index=False):
        if row.cbeci_label in VPN_DISTORTED_LABELS:
            flags.append("vpn_distorted")
        elif (row.iso3, row.month) in MEASUREMENT_GAP:
            flags.append("measurement_gap")
        else:
            flags.append(None)
    out["flag"] = flags
    out["source_id"] = CBECI_MAP_SOURCE
    return out.sort_values(["month", "share_pct"], ascending=[True, False], kind="stable")


def cbeci_power(reference_dir: Path) -> pd.DataFrame:
    raw = pd.read_csv(reference_dir / POWER_FILE, dtype={"date": str})
    raw = raw[(raw["date"] >= POWER_FIRST_DAY) & (raw["date"] <= POWER_LAST_DAY)]
    out = pd.DataFrame(
        {
            "date": raw["date"],
            "twh_lower": raw["annualised_twh_lower"],
            "twh_estimate": raw["annualised_twh_estimate"],
            "twh_upper": raw["annualised_twh_upper"],
            "source_id": CBECI_POWER_SOURCE,
        }
    )
    return out.sort_values("date")


def miner_efficiency(reference_dir: Path) -> pd.DataFrame:
    """CCAF's hardware list without its placeholders, efficiency converted from J/GH to J/TH."""
    raw = pd.read_csv(reference_dir / MINERS_FILE, dtype={"Miner_name": str})
    raw = raw[~raw["Miner_name"].isin(MINER_PLACEHOLDERS)]
    classes = [next((name for name, pattern in FLEET_CLASSES.items() if pattern.search(model)), None) for model in raw["Miner_name"]]
    return pd.DataFrame(
        {
            "model": raw["Miner_name"],
            "released": pd.to_datetime(raw["UNIX_date_of_release"], unit="s", utc=True).dt.strftime("%Y-%m-%d"),
            # Five decimals of J/GH are exact in three of J/TH; rounding only removes float noise.
            "j_per_th": (raw["Efficiency_J_Gh"] * J_PER_TH_PER_J_PER_GH).round(3),
            "ccaf_qty": raw["Qty"],
            "fleet_class": classes,
            "source_id": MINERS_SOURCE,
        }
    )


def countries_named(out_dir: Path, shares: pd.DataFrame) -> list[str]:
    """Every ISO-3 code used by the hashrate table and the hand-curated tables.

    The hand-curated tables are read from `out_dir`, or from the project's data/ when `out_dir`
    does not have them (e.g. when writing to a scratch folder).
    """
    codes = set(shares["iso3"]) - {"OTHER"}
    for file, columns in COUNTRY_COLUMNS.items():
        path = out_dir / file if (out_dir / file).exists() else DEFAULT_OUT_DIR / file
        if path.exists():
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            for column in columns:
                codes |= {code for code in frame[column] if code}
    return sorted(codes)


def electricity(reference_dir: Path, countries: list[str]) -> pd.DataFrame:
    raw = pd.read_csv(reference_dir / OWID_FILE)
    raw["iso3"] = raw["country"].map(to_iso3)
    raw = raw[raw["iso3"].isin(countries) & raw["year"].isin(ELECTRICITY_YEARS)]
    # One row per country and year; a year missing from the release stays as an empty row.
    grid = pd.MultiIndex.from_product([countries, list(ELECTRICITY_YEARS)], names=["iso3", "year"])
    raw = raw.set_index(["iso3", "year"]).reindex(grid).reset_index()
    demand, generation, imports = raw["electricity_demand_twh"], raw["electricity_generation_twh"], raw["net_elec_imports_twh"]
    # Demand above generation is possible only for a net importer. In this release, Venezuela
    # shows demand above generation while exporting (DATA-SOURCES.md section 6, item 12).
    quirk = (demand > generation) & (imports <= 0)
    out = pd.DataFrame(
        {
            "iso3": raw["iso3"],
            "year": raw["year"].astype("Int64"),
            "demand_twh": demand,
            "generation_twh": generation,
            "flag": quirk.map({True: DEMAND_QUIRK_FLAG, False: None}),
            "source_id": OWID_SOURCE,
        }
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference_dir", nargs="?", type=Path, default=DEFAULT_REFERENCE_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR, help="data directory to write")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    shares = hashrate_share(args.reference_dir)
    tables = {
        "hashrate_share": shares,
        "cbeci_power": cbeci_power(args.reference_dir),
        "electricity": electricity(args.reference_dir, countries_named(args.out, shares)),
        "miner_efficiency": miner_efficiency(args.reference_dir),
    }
    for name, frame in tables.items():
        path = args.out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        print(f"{path}: {len(frame)} rows")


if __name__ == "__main__":
    main()
