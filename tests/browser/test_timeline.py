"""The event timeline in a real Chromium: a click moves every view without the server, and
stacked events stay readable at phone and desktop widths."""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.conftest import screenshot_path
from tests.browser.pages import count_callback_requests, query, wait_until_drawn

pytestmark = pytest.mark.browser

# China's formal ban: events.csv dates it 2021-09-24, in the month Kazakhstan's KEGOC starts
# rationing power to miners (events.csv and grid_reports.csv, folded into one event).
BAN = "china_formal_ban"


def event_button(event_id: str) -> str:
    return f"#{ids.TIMELINE} button[id*='\"event\":\"{event_id}\"']"


def views_now(page) -> dict:
    return page.evaluate(
        f"""() => ({{
            map: document.querySelector('#{ids.MAP} .js-plotly-plot').layout.title.text,
            energy: (document.querySelector('#{ids.ENERGY} .js-plotly-plot').layout.annotations || []).map(a => a.text).find(t => t.startsWith('Selected')) || '',
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


def test_play_walks_the_timeline(page, app_url):
    page.goto(app_url + "/?metric=share&month=2021-05")
    wait_until_drawn(page)
    page.wait_for_timeout(3000)
    page.click(f"#{ids.PLAY}")
    page.wait_for_function(f"() => (document.querySelector('#{ids.TIMELINE} .is-selected h3') || {{}}).textContent?.startsWith('Jul 2021')", timeout=15_000)
    page.click(f"#{ids.PLAY}")


def test_an_event_after_the_data_months_cannot_be_clicked(page, app_url):
    """Greenidge's permit (30 Jun 2022) is after the hashrate data's last month (Jan 2022)."""
    page.goto(app_url + "/")
    wait_until_drawn(page)
    assert page.is_disabled(event_button("greenidge_permit_denied"))
    assert "cannot move there" in page.get_attribute(event_button("greenidge_permit_denied"), "title")


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
        page.goto(app_url + "/?month=2022-01")
        wait_until_drawn(page)
        boxes = page.eval_on_selector_all(
            f"#{ids.TIMELINE} .timeline-event-title, #{ids.TIMELINE} .timeline-event-meta, #{ids.TIMELINE} .timeline-month-label",
            "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height, text: n.textContent}; })",
        )
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
