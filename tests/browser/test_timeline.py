"""The event timeline in a real Chromium: a click moves every view without the server, a
country filter scopes it, a tap or a key opens an event's text, and stacked events stay
readable at phone, tablet and desktop widths."""

from __future__ import annotations

import re

import pytest

from components import ids
from tests.browser.conftest import screenshot_path
from components.presskit import name_id
from components.timeline import description_id
from tests.browser.pages import count_callback_requests, query, wait_until_drawn

pytestmark = pytest.mark.browser

# China's formal ban: events.csv dates it 2021-09-24, in the month Kazakhstan's KEGOC starts
# rationing power to miners (events.csv and grid_reports.csv, folded into one event).
BAN = "china_formal_ban"


def event_button(event_id: str) -> str:
    return f"#{ids.TIMELINE} button[data-event='{event_id}']"


def views_now(page) -> dict:
    return page.evaluate(
        f"""() => ({{
            map: document.querySelector('#{ids.MAP} .js-plotly-plot').layout.title.text,
            energy: ((document.querySelector('#{ids.ENERGY} .js-plotly-plot').layout.annotations || []).find(a => a.text.startsWith('Selected') && a.opacity !== 0) || {{text: ''}}).text,
            slider: document.querySelector('#{ids.MONTH} [role=slider]').getAttribute('aria-valuenow'),
            label: document.querySelector('#{ids.MONTH_LABEL}').textContent,
            selected: Array.from(document.querySelectorAll('#{ids.TIMELINE} .timeline-month.is-selected h3')).map(h => h.textContent),
        }})"""
    )


def test_clicking_an_event_moves_every_view_to_its_month_without_the_server(page, app_url, dataset):
    page.goto(app_url + "/?metric=share&month=2020-03&country=KAZ,RUS,USA")
    wait_until_drawn(page)
    requests = count_callback_requests(page)
    page.wait_for_timeout(4000)  # the frames of this filter arrive after the first paint
    before = len(requests)
    assert "Mar 2020" in views_now(page)["map"]

    page.click(event_button(BAN))
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Sep 2021')")
    now = views_now(page)
    assert "Sep 2021" in now["map"] and "Sep 2021" in now["energy"], now
    assert now["slider"] == str(dataset.months.index("2021-09")) and "2021-09" in now["label"]
    assert query(page)["month"] == ["2021-09"] and query(page)["country"] == ["KAZ,RUS,USA"]
    assert len(now["selected"]) == 1 and now["selected"][0].startswith("Sep 2021")
    assert "Sep 2021: 2 events" in page.inner_text(f"#{ids.TIMELINE_STATUS}")

    # Another event, in another month: the Almaty blackout (grid_reports.csv, July 2021).
    page.click(event_button("kaz_almaty_blackout_2021_07"))
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Jul 2021')")
    assert "Jul 2021" in views_now(page)["energy"] and query(page)["month"] == ["2021-07"]
    assert len(requests) == before, f"an event click sent {requests[before:]}"


def open_tables_and_pick_the_ban(page, app_url):
    page.goto(app_url + "/?metric=share&month=2020-03&country=KAZ")
    wait_until_drawn(page)
    for chart in (ids.MAP, ids.ENERGY):
        page.click(f"#{chart}-table-summary")
    page.wait_for_function(f"() => document.getElementById('{ids.MAP}-table').innerText.includes('2020-03')")
    page.click(event_button(BAN))
    page.wait_for_function(f"() => document.getElementById('{ids.MAP}-table').innerText.includes('2021-09') && document.getElementById('{ids.ENERGY}-table').innerText.includes('Estimated mining load, 2021-09')")


def test_an_event_click_moves_every_view_open_tables_and_chart_names_included(page, app_url, dataset):
    """What a reader sees and what a screen reader reads: the charts, their hidden names, the
    slider and its label, the timeline, the panel, and the open data tables."""
    open_tables_and_pick_the_ban(page, app_url)
    now = views_now(page)
    assert "Sep 2021" in now["map"] and "Sep 2021" in now["energy"], now
    assert now["slider"] == str(dataset.months.index("2021-09")) and "2021-09" in now["label"]
    assert now["selected"][0].startswith("Sep 2021")
    page.wait_for_function(f"() => document.getElementById('{name_id(ids.MAP)}').textContent.includes('Sep 2021')")
    assert "China formally bans crypto mining" in open_panel(page)
    assert "2020-03" not in page.inner_text(f"#{ids.MAP}-table")


