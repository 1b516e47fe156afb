"""The grid-strain calculator: load = hashrate (EH/s) × fleet efficiency (J/TH) × overhead (PUE).

Hand-worked from the bundled CSVs: hashrate_share.csv gives Kazakhstan 21.85 EH/s in Aug 2021
(18.10%); electricity.csv gives Kazakhstan's 2021 demand as 113.6 TWh (OWID). 1 EH/s at 1 J/TH
is 1 MW; a year of 1 GW is 8.76 TWh.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
import pytest

from conftest import DATA_DIR
from rigflows.figures.energy import build_energy_figure
from rigflows.select import energy_series, grid_events, method_text, mining_load, reported_loads, vocabulary
from rigflows.state import ViewState, parse_query


def _energy(dataset, state: ViewState) -> go.Figure:
    return build_energy_figure(energy_series(dataset, state), reported_loads(dataset, state), grid_events(dataset, state), state, method=method_text(dataset, state))


def _kazakhstan_august(load: pd.DataFrame) -> pd.Series:
    return load.set_index(["iso3", "month"]).loc[("KAZ", "2021-08")]


def test_kazakhstan_august_2021_with_an_s19_era_fleet_and_overhead(dataset):
    # 21.85 EH/s × 34 J/TH = 742.9 MW; × 1.1 = 817.19 MW = 0.81719 GW.
    # Strain: 0.81719 GW × 8.76 = 7.1586 TWh a year; ÷ 113.6 TWh = 6.3016 %.
    row = _kazakhstan_august(mining_load(dataset, "revised_2023", 34.0, 1.1))
    assert row["load_gw"] == pytest.approx(0.81719, abs=1e-5)
    assert row["strain_pct"] == pytest.approx(6.3016, abs=1e-3)


def test_kazakhstan_august_2021_with_an_s9_fleet_and_no_overhead(dataset):
    # 21.85 EH/s × 98 J/TH = 2,141.3 MW = 2.1413 GW; × 8.76 = 18.758 TWh; ÷ 113.6 = 16.512 %.
    row = _kazakhstan_august(mining_load(dataset, "revised_2023", 98.0, 1.0))
    assert row["load_gw"] == pytest.approx(2.1413, abs=1e-4)
    assert row["strain_pct"] == pytest.approx(16.512, abs=1e-3)
    # The range scales with the overhead, the efficiency bounds do not move: 21.85 × 29.55 × 1.2.
    assert _kazakhstan_august(mining_load(dataset, "revised_2023", 98.0, 1.2))["load_gw_low"] == pytest.approx(21.85 * 29.55 * 1.2 / 1000)


def test_at_cbecis_own_efficiency_the_calculator_reproduces_the_default_model(dataset):
    """CBECI's implied efficiency for Oct 2021, worked from the raw CSVs: the revised network power
    (v1 daily mean for the month × 89.0 / the v1 2021 daily mean, ÷ 8.76, in MW) over the sum of
    the month's country hashrates."""
    daily = pd.read_csv(DATA_DIR / "cbeci_power.csv")
    shares = pd.read_csv(DATA_DIR / "hashrate_share.csv")
    v1_2021 = daily.loc[daily["date"].str.startswith("2021"), "twh_estimate"].mean()
    october_twh = daily.loc[daily["date"].str.startswith("2021-10"), "twh_estimate"].mean() * 89.0 / v1_2021
    implied = october_twh / 8.76 * 1000 / shares.loc[shares["month"] == "2021-10", "hashrate_ehs"].sum()
    assert 60 < implied < 75  # about 67 J/TH: between an S19 fleet and an S9 fleet

    calculator = mining_load(dataset, "revised_2023", implied, 1.0)
    default = mining_load(dataset)
    october = calculator["month"] == "2021-10"
    # Equal up to the rounding of CBECI's export (shares and EH/s to 2 decimals): at most
    # 0.005% of ~11 GW plus 0.005 EH/s × ~67 J/TH, about 0.0009 GW.
    assert calculator.loc[october, "load_gw"].to_numpy() == pytest.approx(default.loc[october, "load_gw"].to_numpy(), rel=0, abs=1e-3)
    assert (calculator["default_gw"] == default["load_gw"]).all()


def test_assumptions_round_trip_through_the_url(dataset):
    vocab = vocabulary(dataset)
    state, notices = parse_query("?metric=strain&eff=34&pue=1.1", vocab)
    assert notices == [] and (state.efficiency, state.pue) == (34.0, 1.1)
    assert state.to_query(vocab.default_month) == "?metric=strain&eff=34&pue=1.1"
    assert parse_query("", vocab)[0].is_default_model


