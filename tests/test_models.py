"""The mining-load model: share × network power, and strain against national demand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rigflows.models import TWH_PER_GW_YEAR, country_mining_load, grid_strain, monthly_network_power, version_factors


def _power(days: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"date": day, "twh_lower": lo, "twh_estimate": mid, "twh_upper": hi, "source_id": "s"} for day, (lo, mid, hi) in days.items()])


def test_network_power_is_the_monthly_mean_of_annualised_twh_in_gw():
    power = monthly_network_power(_power({"2021-08-01": (40.0, 87.6, 200.0), "2021-08-02": (60.0, 87.6, 240.0), "2021-09-01": (8.76, 17.52, 26.28)}))
    august = power.set_index("month").loc["2021-08"]
    assert august["network_gw"] == pytest.approx(10.0)
    assert august["network_gw_lower"] == pytest.approx(50.0 / 8.76)
    assert power.set_index("month").loc["2021-09", "network_gw_upper"] == pytest.approx(3.0)


def test_country_load_is_share_times_network_power_with_bounds():
    shares = pd.DataFrame({"month": ["2021-08", "2021-08"], "iso3": ["KAZ", "USA"], "share_pct": [18.1, 35.4], "flag": [pd.NA, pd.NA]})
    load = country_mining_load(shares, _power({"2021-08-01": (43.8, 87.6, 175.2)})).set_index("iso3")
    assert load.loc["KAZ", "load_gw"] == pytest.approx(1.81)
    assert load.loc["USA", "load_gw_low"] == pytest.approx(1.77)
    assert load.loc["USA", "load_gw_high"] == pytest.approx(7.08)


def test_strain_uses_the_same_year_or_the_latest_earlier_one_and_never_invents_demand():
    load = pd.DataFrame({"month": ["2021-10", "2022-01", "2021-10"], "iso3": ["KAZ", "KAZ", "IRN"], "share_pct": [1, 1, 1], "flag": [pd.NA] * 3, "load_gw": [2.0, 1.0, 0.5], "load_gw_low": [1.0, 0.5, 0.2], "load_gw_high": [4.0, 2.0, 1.0]})
    electricity = pd.DataFrame({"iso3": ["KAZ", "KAZ", "IRN"], "year": [2020, 2021, 2021], "demand_twh": [100.0, 113.6, pd.NA]})
    strain = grid_strain(load, electricity).set_index(["iso3", "month"])
    assert strain.loc[("KAZ", "2021-10"), "strain_pct"] == pytest.approx(2.0 * TWH_PER_GW_YEAR / 113.6 * 100)
    assert strain.loc[("KAZ", "2022-01"), "demand_year"] == 2021
    assert math.isnan(strain.loc[("IRN", "2021-10"), "strain_pct"])


def test_bundled_kazakhstan_peak_matches_the_research_estimate_at_cbeci_v1(dataset):
    """The research notes derived about 2.16 GW and 16.6% of 2021 demand for Oct 2021 (v1)."""
    from rigflows.select import mining_load

    row = mining_load(dataset, "v1").set_index(["iso3", "month"]).loc[("KAZ", "2021-10")]
    assert row["load_gw"] == pytest.approx(2.16, abs=0.01)
    assert row["strain_pct"] == pytest.approx(16.6, abs=0.1)
    assert row["version_drawn"] == "v1"


# --- CBECI versions -------------------------------------------------------------------------


def test_bundled_annual_totals_are_the_published_ones(dataset):
    """Decrypt (CCAF's revision report): 2021 104 -> 89.0 TWh, 2022 105.3 -> 95.5 TWh."""
    totals = dataset.cbeci_annual.set_index(["year", "model_version"])["twh"]
    assert totals[(2021, "v1")] == 104 and totals[(2021, "revised_2023")] == 89.0
    assert totals[(2022, "v1")] == 105.3 and totals[(2022, "revised_2023")] == 95.5


def test_revised_level_keeps_the_v1_shape_and_averages_the_revised_total(dataset):
    power = monthly_network_power(dataset.cbeci_power, dataset.cbeci_annual, "revised_2023").set_index("month")
    v1 = monthly_network_power(dataset.cbeci_power).set_index("month")
    months_2021 = [month for month in power.index if month.startswith("2021")]
    days = pd.Series({month: pd.Period(month).days_in_month for month in months_2021})
    # A whole year of the daily series: its day-weighted mean, annualised, is the revised 89.0 TWh.
    assert (power.loc[months_2021, "network_gw"] * days).sum() / days.sum() * TWH_PER_GW_YEAR == pytest.approx(89.0)
    # 2022 has only January in the series: scaled by the published totals, 95.5 / 105.3.
    assert power.loc["2022-01", "network_gw"] == pytest.approx(v1.loc["2022-01", "network_gw"] * 95.5 / 105.3)
    # Every 2021 month keeps v1's shape: one factor for the year.
    ratio = power.loc[months_2021, "network_gw"] / v1.loc[months_2021, "network_gw"]
    assert ratio.max() == pytest.approx(ratio.min())
    # No revised total before 2021: those months stay at v1 and say so.
    assert power.loc["2020-12", "network_gw"] == v1.loc["2020-12", "network_gw"]
    assert power.loc["2020-12", "version_drawn"] == "v1" and power.loc["2021-01", "version_drawn"] == "revised_2023"


def test_a_year_with_no_revised_total_or_v1_figure_gets_no_factor():
    daily = _power({"2021-08-01": (1.0, 87.6, 200.0)})
    annual = pd.DataFrame({"year": [2021, 2023], "model_version": ["revised_2023", "revised_2023"], "twh": [70.08, 50.0], "source_ids": ["s", "s"], "note": [pd.NA, pd.NA]})
    assert version_factors(daily, annual).empty  # 2021: one day of the series and no v1 total; 2023: no data
    annual.loc[2] = [2021, "v1", 87.6, "s", pd.NA]
    factors = version_factors(daily, annual).set_index("year")
    assert factors.loc[2021, "factor"] == pytest.approx(70.08 / 87.6)
