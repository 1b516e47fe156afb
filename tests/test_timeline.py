"""The event timeline's rows, month blocks and card, against what data/events.csv and
data/grid_reports.csv say, worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app import create_app

from components import ids
from components.timeline import description_id, month_class, timeline_card
from rigflows.dataset import Dataset, load_dataset
from rigflows.figures.timeline import month_status, month_statuses, scope_words, timeline_months
from rigflows.timeline import events_for, source_credits, timeline_events
from tests.conftest import edit_table
from tests.dash_requests import callback_body, walk

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


def walk_components(node):
    """Every component of a Dash tree, depth first."""
    if node is None or isinstance(node, (str, int)):
        return
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        yield from walk_components(child)


def parts(card) -> dict[str, list]:
    """The card's event buttons, month blocks, panel months and panel events, by id type."""
    found: dict[str, list] = {}
    for node in walk_components(card):
        if isinstance(getattr(node, "id", None), dict):
            found.setdefault(node.id["type"], []).append(node)
    return found


def texts(node) -> str:
    if node is None or isinstance(node, (str, int)):
        return str(node or "")
    children = getattr(node, "children", None)
    return " ".join(texts(child) for child in (children if isinstance(children, list) else [children]))


def test_the_card_marks_the_month_and_every_event_can_be_picked(dataset):
    found = parts(timeline_card(dataset, (), "2021-09"))
    buttons, blocks = found[ids.TIMELINE_EVENT], found[ids.TIMELINE_MONTH]
    assert len(buttons) == 26 and len(blocks) == 13
    # Feb 2022 (3), Jun 2022, Nov 2022, Oct 2023: after Jan 2022, the data's last month. They
    # open their month in the panel but cannot move the views.
    assert sum(button.id["month"] == -1 for button in buttons) == 6 and not any(getattr(button, "disabled", False) for button in buttons)
    ban = next(button for button in buttons if button.id["event"] == "china_formal_ban")
    assert ban.id["month"] == 24 and ban.id["at"] == "2021-09"
    assert [block.className for block in blocks if "is-selected" in block.className] == ["timeline-month is-selected"]
    assert month_class("2021-05", "2021-09") == "timeline-month is-past" and month_class("2022-01", "2021-09") == "timeline-month is-future"


def test_the_panel_has_each_months_events_in_words_the_selected_month_open(dataset):
    card = timeline_card(dataset, ("KAZ",), "2021-09")
    found = parts(card)
    months = {panel.id["month"]: panel for panel in found[ids.TIMELINE_DETAILS_MONTH]}
    assert [month for month, panel in months.items() if not panel.hidden] == ["2021-09"]
    september = texts(months["2021-09"])
    # events.csv: KEGOC's rationing and the NDRC's notice, each with its sources by producer.
    assert "Grid operator KEGOC starts rationing power to crypto miners in September 2021." in september
    assert "The NDRC and other departments issue the notice on rectifying virtual-currency 'mining' activities" in september
    assert "National Development and Reform Commission (NDRC) and other departments: \u201cNotice on rectifying virtual currency 'mining' activities (FGYX [2021] No. 1283)\u201d (2021-09-24)" in september
    assert "ndrc_notice_1283" not in texts(card)
    # Each button points its screen-reader description at its event's text in the panel.
    described = {node.id: texts(node) for node in walk_components(card) if isinstance(getattr(node, "id", None), str) and node.id.startswith("timeline-description-")}
    ban = next(button for button in found[ids.TIMELINE_EVENT] if button.id["event"] == "china_formal_ban")
    assert getattr(ban, "aria-describedby") == description_id("china_formal_ban")
    assert described[description_id("china_formal_ban")].startswith("The NDRC and other departments issue the notice")
    # Kazakhstan's filter: its 13 events and the 6 that concern every country.
    assert len(found[ids.TIMELINE_EVENT]) == 19
    assert "Events for Kazakhstan and China's ban" in texts(card)


@pytest.fixture(scope="module")
def dash_client():
    return create_app().server.test_client()


def test_a_country_change_redraws_the_body_through_the_server_callback(dash_client):
    dependencies = dash_client.get("/_dash-dependencies").get_json()
    scope = next(callback for callback in dependencies if callback["output"].startswith(f"..{ids.TIMELINE_BODY}.children"))

    def body(countries, show_all):
        answer = dash_client.post("/_dash-update-component", json=callback_body(scope, [countries, show_all], [24, None]))
        assert answer.status_code == 200
        return answer.get_json()["response"]

    kazakhstan = body(["KAZ"], [])
    events = [node for node in walk(kazakhstan) if isinstance(node.get("id"), dict) and node["id"].get("type") == ids.TIMELINE_EVENT]
    assert len(events) == 19 and kazakhstan[ids.TIMELINE_ALL_BOX]["hidden"] is False
    every = body(["KAZ"], [ids.SHOW_ALL_EVENTS])
    assert len([node for node in walk(every) if isinstance(node.get("id"), dict) and node["id"].get("type") == ids.TIMELINE_EVENT]) == 26
    assert body([], [])[ids.TIMELINE_ALL_BOX]["hidden"] is True


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
    card = timeline_card(load_dataset(data_copy), (), "2021-07")
    found = parts(card)
    july = [button for button in found[ids.TIMELINE_EVENT] if button.id["at"] == "2021-07"]
    assert len(july) == 5
    panel = next(panel for panel in found[ids.TIMELINE_DETAILS_MONTH] if panel.id["month"] == "2021-07")
    assert texts(panel).count("…and 3 more events this month") == 1
    assert texts(card).count("…and 3 more events this month") == 2  # the timeline and the panel
    # Another month is listed whole: June 2021's three events, no count.
    june = [button for button in found[ids.TIMELINE_EVENT] if button.id["at"] == "2021-06"]
    assert len(june) == 3
