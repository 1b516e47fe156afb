"""apply(event, state): each of the reader's actions on hand-worked states."""

from __future__ import annotations

import pytest

from rigflows.actions import ClickCountry, ClickFirm, OpenLink, Reset, SetFilters, SetMetric, SetMonth, SetToggles, Tick, apply
from rigflows.state import ViewState, Vocabulary

VOCAB = Vocabulary(months=("2021-07", "2021-08", "2021-09"), countries=frozenset({"KAZ", "RUS", "USA"}), firms=frozenset({"BitRiver", "Bit Cluster"}))
BUSY = ViewState(metric="share", month="2021-09", countries=("KAZ",), firms=("BitRiver",), show_farms=True, show_remainders=False)


def test_reset_gives_the_default_view_whatever_was_selected():
    # The vocabulary's default month is its latest month (a rule of the data layer).
    assert apply(Reset(), BUSY, VOCAB) == ViewState(metric="machines", month="2021-09", countries=(), firms=(), show_farms=False, show_remainders=True)


def test_a_link_replaces_the_whole_view():
    linked = ViewState(metric="load", month="2021-07", countries=("USA",))
    assert apply(OpenLink(linked), BUSY, VOCAB) == linked


def test_a_country_click_adds_it_after_the_others_and_a_second_click_removes_it():
    added = apply(ClickCountry("RUS"), BUSY, VOCAB)
    assert added.countries == ("KAZ", "RUS")
    assert (added.metric, added.month, added.firms) == ("share", "2021-09", ("BitRiver",))
    assert apply(ClickCountry("KAZ"), added, VOCAB).countries == ("RUS",)


def test_a_click_on_something_not_in_the_data_changes_nothing():
    assert apply(ClickCountry("ATA"), BUSY, VOCAB) is BUSY
    assert apply(ClickFirm("Bitmain"), BUSY, VOCAB) is BUSY


def test_a_firm_click_toggles_the_firm():
    assert apply(ClickFirm("Bit Cluster"), BUSY, VOCAB).firms == ("BitRiver", "Bit Cluster")
    assert apply(ClickFirm("BitRiver"), BUSY, VOCAB).firms == ()


@pytest.mark.parametrize(("month", "after"), [("2021-07", "2021-08"), ("2021-08", "2021-09"), ("2021-09", "2021-07")])
def test_play_steps_to_the_next_month_and_wraps_after_the_last(month, after):
    assert apply(Tick(), ViewState(month=month), VOCAB).month == after


def test_metric_and_month_change_only_themselves_and_refuse_unknown_values():
    assert apply(SetMetric("strain"), BUSY, VOCAB) == ViewState(metric="strain", month="2021-09", countries=("KAZ",), firms=("BitRiver",), show_farms=True, show_remainders=False)
    assert apply(SetMonth("2021-07"), BUSY, VOCAB).month == "2021-07"
    assert apply(SetMetric("hashrate"), BUSY, VOCAB) is BUSY
    assert apply(SetMonth("2031-01"), BUSY, VOCAB) is BUSY


def test_the_dropdowns_set_both_filters():
    assert apply(SetFilters(("USA", "RUS"), ()), BUSY, VOCAB).countries == ("USA", "RUS")
    assert apply(SetFilters(("USA", "RUS"), ()), BUSY, VOCAB).firms == ()


def test_turning_the_energy_overlay_on_switches_the_map_to_strain_once():
    machines = ViewState()
    on = apply(SetToggles(frozenset({"show_farms", "show_remainders"})), machines, VOCAB)
    assert (on.metric, on.show_farms) == ("strain", True)
    # Already on: the reader's later choice of metric stands.
    share = ViewState(metric="share", show_farms=True)
    kept = apply(SetToggles(frozenset({"show_farms"})), share, VOCAB)
    assert (kept.metric, kept.show_farms, kept.show_remainders) == ("share", True, False)
    off = apply(SetToggles(frozenset({"show_remainders"})), on, VOCAB)
    assert (off.metric, off.show_farms, off.show_remainders) == ("strain", False, True)


def test_the_calculator_sets_the_model_and_keeps_the_filters():
    from rigflows.actions import SetModel

    model = ViewState(efficiency=34.0, pue=1.1, shares=(("KAZ", "2021-08", 18.0),))
    after = apply(SetModel(model), BUSY, VOCAB)
    assert (after.efficiency, after.pue, after.shares) == (34.0, 1.1, (("KAZ", "2021-08", 18.0),))
    assert (after.countries, after.firms, after.metric) == (BUSY.countries, BUSY.firms, BUSY.metric)
    # Reset drops the reader's assumptions with the filters.
    assert apply(Reset(), after, VOCAB).is_default_model
