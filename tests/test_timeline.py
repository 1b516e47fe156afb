"""The event timeline's rows, month blocks and card, against what data/events.csv and
data/grid_reports.csv say, worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app import create_app

from components import ids
from components.timeline import description_id, timeline_data
from rigflows.dataset import Dataset, load_dataset
from rigflows.figures.timeline import month_status, month_statuses, scope_words, timeline_months
from rigflows.timeline import events_for, source_credits, timeline_events
from tests.conftest import edit_table
from tests.dash_requests import callback_body

#: Grid reports that tell the same happening as an events.csv row (same country, date and
#: sources), read off the two files.
FOLDED = {
    "kegoc_rations_miners": ["kaz_kegoc_rationing_2021_09"],
    "kazakhstan_cap_order": ["kaz_cap_order_2021_10_01"],
    "kegoc_cuts_miners_jan_2022": ["kaz_kegoc_cut_off_2022_01"],
    "central_asia_grid_failure": ["kaz_grid_failure_2022_01_25"],
    "kazakhstan_illegal_farms": ["kaz_illegal_farms_2022_02_21"],
    "greenidge_permit_denied": ["usa_greenidge_permit_denied"],
    "quebec_suspension_request": ["can_quebec_suspension_request_2022_11"],
}
#: Events per month: 22 events.csv rows and 11 grid events, 7 of them folded: 26.
PER_MONTH = {
    "2021-05": 1, "2021-06": 3, "2021-07": 4, "2021-08": 1, "2021-09": 2, "2021-10": 2, "2021-11": 3,
    "2021-12": 1, "2022-01": 3, "2022-02": 3, "2022-06": 1, "2022-11": 1, "2023-10": 1,
}


def test_every_event_of_both_tables_is_listed_once(dataset):
    events = timeline_events(dataset)
    assert len(events) == 26
    assert events["event_id"].is_unique
    folded = {row.event_id: row.also for row in events.itertuples() if row.also}
    assert folded == FOLDED
    # Grid events with no events.csv twin keep their own row: the Almaty blackout, the six
    # regions' outages, the legal mines cut off (Xive's farm is another story in the same month),
    # and the 135 MW of self-restrictions (its sources differ from the illegal farms' event).
    ids = set(events["event_id"])
    assert {"kaz_almaty_blackout_2021_07", "kaz_outages_six_regions_2021_10", "kaz_cut_off_legal_mines_2021_11", "kaz_self_restrictions_2022_02_21", "xive_shuts_farm"} <= ids
    assert not ids & {report for reports in FOLDED.values() for report in reports}


def test_events_are_oldest_first_with_their_kind_and_country(dataset):
    events = timeline_events(dataset).set_index("event_id")
    assert list(timeline_events(dataset)["event_id"].iloc[[0, -1]]) == ["china_state_council_crackdown_call", "nyt_bitmain_shipments"]
    ban = events.loc["china_formal_ban"]
    assert (ban["date"], ban["month"], ban["kind"], ban["country"], ban["title"]) == ("2021-09-24", "2021-09", "ban", "China", "China formally bans crypto mining")
    # A folded event takes the grid report's kind: KEGOC's rationing, not just "grid".
    assert events.loc["kegoc_rations_miners", "kind"] == "rationing"
    assert events.loc["kegoc_cuts_miners_jan_2022", "kind"] == "cut off"
    assert events.loc["greenidge_permit_denied", "kind"] == "permit"
    assert events.loc["hashrate_drop_2021_07", "country"] == ""  # network-wide


def test_months_stack_their_events_and_know_their_slider_position(dataset):
    groups = timeline_months(timeline_events(dataset), dataset.months)
    assert {group["month"]: len(group["events"]) for group in groups} == PER_MONTH
    by_month = {group["month"]: group for group in groups}
    # The hashrate months run from Sep 2019 to Jan 2022: Sep 2021 is the 25th (index 24).
    assert by_month["2021-09"]["index"] == 24 and by_month["2022-01"]["index"] == 28
    assert by_month["2022-02"]["index"] is None and by_month["2023-10"]["index"] is None
    september = by_month["2021-09"]
    assert september["label"] == "Sep 2021"
    assert [event["title"] for event in september["events"]] == ["Kazakhstan rations power to miners", "China formally bans crypto mining"]
    assert september["events"][1]["meta"] == "ban · China · 24 Sep 2021"
    assert by_month["2021-07"]["events"][1]["meta"] == "market · Jul 2021"


def test_the_line_above_says_where_the_month_sits(dataset):
    groups = timeline_months(timeline_events(dataset), dataset.months)
    assert month_status(groups, "2021-09") == "Sep 2021: 2 events (highlighted)."
    assert month_status(groups, "2021-08") == "Aug 2021: 1 event (highlighted)."
    assert month_status(groups, "2020-03") == "Mar 2020: no event listed. Next: May 2021."
    statuses = month_statuses(groups, dataset.months)
    assert set(statuses) == set(dataset.months) and statuses["2021-12"] == "Dec 2021: 1 event (highlighted)."


def test_a_grid_report_folds_only_with_the_same_country_date_and_sources():
    events = pd.DataFrame([{"event_id": "cut", "date": "2021-11", "iso3": "KAZ", "kind": "grid", "title": "Cut", "description": "d", "source_ids": ("a", "b")}])
    reports = pd.DataFrame([
        {"report_id": "same", "iso3": "KAZ", "date_start": "2021-11", "kind": "cut_off", "title": "Same", "description": "d", "source_ids": ("b", "a")},
        {"report_id": "other_sources", "iso3": "KAZ", "date_start": "2021-11", "kind": "blackout", "title": "Other", "description": "d", "source_ids": ("a",)},
        {"report_id": "other_country", "iso3": "RUS", "date_start": "2021-11", "kind": "cap", "title": "Russia", "description": "d", "source_ids": ("a", "b")},
        {"report_id": "a_load", "iso3": "KAZ", "date_start": "2021-11", "kind": "mining_load", "title": "Load", "description": "d", "source_ids": ("a", "b")},
    ])
    rows = timeline_events(Dataset(tables={"events": events, "grid_reports": reports}, geometry=None, data_dir=Path(".")))
    assert dict(zip(rows["event_id"], rows["kind"])) == {"other_sources": "blackout", "other_country": "cap", "cut": "cut off"}
    assert rows.set_index("event_id").loc["cut", "also"] == ["same"]


#: Kazakhstan's own rows (events.csv's KAZ rows, and the grid events with no events.csv twin),
#: and those that concern every country: China's (where the machines came from) and those that
#: name no country (network-wide), read off the two files.
KAZAKHSTAN = {
    "bit_mining_to_kazakhstan", "kegoc_rations_miners", "kazakhstan_cap_order", "xive_shuts_farm", "bitfufu_abandons_kazakhstan",
    "kegoc_cuts_miners_jan_2022", "central_asia_grid_failure", "bit_mining_cancels_kazakhstan_build", "kazakhstan_illegal_farms",
    "kaz_almaty_blackout_2021_07", "kaz_outages_six_regions_2021_10", "kaz_cut_off_legal_mines_2021_11", "kaz_self_restrictions_2022_02_21",
}
EVERY_COUNTRY = {"china_state_council_crackdown_call", "bitmain_halts_spot_sales", "china_formal_ban", "hashrate_drop_2021_07", "s19_price_fall", "ft_report"}


def test_a_country_filter_lists_its_events_and_those_that_concern_every_country(dataset):
    events = timeline_events(dataset)
    assert set(events_for(events, ("KAZ",))["event_id"]) == KAZAKHSTAN | EVERY_COUNTRY
    # Russia's: The9's hosting deal and the Irkutsk planeloads.
    assert set(events_for(events, ("KAZ", "RUS"))["event_id"]) == KAZAKHSTAN | EVERY_COUNTRY | {"the9_to_bitriver", "irkutsk_rig_flights"}
    assert len(events_for(events, ())) == 26
    assert scope_words(("KAZ",), 19, 26, False) == (
        "Events for Kazakhstan and China's ban",
        "19 of 26 events: those in Kazakhstan, and those that concern every country (in China, where the machines came from, or network-wide).",
    )
    assert scope_words(("KAZ", "RUS"), 21, 26, True) == ("All 26 events", "Every country's, not only the 21 for Kazakhstan, Russia and China's ban.")
    assert scope_words((), 26, 26, False) == ("All 26 events", "")


def test_an_events_sources_are_named_by_producer_never_by_id(dataset):
    ft = timeline_events(dataset).set_index("event_id").loc["ft_report"]
    credits = source_credits(dataset, ft["source_ids"])
    # sources.csv: the FT's report, and the five press copies of it the event cites.
    assert credits[0] == "Financial Times: \u201cChina's exiled crypto machines fuel global mining boom\u201d (2021-11-21)"
    assert "rarehippo.news: \u201cChina's exiled crypto machines fuel global mining boom\u201d; original: Financial Times" in credits
    assert len(credits) == 6
    assert not any(source_id in " ".join(credits) for source_id in ft["source_ids"])


def events_of(data: dict) -> list[dict]:
    """Every event the timeline's data lists, each with its month's slider position and month."""
    return [{**event, "index": group["index"], "at": group["month"]} for group in data["months"] for event in group["events"]]


def test_every_event_can_be_picked_and_knows_its_slider_position(dataset):
    data = timeline_data(dataset, ())
    events = events_of(data)
    assert len(events) == 26 and len(data["months"]) == 13
    # Feb 2022 (3), Jun 2022, Nov 2022, Oct 2023: after Jan 2022, the data's last month. They
    # open their month in the panel but cannot move the views (-1), and say so.
    assert sum(event["index"] == -1 for event in events) == 6
    assert [group["month"] for group in data["months"] if group["beyond"]] == ["2022-02", "2022-06", "2022-11", "2023-10"]
    assert data["months"][-1]["beyond"] == "After the data's last month (Jan 2022): listed, not shown in the views."
    ban = next(event for event in events if event["id"] == "china_formal_ban")
    assert ban["index"] == 24 and ban["at"] == "2021-09"  # the 25th month from Sep 2019
    # The line above the timeline for every month the slider shows (PER_MONTH: Sep 2021 has 2).
    assert data["statuses"]["2021-09"] == "Sep 2021: 2 events (highlighted)."
    assert set(data["statuses"]) == set(dataset.months)


def test_each_event_carries_its_words_for_the_panel(dataset):
    data = timeline_data(dataset, ("KAZ",))
    september = next(group for group in data["months"] if group["month"] == "2021-09")
    assert september["panel_heading"] == "Sep 2021: what was reported" and september["count_title"] == "2 events"
    by_id = {event["id"]: event for event in september["events"]}
    # events.csv: KEGOC's rationing and the NDRC's notice, each with its sources by producer.
    assert by_id["kegoc_rations_miners"]["description"] == "Grid operator KEGOC starts rationing power to crypto miners in September 2021."
    assert by_id["china_formal_ban"]["description"].startswith("The NDRC and other departments issue the notice on rectifying virtual-currency 'mining' activities")
    assert "National Development and Reform Commission (NDRC) and other departments: \u201cNotice on rectifying virtual currency 'mining' activities (FGYX [2021] No. 1283)\u201d (2021-09-24)" in by_id["china_formal_ban"]["credits"]
    assert "ndrc_notice_1283" not in str(data)
    # Each button points its screen-reader description at its event's text in the panel.
    assert by_id["china_formal_ban"]["description_id"] == description_id("china_formal_ban") == "timeline-description-china_formal_ban"
    # Kazakhstan's filter: its 13 events and the 6 that concern every country.
    assert len(events_of(data)) == 19
    assert data["scope"]["heading"] == "Events for Kazakhstan and China's ban"


@pytest.fixture(scope="module")
def dash_client():
    return create_app().server.test_client()


def test_a_country_change_sends_the_timelines_data_through_the_server_callback(dash_client):
    dependencies = dash_client.get("/_dash-dependencies").get_json()
    scope = next(callback for callback in dependencies if callback["output"].startswith(f"..{ids.TIMELINE_DATA}.data"))

    def answer(countries, show_all):
        response = dash_client.post("/_dash-update-component", json=callback_body(scope, [countries, show_all], []))
        assert response.status_code == 200
        return response.get_json()["response"]

    kazakhstan = answer(["KAZ"], [])
    assert len(events_of(kazakhstan[ids.TIMELINE_DATA]["data"])) == 19 and kazakhstan[ids.TIMELINE_ALL_BOX]["hidden"] is False
    every = answer(["KAZ"], [ids.SHOW_ALL_EVENTS])
    assert len(events_of(every[ids.TIMELINE_DATA]["data"])) == 26
    assert answer([], [])[ids.TIMELINE_ALL_BOX]["hidden"] is True


def test_a_month_with_more_events_than_listed_counts_the_rest(data_copy):
    """Eight events in July 2021 (the bundled 4, plus 4 copies of the first): five are listed,
    in the timeline and in the panel, and the line under them counts the other three."""
    def four_more(frame):
        first = frame[frame["date"].str.startswith("2021-07")].iloc[0]
        copies = [first.copy() for _ in range(4)]
        for number, copy in enumerate(copies):
            copy["event_id"] = f"{first['event_id']}_copy_{number}"
        return pd.concat([frame, pd.DataFrame(copies)], ignore_index=True)

    edit_table(data_copy, "events", four_more)
    data = timeline_data(load_dataset(data_copy), ())
    july = next(group for group in data["months"] if group["month"] == "2021-07")
    assert len(july["events"]) == 5 and july["count"] == 8
    # One line, drawn under the month's events in the timeline and in the panel (assets/timeline.js).
    assert july["more"] == "…and 3 more events this month, not listed here (the data API has them all)."
    # Another month is listed whole: June 2021's three events, no count.
    june = next(group for group in data["months"] if group["month"] == "2021-06")
    assert len(june["events"]) == 3 and june["more"] is None
