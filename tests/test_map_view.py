"""The map's view and labels: fitted to what it draws, never across the date line, and the top
destinations' values printed on it, as the data words them, at every metric and month."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rigflows.figures.choropleth import build_choropleth_figure
from rigflows.render import apply_diff, map_figure, map_frames, map_frames_key, map_key
from rigflows.state import ViewState
from tests.test_figures import SHARE, map_table


def geo_of(dataset, state: ViewState) -> dict:
    return map_figure(dataset, map_key(state)).figure["layout"]["geo"]


def labels_of(figure: dict) -> list[str]:
    """The label trace's texts as a reader sees them (tags and line breaks as spaces)."""
    traces = [trace for trace in figure["data"] if trace.get("name") == "Top destinations"]
    return [" ".join(re.sub(r"<[^>]+>", " ", text.replace("<br>", " ")).split()) for trace in traces for text in trace["text"]]


# --- extents: the outlines of plotly's own topojson (assets/topojson/world_110m.json) ---------


def test_a_country_s_extent_is_its_main_parts_on_one_side_of_the_date_line(dataset):
    extents = dataset.geometry.extents
    # Kazakhstan, one polygon: 46.5°E to 87.3°E, 40.6°N to 55.4°N.
    assert tuple(round(value, 1) for value in extents.loc["KAZ"]) == (46.5, 87.3, 40.6, 55.4)
    # Russia runs from the Estonian border (~27°E) to the date line; Chukotka, past it, is left
    # out rather than stretching the view round the world; so is the Kaliningrad exclave.
    russia = extents.loc["RUS"]
    assert 26 < russia["lon0"] < 29 and russia["lon1"] == 180.0
    # The United States: Alaska's west (Cape Prince of Wales, ~168°W) to Maine (~67°W); Hawaii
    # and the Aleutians past the date line are islands too small to stretch it.
    usa = extents.loc["USA"]
    assert round(usa["lon0"]) == -168 and round(usa["lon1"]) == -67 and 24 < usa["lat0"] < 26


def test_a_view_with_north_america_and_russia_spans_the_atlantic(dataset):
    """plotly's fitbounds centred such a map on the Pacific and cut the lines from China in two."""
    geo = geo_of(dataset, ViewState(countries=("CAN", "RUS", "USA")))
    (lon0, lon1), (lat0, lat1) = geo["lonaxis"]["range"], geo["lataxis"]["range"]
    assert -180 <= lon0 < -140 and 170 <= lon1 <= 180  # Alaska to Chukotka's edge, in order
    assert -20 < geo["projection"]["rotation"]["lon"] < 20  # centred near Greenwich
    assert geo["fitbounds"] is False
    assert 10 < lat0 < 30 and lat1 > 80  # from the US south to the Canadian Arctic


def test_kazakhstan_alone_zooms_to_central_asia(dataset):
    for metric in ("share", "load"):
        geo = geo_of(dataset, ViewState(metric=metric, month="2021-10", countries=("KAZ",)))
        (lon0, lon1), (lat0, lat1) = geo["lonaxis"]["range"], geo["lataxis"]["range"]
        assert 35 < lon0 < 47 and 87 < lon1 < 100, metric
        assert 30 < lat0 < 41 and 55 < lat1 < 66, metric
    # The machines map draws the line from China too: its start is in the view.
    geo = geo_of(dataset, ViewState(countries=("KAZ",)))
    assert geo["lonaxis"]["range"][1] > 100


def test_the_default_view_shows_the_destinations_without_the_far_south(dataset):
    geo = geo_of(dataset, ViewState())
    lat0, lat1 = geo["lataxis"]["range"]
    assert -40 < lat0 < -27.5  # Paraguay (27.5°S) is a destination; Antarctica and the Southern Ocean are not
    assert lat1 > 80