def test_play_walks_the_timeline(page, app_url):
    page.goto(app_url + "/?metric=share&month=2021-05")
    wait_until_drawn(page)
    page.wait_for_timeout(3000)
    page.click(f"#{ids.PLAY}")
    page.wait_for_function(f"() => (document.querySelector('#{ids.TIMELINE} .is-selected h3') || {{}}).textContent?.startsWith('Jul 2021')", timeout=15_000)
    page.click(f"#{ids.PLAY}")


def open_panel(page) -> str:
    """The text of the panel's open month (what a reader sees under the timeline)."""
    return page.inner_text(f"#{ids.TIMELINE_DETAILS} > div:not([hidden])")


def test_an_event_after_the_data_months_opens_its_text_and_leaves_the_views(page, app_url):
    """Greenidge's permit (30 Jun 2022) is after the hashrate data's last month (Jan 2022)."""
    page.goto(app_url + "/?metric=share&month=2021-09")
    wait_until_drawn(page)
    page.click(event_button("greenidge_permit_denied"))
    page.wait_for_function(f"() => document.querySelector('#{ids.TIMELINE_DETAILS} .is-picked') !== null")
    text = open_panel(page)
    # events.csv's description, its month, and its source by producer (gem_wiki_greenidge).
    assert "The NY DEC denies the renewal of the Title V air permit" in text and "Jun 2022" in text
    assert "After the data's last month (Jan 2022)" in text and "Global Energy Monitor" in text and "gem_wiki" not in text
    assert "Sep 2021" in views_now(page)["map"] and query(page)["month"] == ["2021-09"]


def event_ids(page) -> set[str]:
    return set(page.eval_on_selector_all(f"#{ids.TIMELINE} .timeline-event", "bs => bs.map(b => b.dataset.event)"))


def test_a_country_filter_scopes_the_timeline_and_says_so(page, app_url):
    page.goto(app_url + "/?metric=share&month=2021-09&country=KAZ")
    wait_until_drawn(page)
    shown = event_ids(page)
    # Kazakhstan's 13 events (events.csv and the grid events of grid_reports.csv) and the 6 that
    # concern every country: China's 3 and the 3 network-wide ones; not Russia's or the US's.
    assert len(shown) == 19 and {"china_formal_ban", "hashrate_drop_2021_07", "kaz_almaty_blackout_2021_07"} <= shown
    assert not shown & {"the9_to_bitriver", "greenidge_permit_denied", "hut8_buys_microbt"}
    assert page.inner_text(f"#{ids.TIMELINE_SCOPE}").startswith("Events for Kazakhstan and China's ban")

    # The others stay one click away, and the view's address does not change.
    page.get_by_label("Show every country's events").check()
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.TIMELINE} .timeline-event').length === 26")
    assert page.inner_text(f"#{ids.TIMELINE_SCOPE}").startswith("All 26 events")
    assert query(page) == {"metric": ["share"], "month": ["2021-09"], "country": ["KAZ"]}
    page.get_by_label("Show every country's events").uncheck()
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.TIMELINE} .timeline-event').length === 19")

    # Adding Russia adds its two events: The9's hosting deal (Jul 2021) and the Irkutsk flights (Jan 2022).
    page.click(f"#{ids.COUNTRIES}")
    page.keyboard.type("Russ", delay=60)
    page.get_by_role("option", name=re.compile(r"^Russia \(")).click()
    page.keyboard.press("Escape")
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.TIMELINE} .timeline-event').length === 21")
    assert event_ids(page) - shown == {"the9_to_bitriver", "irkutsk_rig_flights"}
    assert page.inner_text(f"#{ids.TIMELINE_SCOPE}").startswith("Events for Kazakhstan, Russia and China's ban")
    # The month stays marked after the redraw, and a pick still moves every view.
    assert views_now(page)["selected"][0].startswith("Sep 2021")
    page.click(event_button("the9_to_bitriver"))
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Jul 2021')")
    assert query(page)["month"] == ["2021-07"]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def test_a_tap_or_a_key_opens_an_events_text_on_a_phone(phone, app_url):
    phone.goto(app_url + "/?metric=share&month=2020-03")
    wait_until_drawn(phone)
    assert "No event in this month" in phone.inner_text(f"#{ids.TIMELINE_DETAILS}")
    phone.locator(event_button(BAN)).scroll_into_view_if_needed()
    phone.tap(event_button(BAN))
    phone.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Sep 2021')")
    description = phone.locator(f"#{description_id(BAN)}")
    # events.csv's text and the producers of its sources (sources.csv), on screen after the tap.
    assert description.inner_text().startswith("The NDRC and other departments issue the notice")
    assert "National Development and Reform Commission (NDRC)" in open_panel(phone)
    phone.wait_for_function(f"() => {{ const r = document.getElementById('{description_id(BAN)}').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }}", timeout=5000)
    assert "is-picked" in phone.get_attribute(f"#{ids.TIMELINE_DETAILS} li[data-event='{BAN}']", "class")
    assert phone.is_hidden(f"#{ids.TIMELINE_DETAILS_EMPTY}"), "the panel still says the month has no event"

    # From the keyboard: focus the Almaty blackout's button and press Enter.
    blackout = "kaz_almaty_blackout_2021_07"
    phone.focus(event_button(blackout))
    phone.keyboard.press("Enter")
    phone.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Jul 2021')")
    assert "Total blackout in Almaty in mid-July 2021" in open_panel(phone)
    assert phone.get_attribute(event_button(blackout), "aria-describedby") == description_id(blackout)


