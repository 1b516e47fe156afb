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
#: Units: 1 EH/s at 1 J/TH = 1e18 H/s × 1e-12 J/H = 1e6 W = 1 MW; and 1 GW = 1000 MW.
MW_PER_GW = 1000

METHOD_NOTE = (
    "Estimated mining load = country's share of Bitcoin hashrate (CBECI mining map, monthly) × "
    "CBECI's estimate of the whole network's power that month. By default the network power "
    "follows CBECI's August 2023 revision: the v1 daily series scaled, year by year, to the revised "
    "annual totals CBECI published; years with no revised total stay at the v1 level. The range is "
    "the country's hashrate × a fleet efficiency from CCAF's hardware list: from the most "
    "efficient machine released by then to a fleet of S9-era machines. It assumes the same "
    "efficiency in every country and inherits the VPN/proxy bias of the shares; in CBECI's "
    "measurement-gap months China's share is missing, so every other country's share and load is "
    "overstated. Grid strain = that load over a year as a share of the country's annual "
    "electricity demand (Our World in Data); months after the last year of demand data use the "
    "latest year. The energy chart's note gives the figures."
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
    """CBECI's daily annualised TWh → mean power in GW per month, at the chosen model version,
    with `version_drawn` saying which level each month is at."""
    # astype(str): an empty table's month column would otherwise be float and fail every merge.
    frame = cbeci_power.assign(month=cbeci_power["date"].astype(str).str.slice(0, 7))
    power = (frame.groupby("month")["twh_estimate"].mean() / TWH_PER_GW_YEAR).rename("network_gw").reset_index()
    power["month"] = power["month"].astype(str)
    power["version_drawn"] = "v1"
    if version != "v1" and cbeci_annual is not None:
        factors = version_factors(cbeci_power, cbeci_annual).set_index("year")["factor"]
        factor = power["month"].str.slice(0, 4).astype("int64").map(factors)
        scaled = factor.notna()
        power.loc[scaled, "network_gw"] = power.loc[scaled, "network_gw"] * factor[scaled]
        power.loc[scaled, "version_drawn"] = version
    return power


def fleet_presets(miner_efficiency: pd.DataFrame) -> pd.DataFrame:
    """One preset per machine generation of CCAF's list (`fleet_class`): the median efficiency
    of its models, with the range and the models. Columns: fleet_class, j_per_th, j_per_th_min,
    j_per_th_max, models."""
    classed = miner_efficiency.dropna(subset=["fleet_class"])
    presets = classed.groupby("fleet_class").agg(
        j_per_th=("j_per_th", "median"), j_per_th_min=("j_per_th", "min"), j_per_th_max=("j_per_th", "max"), models=("model", list)
    )
    return presets.reset_index()


def efficiency_range(miner_efficiency: pd.DataFrame) -> tuple[float, float] | None:
    """The span of fleet efficiencies (J/TH) a reader may assume: from the best to the worst
    machine in CCAF's list (None when the list is empty)."""
    if miner_efficiency.empty:
        return None
    values = miner_efficiency["j_per_th"].astype("float64")
    return float(values.min()), float(values.max())


def efficiency_bounds(months: pd.Series, miner_efficiency: pd.DataFrame) -> pd.DataFrame:
    """The fleet-efficiency range of each month, in J/TH, from CCAF's hardware list.

    Low: the most efficient machine CCAF lists as released by that month (no fleet can do
    better). High: a fleet made only of S9-era machines (the median of the `s9_era` class), the
    oldest generation the reporting says was moved ("old S9s"). Unknown (NaN) where the list has
    no such machine.
    """
    released = miner_efficiency["released"].str.slice(0, 7).to_numpy()
    efficiency = miner_efficiency["j_per_th"].astype("float64").to_numpy()
    low = [efficiency[released <= month].min() if (released <= month).any() else float("nan") for month in months]
    presets = fleet_presets(miner_efficiency).set_index("fleet_class")["j_per_th"]
    high = float(presets["s9_era"]) if "s9_era" in presets else float("nan")
    return pd.DataFrame({"month": list(months), "j_per_th_low": low, "j_per_th_high": high})


def measurement_gap_months(hashrate_share: pd.DataFrame) -> list[str]:
    """Months in which a share is flagged `measurement_gap` (China's 0% of Jul-Aug 2021): the
    other countries' shares, and so their loads, are overstated in those months."""
    return sorted(set(hashrate_share.loc[hashrate_share["flag"] == "measurement_gap", "month"]))


def country_mining_load(
    hashrate_share: pd.DataFrame,
    cbeci_power: pd.DataFrame,
    cbeci_annual: pd.DataFrame | None = None,
    miner_efficiency: pd.DataFrame | None = None,
    version: str = "v1",
    efficiency: float | None = None,
    pue: float = 1.0,
    shares: tuple[tuple[str, str, float], ...] = (),
) -> pd.DataFrame:
    """Estimated mining load per country and month, in GW, with a fleet-efficiency range.

    Default model (`efficiency` None, `pue` 1): the country's share of hashrate × CBECI's
    network power. The calculator: the country's hashrate (EH/s) × `efficiency` (J/TH) × `pue`;
    with no `efficiency`, CBECI's own power × `pue`. Range: the country's hashrate × the month's
    fleet-efficiency bounds × `pue`. 1 EH/s at 1 J/TH is 1 MW. `cbeci_j_per_th` is CBECI's
    implied efficiency (network power ÷ network hashrate); `default_gw` is the default model,
    kept for comparison.

    `shares`: the reader's (ISO-3, month, percent), each replacing the country's CBECI share that
    month (or adding it): its hashrate is then that share of the month's network hashrate (the
    sum of CBECI's country hashrates), and `share_set_by_reader` is True. `default_gw` stays
    CBECI's share × network power (unknown for a country CBECI does not list that month).
    """
    power = monthly_network_power(cbeci_power, cbeci_annual, version)
    network_ehs = hashrate_share.groupby("month")["hashrate_ehs"].sum().rename("network_ehs").reset_index()
    hashrate_share = with_readers_shares(hashrate_share, network_ehs, shares)
    merged = hashrate_share.merge(power, on="month", how="inner").merge(network_ehs, on="month", how="left")
    hardware = miner_efficiency if miner_efficiency is not None else pd.DataFrame({"model": [], "released": [], "j_per_th": [], "fleet_class": []})
    bounds = efficiency_bounds(power["month"], hardware)
    merged = merged.merge(bounds.astype({"month": str}), on="month", how="left")
    gaps = measurement_gap_months(hashrate_share)
    fraction = merged["share_pct"] / 100
    ehs = merged["hashrate_ehs"].astype("float64")
    default_gw = merged["cbeci_share_pct"].astype("float64") / 100 * merged["network_gw"]
    load_gw = fraction * merged["network_gw"] * pue if efficiency is None else ehs * efficiency * pue / MW_PER_GW
    cbeci_j_per_th = merged["network_gw"] * MW_PER_GW / merged["network_ehs"]
    return pd.DataFrame(
        {
            "month": merged["month"],
            "iso3": merged["iso3"],
            "share_pct": merged["share_pct"],
            "share_set_by_reader": merged["share_set_by_reader"],
            "cbeci_share_pct": merged["cbeci_share_pct"],
            "hashrate_ehs": merged["hashrate_ehs"],
            "flag": merged["flag"],
            "gap_month": merged["month"].isin(gaps),
            "version_drawn": merged["version_drawn"],
            "cbeci_j_per_th": cbeci_j_per_th,
            "j_per_th": cbeci_j_per_th if efficiency is None else efficiency,
            "pue": pue,
            "j_per_th_low": merged["j_per_th_low"],
            "j_per_th_high": merged["j_per_th_high"],
            "load_gw": load_gw,
            "load_gw_low": ehs * merged["j_per_th_low"] * pue / MW_PER_GW,
            "load_gw_high": ehs * merged["j_per_th_high"] * pue / MW_PER_GW,
            "default_gw": default_gw,
        }
    )


def with_readers_shares(hashrate_share: pd.DataFrame, network_ehs: pd.DataFrame, shares: tuple[tuple[str, str, float], ...]) -> pd.DataFrame:
    """`hashrate_share` with the reader's shares in place of CBECI's (a row added where CBECI lists
    none), hashrate = share × the month's network hashrate; `cbeci_share_pct` keeps CBECI's."""
    table = hashrate_share.assign(cbeci_share_pct=hashrate_share["share_pct"], share_set_by_reader=False)
    if not shares:
        return table
    network = network_ehs.set_index("month")["network_ehs"]
    readers = pd.DataFrame(list(shares), columns=["iso3", "month", "share_pct"])
    readers = readers[readers["month"].isin(network.index)]
    readers = readers.assign(hashrate_ehs=readers["share_pct"] / 100 * readers["month"].map(network), share_set_by_reader=True)
    kept = table.merge(readers[["iso3", "month"]], on=["iso3", "month"], how="left", indicator=True)
    replaced = kept["_merge"] == "both"
    readers = readers.merge(table.loc[replaced.to_numpy(), ["iso3", "month", "cbeci_share_pct", "flag"]], on=["iso3", "month"], how="left")
    return pd.concat([table.loc[~replaced.to_numpy()], readers], ignore_index=True).sort_values(["month", "iso3"]).reset_index(drop=True)


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


def describe_assumptions(efficiency: float | None, pue: float, shares: tuple[tuple[str, str, float], ...] = ()) -> str:
    """The calculator's formula with the reader's values, e.g. 'Load (GW) = hashrate (EH/s) ×
    34 J/TH × overhead 1.1 ÷ 1000', and the hashrate shares the reader set."""
    if efficiency is None and pue == 1.0:
        if not shares:
            return "Default model: CBECI's own efficiency (its network power ÷ network hashrate), no added overhead."
        text = "Your assumptions: CBECI's own efficiency (its network power ÷ network hashrate), no added overhead."
    elif efficiency is None:
        text = f"Your assumptions: load (GW) = CBECI's estimate × overhead {pue:g} (CBECI's efficiency already includes its own overhead, so this adds to it)."
    else:
        text = f"Your assumptions: load (GW) = hashrate (EH/s) × {efficiency:g} J/TH × overhead {pue:g} ÷ {MW_PER_GW}."
    if shares:
        listed = "; ".join(f"{iso3} in {month}: {percent:g} %" for iso3, month, percent in shares)
        text += f" Your hashrate shares, in place of CBECI's ({listed}): the country's hashrate = your share × the month's network hashrate."
    return text


def describe_model(cbeci_power: pd.DataFrame, cbeci_annual: pd.DataFrame, miner_efficiency: pd.DataFrame, version: str, efficiency: float | None = None, pue: float = 1.0, shares: tuple[tuple[str, str, float], ...] = ()) -> str:
    """The method in words with the figures of this dataset and the reader's assumptions: the
    version's annual totals and the range's machines, all read from the tables, none typed here."""
    parts = [
        describe_assumptions(efficiency, pue, shares),
        "The default model: the country's share of Bitcoin hashrate (CBECI mining map) × CBECI's "
        f"network power that month (mean of its daily annualised TWh ÷ {TWH_PER_GW_YEAR:g}).",
    ]
    factors = version_factors(cbeci_power, cbeci_annual)
    if version == "v1":
        parts.append(f"Network power: {VERSION_LABELS['v1']}, as its daily series.")
    elif factors.empty:
        parts.append(f"No revised annual total in this data: network power stays at the {VERSION_LABELS['v1']} level.")
    else:
        scaled = "; ".join(f"{row.year}: {row.v1_twh:.1f} → {row.revised_twh:.1f} TWh ({row.v1_basis})" for row in factors.itertuples())
        parts.append(f"Network power: {VERSION_LABELS[version]}, the v1 daily shape scaled to the revised annual totals ({scaled}); other years stay at the v1 level.")
    presets = fleet_presets(miner_efficiency).set_index("fleet_class")
    if not miner_efficiency.empty:
        best = miner_efficiency.loc[miner_efficiency["j_per_th"].astype("float64").idxmin()]
        upper = f"a fleet of S9-era machines ({presets.loc['s9_era', 'j_per_th']:g} J/TH)" if "s9_era" in presets.index else "unknown (no S9-era machine in the list)"
        parts.append(
            "Range: the country's hashrate (EH/s) × fleet efficiency (J/TH) from CCAF's hardware list, from the most efficient "
            f"machine released by that month (best listed: {best['model']}, {best['j_per_th']:g} J/TH, {best['released'][:7]}) to {upper}; "
            "1 EH/s at 1 J/TH is 1 MW. Cooling and other overhead are left out unless you set them."
        )
    parts.append(
        "It assumes the same efficiency in every country and inherits the VPN/proxy bias of the shares; in CBECI's "
        "measurement-gap months China's share is missing, so every other country's share and load is overstated. "
        "Grid strain = the load over a year as a share of the country's annual electricity demand (Our World in Data)."
    )
    return " ".join(parts)
