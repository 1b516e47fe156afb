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