def test_the_view_holds_still_while_the_months_play(dataset):
    groups = map_frames(dataset, map_frames_key(ViewState(countries=("KAZ", "USA")))).data["groups"]
    for metric in ("share", "load", "strain"):
        views = {str(apply_diff(groups[metric]["base"], diff)["layout"]["geo"]) for diff in groups[metric]["diffs"].values()}
        assert len(views) == 1, metric


def test_a_map_without_a_view_shows_the_world():
    geo = build_choropleth_figure(map_table(), None, SHARE).layout.geo
    assert list(geo.lonaxis.range) == [-180, 180] and list(geo.lataxis.range) == [-57, 84]


# --- labels ------------------------------------------------------------------------------------


def test_the_default_map_labels_the_ft_s_top_destinations_with_their_wording(dataset):
    # FT: Russia at least 205,000, Kazakhstan 87,849, the United States 87,200 (flow_totals.csv).
    assert labels_of(map_figure(dataset, map_key(ViewState())).figure) == ["Russia ≥205,000 machines", "Kazakhstan 87,849 machines", "United States 87,200 machines"]


def test_a_monthly_map_labels_its_three_largest_values_with_units(dataset):
    # hashrate_share.csv, Sep 2021: United States 27.69, Mainland China 22.29, Kazakhstan 17.72.
    figure = map_figure(dataset, map_key(ViewState(metric="share", month="2021-09"))).figure
    assert labels_of(figure) == ["United States 27.69% of hashrate", "China 22.29% of hashrate", "Kazakhstan 17.72% of hashrate"]


def test_a_flagged_value_is_labelled_as_flagged():
    # The hand-made table: United States 35.4, Kazakhstan 18.1, then Germany 4.2 (VPN-flagged);
    # China's flagged zero is a measurement gap, not a value, and gets no label.
    figure = build_choropleth_figure(map_table(), None, SHARE, anchors={"USA": (-99, 39), "KAZ": (67, 48), "DEU": (10, 51), "CHN": (104, 36)}).to_plotly_json()
    assert labels_of(figure) == ["United States 35.40% of hashrate", "Kazakhstan 18.10% of hashrate", "Germany ⚠ 4.20% of hashrate"]


UNITS = {"machines": " machines", "share": "% of hashrate", "load": " GW", "strain": "% of demand"}


@pytest.mark.parametrize("key", [ViewState(), ViewState(countries=("KAZ", "RUS")), ViewState(firms=("BitRiver",))], ids=lambda key: key.to_query() or "default")
def test_every_metric_and_month_labels_its_top_destinations_with_units(dataset, key):
    groups = map_frames(dataset, map_frames_key(key)).data["groups"]
    for metric, group in groups.items():
        for month, diff in (group["diffs"] or {"": {}}).items():
            figure = apply_diff(group["base"], diff)
            labels = [label for label in labels_of(figure) if label]  # a label that fits nowhere is ""
            assert labels and all(label.endswith(UNITS[metric]) for label in labels), (metric, month, labels)
            assert len(labels) <= 3


def test_each_width_places_its_labels_or_leaves_them_out_but_never_drops_the_trace(dataset):
    """The phone and tablet variants re-place the labels (the same texts, or none where none fits)."""
    figure = map_figure(dataset, map_key(ViewState())).figure
    index = next(index for index, trace in enumerate(figure["data"]) if trace.get("name") == "Top destinations")
    texts = figure["data"][index]["text"]
    for variant in figure["layout"]["meta"]["variants"]:
        patch = variant["data"][str(index)]
        assert len(patch["text"]) == len(texts) and len(patch["textposition"]) == len(texts)
        assert all(text in ("", full) for text, full in zip(patch["text"], texts))
        assert any(patch["text"])  # a phone still gets the largest destination's count


def test_labels_take_no_clicks_or_hovers(dataset):
    figure = map_figure(dataset, map_key(replace(ViewState(), metric="load", month="2021-10"))).figure
    label = next(trace for trace in figure["data"] if trace.get("name") == "Top destinations")
    assert label["hoverinfo"] == "skip" and "customdata" not in label
