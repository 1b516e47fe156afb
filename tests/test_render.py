"""Charts per view: each reduced to the part of the state it draws, cached, sourced, and
every month and metric of a filter as frames the page draws without the server."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rigflows.render import (
    apply_diff,
    canonical,
    energy_figure,
    energy_frame,
    energy_frames,
    energy_frames_key,
    energy_texts,
    energy_key,
    figure_diff,
    map_figure,
    map_frames,
    map_frames_key,
    map_key,
    map_source_ids,
    plain,
    sankey_figure,
    sankey_key,
    sources_key,
    view_sources,
)
from rigflows.dataset import load_dataset
from rigflows.state import ViewState
from tests.conftest import edit_table


def test_the_sankey_is_reused_when_only_the_month_or_metric_changes(dataset):
    august = ViewState(metric="share", month="2021-08", countries=("KAZ",))
    october = replace(august, month="2021-10", metric="load")
    assert sankey_figure(dataset, sankey_key(august)) is sankey_figure(dataset, sankey_key(october))
    assert map_figure(dataset, map_key(august)) is not map_figure(dataset, map_key(october))


def test_the_machines_map_ignores_the_month_and_the_energy_chart_the_metric(dataset):
    assert map_key(ViewState(month="2021-01")) == map_key(ViewState(month="2021-09"))
    assert energy_key(ViewState(metric="share")) == energy_key(ViewState(metric="strain"))
    assert energy_key(ViewState(month="2021-01")) != energy_key(ViewState(month="2021-09"))


def test_cache_keys_do_not_depend_on_the_order_filters_were_picked_in():
    picked = ViewState(countries=("RUS", "KAZ"), firms=("BitRiver", "Bit Cluster"))
    assert canonical(picked) == ViewState(countries=("KAZ", "RUS"), firms=("Bit Cluster", "BitRiver"))
    for key_of in (map_key, sankey_key, energy_key, map_frames_key, energy_frames_key, sources_key):
        assert key_of(picked) == key_of(ViewState(countries=("KAZ", "RUS"), firms=("BitRiver", "Bit Cluster")))


def test_a_diff_holds_only_what_changed_and_rebuilds_the_figure():
    base = {"data": [{"z": [1, 2]}, {"text": "a"}], "layout": {"title": "Aug", "geo": {"x": 1}, "shapes": [1]}}
    later = {"data": [{"z": [3, 4]}, {"text": "a"}], "layout": {"title": "Sep", "geo": {"x": 1}}}
    diff = figure_diff(base, later)
    assert diff == {"data": [{"z": [3, 4]}, None], "layout": {"title": "Sep"}, "drop": ["shapes"]}
    assert apply_diff(base, diff) == later
    assert figure_diff(base, base) == {}


#: Filters whose frames must draw what the per-view path draws: a country, two with farms, a
#: firm, a country with no hashrate data (every monthly map empty), the orders layer, and a
#: reader's own load model.
FRAME_FILTERS = (
    ViewState(countries=("KAZ",)),
    ViewState(countries=("KAZ", "RUS"), show_farms=True),
    ViewState(firms=("BitRiver",)),
    ViewState(countries=("VEN",)),
    ViewState(show_orders=True, show_farms=True),
    ViewState(countries=("USA",), efficiency=40.0, pue=1.2),
)


@pytest.mark.parametrize("key", FRAME_FILTERS, ids=lambda key: key.to_query() or "default")
def test_map_frames_draw_every_metric_and_month_exactly_as_the_server_would(dataset, key):
    """Each frame, rebuilt as views.js does, equals the figure the per-view path draws whole
    through plotly for that metric and month (map_figure: its own selection, figure and JSON)."""
    frames = map_frames(dataset, map_frames_key(key)).data
    assert frames["key"] == map_frames_key(key).to_query()
    assert set(frames["groups"]) == {"machines", "share", "load", "strain"}
    assert set(frames["groups"]["share"]["diffs"]) == set(dataset.months)
    months = (dataset.months[0], "2021-05", "2021-10", "2022-01", dataset.months[-1])
    for metric in ("machines", "share", "load", "strain"):
        group = frames["groups"][metric]
        for month in months:
            # The page falls back to the base figure for a month with no diff (views.js), as
            # for the machines map, which has no month.
            drawn = apply_diff(group["base"], group["diffs"].get(month, {}))
            expected = plain(map_figure(dataset, map_key(replace(key, metric=metric, month=month))).figure)
            assert drawn["data"] == expected["data"], (metric, month)
            assert drawn["layout"] == expected["layout"], (metric, month)


def test_a_filter_with_no_monthly_values_says_why_in_every_month(dataset):
    group = map_frames(dataset, map_frames_key(ViewState(countries=("VEN",)))).data["groups"]["share"]
    drawn = apply_diff(group["base"], group["diffs"]["2021-10"])
    assert drawn["data"] == []
    assert drawn["layout"]["annotations"][0]["text"].replace("<br>", " ") == "Nothing to map for this selection (Share of global Bitcoin hashrate (%)). Try another metric or reset the filters."
    assert drawn["layout"]["meta"]["alt"] == "Choropleth map of share of global Bitcoin hashrate (%) by country, Oct 2021: no country has a value for this selection."


def test_an_empty_map_with_no_period_names_no_period(dataset):
    """Filters with nothing in common: no flow, so no period to name (it once read 'by country, :')."""
    alt = map_figure(dataset, map_key(ViewState(countries=("KAZ",), firms=("Bitmain",)))).figure["layout"]["meta"]["alt"]
    assert alt == "Choropleth map of machines relocated from China (reported) by country: no country has a value for this selection."


@pytest.mark.parametrize("key", [ViewState(countries=("KAZ",)), ViewState(), ViewState(countries=("IRN", "RUS"), efficiency=30.0)], ids=lambda key: key.to_query() or "default")
def test_energy_frames_draw_every_month_exactly_as_the_server_would(dataset, key):
    frames, texts = energy_frames(dataset, energy_frames_key(key)).data, energy_texts(dataset, energy_frames_key(key))
    for month in dataset.months:
        # The page shows the month's mark and text on the frame (assets/views.js, showMark, described).
        drawn = energy_frame(frames, texts, month)
        expected = plain(energy_figure(dataset, energy_key(replace(key, month=month))).figure)
        assert drawn["data"] == expected["data"], month
        assert drawn["layout"] == expected["layout"], month


def test_a_month_inside_the_energy_charts_span_changes_only_its_text_alternative(dataset):
    """What keeps a month step cheap in the browser: the frames do not differ (the text comes
    apart, `energy_texts`), and the month's mark is shown by opacity alone (plotly.js then
    redraws no more)."""
    key = energy_frames_key(ViewState(countries=("KAZ",)))
    frames, texts = energy_frames(dataset, key).data, energy_texts(dataset, key)
    assert frames["groups"]["all"]["diffs"]["2021-10"] == {}
    september, october = (energy_frame(frames, texts, month)["layout"] for month in ("2021-09", "2021-10"))
    for part in ("shapes", "annotations"):
        moved = [(before, after) for before, after in zip(september[part], october[part]) if before != after]
        assert [{**before, "opacity": 0} == {**after, "opacity": 0} for before, after in moved] == [True, True]
    shown = [item for item in october["shapes"] + october["annotations"] if item.get("opacity", 1) == 1 and item.get("name", "").startswith("month-mark ")]
    # One line at the middle of Oct 2021 and its label; every other month's mark hidden.
    assert [(item.get("x0"), item.get("text")) for item in shown] == [("2021-10-15T00:00:00", None), (None, "Selected: Oct 2021")]


def test_energy_frames_redraw_a_month_that_widens_the_time_axis(data_copy):
    """A month before every line starts widens the chart's span, which moves more than the
    marker (the event marks' heights, the phone's axis range): that month is drawn whole."""
    def kazakhstan_from_2020_03(frame):
        early = (frame["iso3"] == "KAZ") & (frame["month"] < "2020-03")
        for row in frame[early].itertuples():  # its share goes to "other countries", so months still sum to 100%
            other = (frame["iso3"] == "OTHER") & (frame["month"] == row.month)
            frame.loc[other, "share_pct"] = str(round(float(frame.loc[other, "share_pct"].iloc[0]) + float(row.share_pct), 2))
        return frame[~early]

    edit_table(data_copy, "hashrate_share", kazakhstan_from_2020_03)
    edited = load_dataset(data_copy)
    key = ViewState(countries=("KAZ",))
    frames, texts = energy_frames(edited, energy_frames_key(key)).data, energy_texts(edited, energy_frames_key(key))
    assert frames["groups"]["all"]["diffs"]["2021-10"] != {}  # the base, the first month, is drawn whole
    for month in (edited.months[0], "2020-01", "2020-03", "2021-10"):
        drawn = energy_frame(frames, texts, month)
        expected = plain(energy_figure(edited, energy_key(replace(key, month=month))).figure)
        assert drawn == {"data": expected["data"], "layout": expected["layout"]}, month


def test_the_sources_panel_lists_what_any_month_or_metric_of_the_filter_draws(dataset):
    state = ViewState(metric="strain", month="2021-10", countries=("KAZ",))
    listed = set(view_sources(dataset, sources_key(state))["source_id"])
    for metric in ("machines", "share", "load", "strain"):
        for month in ("2021-08", "2022-01"):
            view = replace(state, metric=metric, month=month)
            assert set(map_figure(dataset, map_key(view)).source_ids) <= listed
    assert set(sankey_figure(dataset, sankey_key(state)).source_ids) <= listed
    assert set(energy_figure(dataset, energy_key(state)).source_ids) <= listed
    assert "owid_energy_2022" in listed  # strain is computed against OWID demand
    # Nothing that no chart draws: each listed source is drawn, or the original of a drawn press copy.
    drawn = set(map_source_ids(dataset, map_frames_key(state))) | set(sankey_figure(dataset, sankey_key(state)).source_ids) | set(energy_figure(dataset, energy_key(state)).source_ids)
    originals = set(dataset.sources.set_index("source_id").loc[sorted(drawn), "original_id"].dropna())
    assert listed == drawn | originals


def test_an_empty_selection_draws_a_message_and_cites_nothing(dataset):
    nothing = ViewState(countries=("KAZ",), firms=("Bitmain",))
    chart = sankey_figure(dataset, sankey_key(nothing))
    assert chart.source_ids == ()
    assert "nothing in common" in chart.figure["layout"]["annotations"][0]["text"]


def test_a_country_keeps_its_energy_colour_whatever_else_is_selected(dataset):
    def colour_of(state, country):
        figure = energy_figure(dataset, energy_key(state)).figure
        return next(trace["line"]["color"] for trace in figure["data"] if trace.get("name") == f"{country} (model estimate)")

    assert colour_of(ViewState(), "Kazakhstan") == colour_of(ViewState(countries=("KAZ",)), "Kazakhstan") == colour_of(ViewState(countries=("IRN", "KAZ")), "Kazakhstan")


def test_the_orders_layer_reaches_the_map_frames(dataset):
    """With ?orders=1 the page's frames draw the order lines the server draws (they once dropped the layer)."""
    key = ViewState(show_orders=True)
    assert map_frames_key(key) != map_frames_key(ViewState())
    group = map_frames(dataset, map_frames_key(key)).data["groups"]["machines"]
    drawn = apply_diff(group["base"], {})
    expected = plain(map_figure(dataset, map_key(replace(key, metric="machines"))).figure)
    assert drawn["data"] == expected["data"]
    assert drawn["data"] != plain(map_figure(dataset, map_key(ViewState())).figure)["data"]


