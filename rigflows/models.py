"""Model estimates, computed in code and never stored as facts.

Mining load of a country in a month = its CBECI share of hashrate x CBECI's estimate of the
whole network's power draw that month. This assumes every country runs machines of the same
average efficiency, and it inherits the VPN/proxy bias of the shares (see `hashrate_share.flag`).
Strain = that load, run for a year, as a share of the country's annual electricity demand.

CBECI revised its model in August 2023 and published only annual totals of the revision
(`cbeci_annual`). The revised level keeps the shape of the v1 daily series and scales each year
to the revised total; years without a revised total stay at the v1 level and say so.
"""

from __future__ import annotations

import pandas as pd

HOURS_PER_YEAR = 8760
TWH_PER_GW_YEAR = HOURS_PER_YEAR / 1000  # 1 GW for a year = 8.76 TWh

METHOD_NOTE = (
    "Estimated mining load = country's share of Bitcoin hashrate (CBECI mining map, monthly) × "
    "CBECI's estimate of the whole network's power that month (mean of its daily annualised "
    "TWh ÷ 8.76, with its lower and upper bounds). It assumes the same machine efficiency "
    "everywhere and inherits the VPN/proxy bias of the shares. Grid strain = that load over a "
    "year as a share of the country's annual electricity demand (Our World in Data); months "
    "after the last year of demand data use the latest year."
)


#: CBECI model versions a reader can choose (`cbeci_annual.model_version`), and how views name them.
VERSION_LABELS = {"revised_2023": "CBECI 2023 revision", "v1": "CBECI v1 (pre-2023 model)"}
DEFAULT_VERSION = "revised_2023"


def version_factors(cbeci_power: pd.DataFrame, cbeci_annual: pd.DataFrame) -> pd.DataFrame:
    """Per year with a revised total: the factor that takes the v1 daily series to that total.

    The v1 level of a year is the mean of the daily series when the series covers the whole
    year (so the scaled year averages exactly the revised total), else CBECI's published v1
    total for that year (2022 here: the series stops in January). Years with neither get no
    factor. Columns: year, factor, revised_twh, v1_twh, v1_basis.
    """
    columns = ["year", "factor", "revised_twh", "v1_twh", "v1_basis"]
    daily = cbeci_power.assign(year=cbeci_power["date"].str.slice(0, 4).astype("int64"))
    per_year = daily.groupby("year")["twh_estimate"].agg(["mean", "count"])
    whole = per_year[per_year["count"] == [pd.Timestamp(year=int(year), month=12, day=31).day_of_year for year in per_year.index]]
    totals = {(int(row.year), row.model_version): float(row.twh) for row in cbeci_annual.itertuples()}
    rows = []
    for (year, version), revised in sorted(totals.items()):
        if version != "revised_2023":
            continue
        if year in whole.index:
            v1, basis = float(whole.loc[year, "mean"]), "mean of the v1 daily series"
        elif (year, "v1") in totals:
            v1, basis = totals[(year, "v1")], "CBECI's published v1 total"
        else:
            continue
        rows.append({"year": year, "factor": revised / v1, "revised_twh": revised, "v1_twh": v1, "v1_basis": basis})
    return pd.DataFrame(rows, columns=columns)


def monthly_network_power(cbeci_power: pd.DataFrame, cbeci_annual: pd.DataFrame | None = None, version: str = "v1") -> pd.DataFrame:
    """CBECI's daily annualised TWh → mean power in GW per month (lower, estimate, upper), at
    the chosen model version, with `version_drawn` saying which level each month is at."""
    frame = cbeci_power.assign(month=cbeci_power["date"].str.slice(0, 7))
    means = frame.groupby("month")[["twh_lower", "twh_estimate", "twh_upper"]].mean()
    power = means / TWH_PER_GW_YEAR
    power.columns = ["network_gw_lower", "network_gw", "network_gw_upper"]
    power = power.reset_index()
    power["version_drawn"] = "v1"
    if version != "v1" and cbeci_annual is not None:
        factors = version_factors(cbeci_power, cbeci_annual).set_index("year")["factor"]
        factor = power["month"].str.slice(0, 4).astype("int64").map(factors)
        scaled = factor.notna()
        for column in ("network_gw_lower", "network_gw", "network_gw_upper"):
            power.loc[scaled, column] = power.loc[scaled, column] * factor[scaled]
        power.loc[scaled, "version_drawn"] = version
    return power


def country_mining_load(hashrate_share: pd.DataFrame, cbeci_power: pd.DataFrame, cbeci_annual: pd.DataFrame | None = None, version: str = "v1") -> pd.DataFrame:
    """Estimated mining load per country and month, in GW, with CBECI's bounds as a range."""
    power = monthly_network_power(cbeci_power, cbeci_annual, version)
    merged = hashrate_share.merge(power, on="month", how="inner")
    fraction = merged["share_pct"] / 100
    return pd.DataFrame(
        {
            "month": merged["month"],
            "iso3": merged["iso3"],
            "share_pct": merged["share_pct"],
            "flag": merged["flag"],
            "load_gw": fraction * merged["network_gw"],
            "load_gw_low": fraction * merged["network_gw_lower"],
            "load_gw_high": fraction * merged["network_gw_upper"],
            "version_drawn": merged["version_drawn"],
        }
    )


def grid_strain(load: pd.DataFrame, electricity: pd.DataFrame) -> pd.DataFrame:
    """Add `demand_year`, `demand_twh` and strain (% of annual demand) to a mining-load table.

    Each month uses that year's demand, or the latest earlier year with a figure; countries with
    no demand figure get no strain (unknown, not zero).
    """
    demand = electricity.dropna(subset=["demand_twh"])[["iso3", "year", "demand_twh"]].sort_values("year")
    rows = load.assign(year=load["month"].str.slice(0, 4).astype("int64")).sort_values("year")
    merged = pd.merge_asof(
        rows,
        demand.rename(columns={"year": "demand_year"}).astype({"demand_year": "int64"}),
        left_on="year",
        right_on="demand_year",
        by="iso3",
        direction="backward",
    )
    annual_twh = merged[["load_gw", "load_gw_low", "load_gw_high"]] * TWH_PER_GW_YEAR
    for column, twh in (("strain_pct", "load_gw"), ("strain_pct_low", "load_gw_low"), ("strain_pct_high", "load_gw_high")):
        merged[column] = annual_twh[twh] / merged["demand_twh"] * 100
    return merged.drop(columns="year").sort_values(["month", "iso3"]).reset_index(drop=True)