def test_the_efficiency_range_is_ccafs_hardware_list(dataset):
    """Best and worst machines in CCAF's list: S19 Pro 0.02955 J/GH, Antminer S3 0.76569 J/GH."""
    assert vocabulary(dataset).efficiency_range == (29.55, 765.69)


@pytest.mark.parametrize(
    ("query", "field"),
    [("eff=abc", "eff"), ("eff=-5", "eff"), ("eff=5", "eff"), ("eff=1e9", "eff"), ("eff=nan", "eff"), ("eff=inf", "eff"), ("eff=", "eff"),
     ("pue=2", "pue"), ("pue=0.5", "pue"), ("pue=x", "pue"), ("pue=-inf", "pue"), ("eff=" + "9" * 500, "eff")],
)
def test_nonsense_or_out_of_range_assumptions_are_refused_with_a_notice(dataset, query, field):
    state, notices = parse_query("?metric=load&" + query, vocabulary(dataset))
    assert state.is_default_model and state.metric == "load"
    assert len(notices) == 1 and notices[0].startswith(f"Ignored {field}=")
    assert ("29.55 to 765.69" if field == "eff" else "1 to 1.3") in notices[0]


def test_the_methods_text_shows_the_formula_with_the_readers_values(dataset):
    text = method_text(dataset, ViewState(efficiency=34.0, pue=1.1))
    assert "hashrate (EH/s) × 34 J/TH × overhead 1.1 ÷ 1000" in text
    assert "89.0" in text and "95.5" in text  # the revised totals it is calibrated to, from the data
    assert "Default model" in method_text(dataset, ViewState())


def test_the_energy_chart_keeps_the_default_model_beside_the_readers(dataset):
    state = ViewState(countries=("KAZ",), month="2021-08", efficiency=98.0)
    figure = _energy(dataset, state)
    mine = next(trace for trace in figure.data if trace.name == "Kazakhstan (your assumptions)")
    default = next(trace for trace in figure.data if trace.name == "Kazakhstan (default model)")
    at = {pd.Timestamp(x).strftime("%Y-%m"): index for index, x in enumerate(mine.x)}
    assert mine.y[at["2021-08"]] == pytest.approx(2.1413, abs=1e-4)  # as worked above
    assert default.y[at["2021-08"]] == pytest.approx(_kazakhstan_august(mining_load(dataset))["load_gw"])
    assert default.line.dash == "dot"
    assert any("98 J/TH" in annotation.text for annotation in figure.layout.annotations)
    plain = _energy(dataset, ViewState(countries=("KAZ",), month="2021-08"))
    assert not [trace for trace in plain.data if trace.name and "default model" in trace.name]
    assert not math.isnan(mine.y[at["2021-10"]])


# --- the reader's hashrate share of a country in a month ------------------------------------
# hashrate_share.csv, Aug 2021: USA 42.74, KAZ 21.85, RUS 13.56, CAN 11.54, OTHER 10.69,
# IRL 5.65, MYS 5.54, DEU 5.40, IRN 3.75, CHN 0.00 EH/s: the network is 120.72 EH/s.


def test_a_readers_share_of_kazakhstan_in_august_2021_at_two_efficiencies(dataset):
    # 18 % × 120.72 EH/s = 21.7296 EH/s; × 34 J/TH = 738.8064 MW; × 1.1 = 812.687 MW.
    shares = (("KAZ", "2021-08", 18.0),)
    row = _kazakhstan_august(mining_load(dataset, "revised_2023", 34.0, 1.1, shares))
    assert row["hashrate_ehs"] == pytest.approx(21.7296, abs=1e-6)
    assert row["load_gw"] == pytest.approx(0.812687, abs=1e-6)
    assert row["share_set_by_reader"] and row["cbeci_share_pct"] == 18.1
    # 30 % × 120.72 = 36.216 EH/s; × 98 J/TH = 3,549.168 MW; no overhead.
    row = _kazakhstan_august(mining_load(dataset, "revised_2023", 98.0, 1.0, (("KAZ", "2021-08", 30.0),)))
    assert row["load_gw"] == pytest.approx(3.549168, abs=1e-6)
    # The range follows the reader's hashrate: 36.216 EH/s × the best machine then (29.55 J/TH).
    assert row["load_gw_low"] == pytest.approx(36.216 * 29.55 / 1000, abs=1e-6)


