"""The mining-load model: share × network power, and strain against national demand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rigflows.models import TWH_PER_GW_YEAR, country_mining_load, grid_strain, monthly_network_power


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


def test_bundled_kazakhstan_peak_matches_the_research_estimate(dataset):
    """The research notes derived about 2.16 GW and 16.6% of 2021 demand for Oct 2021."""
    from rigflows.select import mining_load

    row = mining_load(dataset).set_index(["iso3", "month"]).loc[("KAZ", "2021-10")]
    assert row["load_gw"] == pytest.approx(2.16, abs=0.01)
    assert row["strain_pct"] == pytest.approx(16.6, abs=0.1)
    assert row["load_gw_low"] < row["load_gw"] < row["load_gw_high"]
