"""The mining-load model: share × network power, and strain against national demand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rigflows.models import TWH_PER_GW_YEAR, country_mining_load, grid_strain, monthly_network_power, version_factors


def _power(days: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"date": day, "twh_lower": lo, "twh_estimate": mid, "twh_upper": hi, "source_id": "s"} for day, (lo, mid, hi) in days.items()])


def _hardware(rows: list[tuple[str, str, float, str | None]]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "released": r, "j_per_th": e, "ccaf_qty": pd.NA, "fleet_class": c, "source_id": "s"} for m, r, e, c in rows])


HARDWARE = _hardware([("S9 13.5", "2017-09-01", 98.0, "s9_era"), ("S9 13", "2017-07-01", 100.0, "s9_era"), ("S9 14", "2017-11-01", 98.0, "s9_era"), ("S17", "2019-04-01", 39.5, None), ("S19 Pro", "2020-05-01", 29.55, "s19_era"), ("S19", "2020-05-01", 34.21, "s19_era")])


def test_network_power_is_the_monthly_mean_of_annualised_twh_in_gw():
    power = monthly_network_power(_power({"2021-08-01": (40.0, 87.6, 200.0), "2021-08-02": (60.0, 87.6, 240.0), "2021-09-01": (8.76, 17.52, 26.28)}))
    assert power.set_index("month").loc["2021-08", "network_gw"] == pytest.approx(10.0)
    assert power.set_index("month").loc["2021-09", "network_gw"] == pytest.approx(2.0)


def test_country_load_is_share_times_network_power_with_a_fleet_efficiency_range():
    shares = pd.DataFrame({"month": ["2021-08", "2021-08"], "iso3": ["KAZ", "USA"], "share_pct": [18.1, 35.4], "hashrate_ehs": [21.85, 42.74], "flag": [pd.NA, pd.NA]})
    load = country_mining_load(shares, _power({"2021-08-01": (43.8, 87.6, 175.2)}), miner_efficiency=HARDWARE).set_index("iso3")
    assert load.loc["KAZ", "load_gw"] == pytest.approx(1.81)  # 18.1% of 87.6 TWh / 8.76 = 10 GW
    # Range by hand: 21.85 EH/s × 29.55 J/TH = 645.7 MW (best machine by Aug 2021: the S19 Pro);
    # 21.85 EH/s × 98 J/TH = 2141.3 MW (median of the three S9 rows: 98, 98, 100).
    assert load.loc["KAZ", "load_gw_low"] == pytest.approx(0.6457, abs=1e-4)
    assert load.loc["KAZ", "load_gw_high"] == pytest.approx(2.1413, abs=1e-4)
    # CBECI's implied efficiency: 10 GW over 21.85 + 42.74 = 64.59 EH/s = 154.8 J/TH.
    assert load.loc["USA", "cbeci_j_per_th"] == pytest.approx(10_000 / 64.59)


def test_the_lower_bound_is_the_best_machine_released_by_that_month():
    shares = pd.DataFrame({"month": ["2019-09", "2020-05"], "iso3": ["KAZ", "KAZ"], "share_pct": [1.42, 5.2], "hashrate_ehs": [1.0, 1.0], "flag": [pd.NA, pd.NA]})
    power = _power({"2019-09-01": (1, 8.76, 9), "2020-05-01": (1, 8.76, 9)})
    load = country_mining_load(shares, power, miner_efficiency=HARDWARE).set_index("month")
    assert load.loc["2019-09", "j_per_th_low"] == 39.5  # the S19s came out in May 2020
    assert load.loc["2020-05", "j_per_th_low"] == 29.55
    assert (load["j_per_th_high"] == 98.0).all()


def test_without_a_hardware_list_the_range_is_unknown_not_zero():
    shares = pd.DataFrame({"month": ["2021-08"], "iso3": ["KAZ"], "share_pct": [18.1], "hashrate_ehs": [21.85], "flag": [pd.NA]})
    load = country_mining_load(shares, _power({"2021-08-01": (1, 87.6, 200)}), miner_efficiency=HARDWARE.iloc[0:0])
    assert load["load_gw"].iloc[0] == pytest.approx(1.81)
    assert math.isnan(load["load_gw_low"].iloc[0]) and math.isnan(load["load_gw_high"].iloc[0])


def test_bundled_presets_are_ccafs_s9_and_s19_machines(dataset):
    """CCAF's list: S9 bins at 98-100 J/TH (0.098-0.1 J/GH); S19 Pro 29.55 and S19 34.21 J/TH."""
    from rigflows.models import fleet_presets

    presets = fleet_presets(dataset.miner_efficiency).set_index("fleet_class")
    assert presets.loc["s9_era", "j_per_th"] == 98.0 and presets.loc["s9_era", "j_per_th_max"] == 100.0
    assert (presets.loc["s19_era", "j_per_th_min"], presets.loc["s19_era", "j_per_th_max"]) == (29.55, 34.21)
    assert len(dataset.miner_efficiency) == 84 and not dataset.miner_efficiency["model"].str.contains("CPU|GPU|FPGA").any()


def test_bundled_kazakhstan_range_no_longer_reaches_the_v1_upper_bound(dataset):
    """Oct 2021, by hand from hashrate_share.csv: 27.31 EH/s × 29.55 J/TH = 807 MW; × 98 J/TH
    = 2,676 MW; against 113.60 TWh (OWID 2021): 2.676 × 8.76 / 113.60 = 20.6% at most, not v1's
    58-61%."""
    from rigflows.select import mining_load

    row = mining_load(dataset).set_index(["iso3", "month"]).loc[("KAZ", "2021-10")]
    assert row["load_gw_low"] == pytest.approx(0.807, abs=0.001)
    assert row["load_gw_high"] == pytest.approx(2.676, abs=0.001)
    assert row["strain_pct_high"] == pytest.approx(20.6, abs=0.1)
    assert row["load_gw_low"] < row["load_gw"] < row["load_gw_high"]


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
    annual = pd.DataFrame({"year": [2021, 2023], "model_version": ["revised_2023", "revised_2023"], "twh": [70.08, 50.0], "source_ids": [("s",), ("s",)], "note": [pd.NA, pd.NA]})
    assert version_factors(daily, annual).empty  # 2021: one day of the series and no v1 total; 2023: no data
    annual.loc[2] = [2021, "v1", 87.6, "s", pd.NA]
    factors = version_factors(daily, annual).set_index("year")
    assert factors.loc[2021, "factor"] == pytest.approx(70.08 / 87.6)


def test_bundled_cbeci_estimate_lies_inside_the_hardware_range_every_month(dataset):
    """CBECI's implied efficiency (50-98 J/TH at v1) sits between the best listed machine and a
    fleet of S9s (98 J/TH) in every month, at both versions."""
    from rigflows.select import mining_load

    for version in ("v1", "revised_2023"):
        load = mining_load(dataset, version)
        assert (load["j_per_th_low"] <= load["cbeci_j_per_th"]).all() and (load["cbeci_j_per_th"] <= load["j_per_th_high"]).all()
