"""Model estimates, computed in code and never stored as facts.

Mining load of a country in a month = its CBECI share of hashrate x CBECI's estimate of the
whole network's power draw that month. This assumes every country runs machines of the same
average efficiency, and it inherits the VPN/proxy bias of the shares (see `hashrate_share.flag`).
Strain = that load, run for a year, as a share of the country's annual electricity demand.
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


def monthly_network_power(cbeci_power: pd.DataFrame) -> pd.DataFrame:
    """CBECI's daily annualised TWh → mean power in GW per month (lower, estimate, upper)."""
    frame = cbeci_power.assign(month=cbeci_power["date"].str.slice(0, 7))
    means = frame.groupby("month")[["twh_lower", "twh_estimate", "twh_upper"]].mean()
    power = means / TWH_PER_GW_YEAR
    power.columns = ["network_gw_lower", "network_gw", "network_gw_upper"]
    return power.reset_index()


def country_mining_load(hashrate_share: pd.DataFrame, cbeci_power: pd.DataFrame) -> pd.DataFrame:
    """Estimated mining load per country and month, in GW, with CBECI's bounds as a range."""
    power = monthly_network_power(cbeci_power)
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
