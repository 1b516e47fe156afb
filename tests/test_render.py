"""Charts per view: each reduced to the part of the state it draws, cached, and sourced."""

from __future__ import annotations

from dataclasses import replace

from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key, view_sources
from rigflows.state import ViewState


def test_the_sankey_is_reused_when_only_the_month_or_metric_changes(dataset):
    august = ViewState(metric="share", month="2021-08", countries=("KAZ",))
    october = replace(august, month="2021-10", metric="load")
    assert sankey_figure(dataset, sankey_key(august)) is sankey_figure(dataset, sankey_key(october))
    assert map_figure(dataset, map_key(august)) is not map_figure(dataset, map_key(october))


def test_the_machines_map_ignores_the_month_and_the_energy_chart_the_metric(dataset):
    assert map_key(ViewState(month="2021-01")) == map_key(ViewState(month="2021-09"))
    assert energy_key(ViewState(metric="share")) == energy_key(ViewState(metric="strain"))
    assert energy_key(ViewState(month="2021-01")) != energy_key(ViewState(month="2021-09"))


def test_the_sources_panel_lists_exactly_the_sources_of_the_drawn_charts(dataset):
    state = ViewState(metric="strain", month="2021-10", countries=("KAZ",))
    drawn = {source_id for chart in (map_figure(dataset, map_key(state)), sankey_figure(dataset, sankey_key(state)), energy_figure(dataset, energy_key(state))) for source_id in chart.source_ids}
    listed = set(view_sources(dataset, state)["source_id"])
    assert drawn <= listed
    originals = set(dataset.sources.set_index("source_id").loc[sorted(drawn), "original_id"].dropna())
    assert listed == drawn | originals
    assert "owid_energy_2022" in listed  # strain is computed against OWID demand


def test_an_empty_selection_draws_a_message_and_cites_nothing(dataset):
    nothing = ViewState(countries=("KAZ",), firms=("Bitmain",))
    chart = sankey_figure(dataset, sankey_key(nothing))
    assert chart.source_ids == ()
    assert "No reported flows" in chart.figure["layout"]["annotations"][0]["text"]


def test_a_country_keeps_its_energy_colour_whatever_else_is_selected(dataset):
    def colour_of(state, country):
        figure = energy_figure(dataset, energy_key(state)).figure
        return next(trace["line"]["color"] for trace in figure["data"] if trace.get("name") == f"{country} (model estimate)")

    assert colour_of(ViewState(), "Kazakhstan") == colour_of(ViewState(countries=("KAZ",)), "Kazakhstan") == colour_of(ViewState(countries=("IRN", "KAZ")), "Kazakhstan")