def test_each_frame_carries_the_description_of_its_own_month(dataset):
    # hashrate_share.csv, Sep 2021: United States 27.69, Kazakhstan 17.72, Russian Federation 6.8
    # (% of global hashrate); the page describes the map from the figure it draws (layout.meta).
    group = map_frames(dataset, map_frames_key(ViewState(countries=("KAZ", "RUS", "USA")))).data["groups"]["share"]
    meta = apply_diff(group["base"], group["diffs"]["2021-09"])["layout"]["meta"]
    assert meta["title"] == "Share of global Bitcoin hashrate (%), Sep 2021"
    assert "by country, Sep 2021: United States 27.69%, Kazakhstan 17.72%, Russia 6.80%." in meta["alt"]
    # The energy chart's sentence on the selected month moves with its marker.
    energy = energy_texts(dataset, energy_frames_key(ViewState(countries=("KAZ",))))
    assert "In Oct 2021, the selected month: Kazakhstan " in energy["alts"]["2021-10"]


def test_plain_json_takes_arrays_of_objects_and_missing_values():
    """A column of mixed values (a data directory `check` accepts) reaches a figure as an object
    array: orjson leaves it, and pandas' missing values, to `plain`, which makes them JSON."""
    figure = {"data": [{"customdata": np.array(["a", None, 2.5, float("nan"), pd.NA], dtype=object), "x": np.array([1, 2]), "y": np.float64(0.5)}]}
    assert plain(figure) == {"data": [{"customdata": ["a", None, 2.5, None, None], "x": [1, 2], "y": 0.5}]}
