"""What the views say about the load model: its version, and the measurement-gap months.

Gap months come from `hashrate_share.flag`; the bundled data flags China's 0% of July and
August 2021 (CBECI; DATA-SOURCES.md §6 item 5), so those are the months these tests expect.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import edit_table
from rigflows.dataset import load_dataset
from rigflows.figures.energy import build_energy_figure
from rigflows.render import energy_figure, energy_key
from rigflows.select import energy_series, export_table, grid_events, map_rows, reported_loads
from rigflows.state import ViewState


def _energy(dataset, state: ViewState):
    import plotly.graph_objects as go

    return go.Figure(energy_figure(dataset, energy_key(state)).figure)


@pytest.mark.parametrize("metric", ["share", "load", "strain"])
def test_every_country_is_flagged_in_a_gap_month_and_not_after(dataset, metric):
    august = map_rows(dataset, ViewState(metric=metric, month="2021-08")).set_index("iso3")
    assert (august["status"] == "flagged").all()
    assert any("measurement-gap month" in line for line in august.loc["KAZ", "details"])
    october = map_rows(dataset, ViewState(metric=metric, month="2021-10")).set_index("iso3")
    assert october.loc["KAZ", "status"] != "flagged"
    assert not any("measurement-gap" in line for line in october.loc["KAZ", "details"])


def test_the_csv_carries_a_gap_column(dataset):
    august = export_table(dataset, ViewState(metric="load", month="2021-08"))
    assert august.loc[august["view"] == "map", "measurement_gap_month"].all()
    assert not august.loc[august["view"] == "sankey", "measurement_gap_month"].any()
    assert not export_table(dataset, ViewState(metric="load", month="2021-10"))["measurement_gap_month"].any()


def test_the_energy_chart_shades_the_gap_months_and_says_so_in_the_hover(dataset):
    figure = _energy(dataset, ViewState(countries=("KAZ",)))
    bands = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert [(pd.Timestamp(band.x0), pd.Timestamp(band.x1)) for band in bands] == [(pd.Timestamp("2021-07-01"), pd.Timestamp("2021-09-01"))]
    line = next(trace for trace in figure.data if trace.name == "Kazakhstan (model estimate)")
    hovers = dict(zip([pd.Timestamp(x).strftime("%Y-%m") for x in line.x], line.customdata))
    assert "measurement-gap" in hovers["2021-08"] and "measurement-gap" not in hovers["2021-10"]


def test_gap_months_follow_the_data_not_the_code(data_copy):
    """Flag China's September 2021 share too: September becomes a gap month on every view."""
    edit_table(data_copy, "hashrate_share", lambda frame: frame.assign(flag=frame["flag"].mask((frame["iso3"] == "CHN") & (frame["month"] == "2021-09"), "measurement_gap")))
    edited = load_dataset(data_copy)
    assert (map_rows(edited, ViewState(metric="load", month="2021-09"))["status"] == "flagged").all()
    state = ViewState(countries=("KAZ",), month="2021-10")
    series = energy_series(edited, state)
    figure = build_energy_figure(series, reported_loads(edited, state), grid_events(edited, state), state)
    bands = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    assert [(pd.Timestamp(band.x0), pd.Timestamp(band.x1)) for band in bands] == [(pd.Timestamp("2021-07-01"), pd.Timestamp("2021-10-01"))]


@pytest.mark.parametrize(("query_version", "expected"), [("revised_2023", "CBECI 2023 revision, Jan 2021 – Jan 2022; CBECI v1 (pre-2023 model), Sep 2019 – Dec 2020"), ("v1", "CBECI v1 (pre-2023 model), Sep 2019 – Jan 2022")])
def test_the_energy_chart_and_map_say_which_cbeci_version_is_drawn(dataset, query_version, expected):
    figure = _energy(dataset, ViewState(cbeci=query_version))
    assert any(expected in annotation.text.replace("<br>", " ") for annotation in figure.layout.annotations)  # wrapped for the width
    details = map_rows(dataset, ViewState(metric="load", month="2021-10", cbeci=query_version)).set_index("iso3").loc["KAZ", "details"]
    assert ("Network power: CBECI 2023 revision" in details) == (query_version == "revised_2023")


@pytest.mark.parametrize("emptied", [("cbeci_annual",), ("miner_efficiency",), ("cbeci_annual", "miner_efficiency")])
def test_model_tables_may_be_empty_and_every_model_view_still_draws(data_copy, emptied):
    """No revised totals: the v1 level, said so. No hardware list: no range and no calculator
    efficiency (refused with a notice), never a crash."""
    from rigflows.render import map_figure, map_key
    from rigflows.select import method_text, vocabulary
    from rigflows.state import parse_query

    for name in emptied:
        edit_table(data_copy, name, lambda frame: frame.iloc[0:0])
    edited = load_dataset(data_copy)
    state, notices = parse_query("?metric=strain&country=KAZ&eff=34&pue=1.2", vocabulary(edited))
    assert (state.efficiency is None and len(notices) == 1) if "miner_efficiency" in emptied else (state.efficiency == 34.0 and notices == [])
    for view in (state, ViewState(metric="load"), ViewState(metric="load", cbeci="v1")):
        assert map_figure(edited, map_key(view)).figure["data"]
        figure = _energy(edited, view)
        assert [trace for trace in figure.data if trace.name and "Kazakhstan (" in trace.name]
        assert not export_table(edited, view).empty
    if "cbeci_annual" in emptied:
        assert "No revised annual total" in method_text(edited, ViewState())
        assert any("CBECI v1 (pre-2023 model), Sep 2019 – Jan 2022" in annotation.text for annotation in _energy(edited, ViewState()).layout.annotations)