#: Each node's box as drawn: a label inside the timeline's own scrolling list is cut to the part
#: of the list on screen (the rest is scrolled away, not drawn over what follows the list).
VISIBLE_BOXES = """nodes => nodes.map(n => {
    let r = n.getBoundingClientRect();
    const list = n.closest('#timeline');
    let [top, bottom] = [r.top, r.bottom];
    if (list) { const l = list.getBoundingClientRect(); top = Math.max(top, l.top); bottom = Math.min(bottom, l.bottom); }
    return {x: r.x, y: top, width: r.width, height: bottom - top, text: n.textContent};
}).filter(b => b.width > 0 && b.height > 0)"""


def overlaps(boxes: list[dict]) -> list[tuple[int, int]]:
    hits = []
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if a["x"] < b["x"] + b["width"] - 0.5 and b["x"] < a["x"] + a["width"] - 0.5 and a["y"] < b["y"] + b["height"] - 0.5 and b["y"] < a["y"] + a["height"] - 0.5:
                hits.append((i, j))
    return hits


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_stacked_events_stay_readable(browser, app_url, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_url + "/?country=KAZ&month=2022-01")
        wait_until_drawn(page)
        page.get_by_label("Show every country's events").check()
        page.wait_for_function(f"() => document.querySelectorAll('#{ids.TIMELINE} .timeline-event').length === 26")
        boxes = page.eval_on_selector_all(
            f"#{ids.TIMELINE} .timeline-event-title, #{ids.TIMELINE} .timeline-event-meta, #{ids.TIMELINE} .timeline-month-label, "
            f"#{ids.TIMELINE_SCOPE}, #{ids.TIMELINE_STATUS}, #{ids.TIMELINE_ALL_BOX}, "
            f"#{ids.TIMELINE_DETAILS} h3, .timeline-detail h4, .timeline-detail p, .timeline-detail-sources li",
            VISIBLE_BOXES,
        )
        # The panel shows the month's three events (Jan 2022: the Irkutsk flights, KEGOC's cut-off, the grid failure).
        assert page.eval_on_selector_all(".timeline-details-list:not([hidden]) .timeline-detail", "items => items.filter(i => i.offsetParent).length") == 3
        # Every event of both tables is listed: 22 events and 11 grid events, 7 of them the same happening.
        assert page.eval_on_selector_all(f"#{ids.TIMELINE} .timeline-event", "b => b.length") == 26
        assert not overlaps(boxes), [(boxes[i]["text"], boxes[j]["text"]) for i, j in overlaps(boxes)]
        timeline = page.eval_on_selector(f"#{ids.TIMELINE}", "t => ({scroll: t.scrollWidth, client: t.clientWidth})")
        assert timeline["scroll"] <= timeline["client"], "the timeline scrolls sideways"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        # Each label fits its button: no clipped text.
        clipped = page.eval_on_selector_all(f"#{ids.TIMELINE} .timeline-event", "bs => bs.filter(b => b.scrollWidth > b.clientWidth + 1).length")
        assert clipped == 0
        page.locator(f"#{ids.TIMELINE}").scroll_into_view_if_needed()
        page.locator(".card-timeline").screenshot(path=str(screenshot_path(f"timeline-{width}.png")))
    finally:
        context.close()