def test_a_readers_share_against_the_default_model(dataset):
    """With CBECI's own efficiency, load = share × network power; the default stays CBECI's share."""
    default = _kazakhstan_august(mining_load(dataset))
    network_gw = default["load_gw"] / 0.181  # CBECI's 18.10 % of the network power
    row = _kazakhstan_august(mining_load(dataset, "revised_2023", None, 1.0, (("KAZ", "2021-08", 36.2),)))
    assert row["load_gw"] == pytest.approx(0.362 * network_gw)
    assert row["default_gw"] == pytest.approx(default["load_gw"])
    # Every other country and month is untouched.
    other = mining_load(dataset, "revised_2023", None, 1.0, (("KAZ", "2021-08", 36.2),))
    untouched = ~((other["iso3"] == "KAZ") & (other["month"] == "2021-08"))
    assert (other.loc[untouched, "load_gw"].to_numpy() == mining_load(dataset).loc[untouched.to_numpy(), "load_gw"].to_numpy()).all()


def test_a_share_for_a_country_cbeci_does_not_list_that_month_adds_it(dataset):
    # Paraguay has no CBECI row; 2 % of Aug 2021's 120.72 EH/s = 2.4144 EH/s × 30 J/TH = 72.432 MW.
    vocab = vocabulary(dataset)
    assert "PRY" in vocab.countries
    load = mining_load(dataset, "revised_2023", 30.0, 1.0, (("PRY", "2021-08", 2.0),)).set_index(["iso3", "month"])
    assert load.loc[("PRY", "2021-08"), "load_gw"] == pytest.approx(0.072432, abs=1e-6)
    assert pd.isna(load.loc[("PRY", "2021-08"), "default_gw"])  # no CBECI share: no default to compare


def test_shares_round_trip_through_the_url_and_change_the_model(dataset):
    vocab = vocabulary(dataset)
    state, notices = parse_query("?metric=load&share=RUS:2021-08:9.5,KAZ:2021-08:18", vocab)
    assert notices == [] and state.shares == (("KAZ", "2021-08", 18.0), ("RUS", "2021-08", 9.5))
    assert not state.is_default_model
    assert state.to_query(vocab.default_month) == "?metric=load&share=KAZ:2021-08:18,RUS:2021-08:9.5"
    assert state.filter_slug() == "_share-KAZ-2021-08-18_share-RUS-2021-08-9.5"


@pytest.mark.parametrize(
    ("share", "why"),
    [
        ("XXX:2021-08:18", "no country 'XXX'"),
        ("KAZ:2030-01:18", "no hashrate data for month '2030-01'"),
        ("KAZ:2021-08:101", "from 0 to 100"),
        ("KAZ:2021-08:-1", "from 0 to 100"),
        ("KAZ:2021-08:abc", "from 0 to 100"),
        ("KAZ:2021-08:nan", "from 0 to 100"),
        ("KAZ:2021-08", "use COUNTRY:YYYY-MM:PERCENT"),
        ("KAZ:2021-08:60,RUS:2021-08:41", "together they make 101 %"),
        ("KAZ:2021-08:10,KAZ:2021-08:12", "already given"),
    ],
)
def test_nonsense_shares_are_refused_with_a_notice(dataset, share, why):
    state, notices = parse_query(f"?metric=load&share={share}", vocabulary(dataset))
    assert why in " ".join(notices)
    # A refused share leaves CBECI's: only the first of a repeated pair stays.
    assert state.shares == ((("KAZ", "2021-08", 10.0),) if "already" in why else ())


def test_the_methods_text_and_the_csv_carry_the_readers_shares(dataset):
    from rigflows.select import export_table

    state = ViewState(metric="load", month="2021-08", countries=("KAZ",), efficiency=34.0, pue=1.1, shares=(("KAZ", "2021-08", 18.0),))
    assert "KAZ in 2021-08: 18 %" in method_text(dataset, state)
    table = export_table(dataset, state)
    map_row = table[(table["view"] == "map") & (table["iso3"] == "KAZ")].iloc[0]
    assert map_row["value"] == pytest.approx(0.812687, abs=1e-6)
    assert "18.00% (your value)" in map_row["notes"]
    energy = table[(table["view"] == "energy model") & (table["month"] == "2021-08")]
    assert energy["notes"].str.contains("KAZ in 2021-08: 18 %").all()
