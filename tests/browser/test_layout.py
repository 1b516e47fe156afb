"""Every view readable at a phone's, a tablet's and a desktop's width, measured in the browser.

Each check compares what Chromium actually drew: the bounding boxes of the text plotly put on
each chart (titles, Sankey labels and counts, column headers, annotations, the modebar), the
plot area against its card, and the page against the window. Screenshots of each width go to
tests/artifacts/ (or docs/ with RIGFLOWS_REFRESH_SCREENSHOTS=1, for the README).
"""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.conftest import screenshot_path
from tests.browser.pages import IS_SHOWN_JS, wait_until_drawn

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
CHARTS = (ids.MAP, ids.SANKEY, ids.ENERGY)
#: A plot area must take at least this share of its card's width ("most of it").
PLOT_SHARE = 0.7

#: The boxes of a chart's text, in page pixels: {kind, text, left, top, right, bottom}.
TEXT_BOXES = """chart => {
  const root = document.getElementById(chart);
  const boxes = [];
  // Drawn but hidden (opacity 0: the energy chart's marks of other months) is not on the page.
  const shown = """ + IS_SHOWN_JS + """;
  const add = (kind, element, text) => {
    const r = element.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && shown(element)) { boxes.push({kind, text: (text || element.textContent || '').slice(0, 60), left: r.left, top: r.top, right: r.right, bottom: r.bottom}); }
  };
  root.querySelectorAll('.gtitle').forEach(e => add('title', e));
  root.querySelectorAll('.annotation-text-g text, .annotation text').forEach(e => add('annotation', e));
  root.querySelectorAll('.node-label').forEach(e => add('node label', e));
  root.querySelectorAll('.colorbar text').forEach(e => add('colour bar', e));
  root.querySelectorAll('.modebar').forEach(e => add('modebar', e, 'modebar'));
  return boxes;
}"""


def open_at(page, app_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_timeout(800)  # plotly's transitions


def overlaps(first: dict, second: dict, slack: float = 1.0) -> bool:
    return (
        first["left"] < second["right"] - slack and second["left"] < first["right"] - slack
        and first["top"] < second["bottom"] - slack and second["top"] < first["bottom"] - slack
    )


def overlapping_pairs(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of text boxes drawn on top of each other (one annotation's own lines excepted)."""
    return [
        (f"{a['kind']}: {a['text']!r}", f"{b['kind']}: {b['text']!r}")
        for index, a in enumerate(boxes)
        for b in boxes[index + 1 :]
        if overlaps(a, b)
    ]


@pytest.fixture(params=WIDTHS, ids=[f"{width}px" for width in WIDTHS])
def width(request):
    return request.param


def test_no_label_overlaps_another_or_runs_off_its_chart(page, app_url, width):
    open_at(page, app_url, width)
    page.screenshot(path=str(screenshot_path(f"screenshot-{width}.png")), full_page=True)
    problems = []
    for chart in CHARTS:
        boxes = page.evaluate(TEXT_BOXES, chart)
        kinds = {box["kind"] for box in boxes}
        assert {"title", "modebar", "annotation"} <= kinds, f"{chart} at {width}px: missing {kinds}"
        if chart == ids.SANKEY:
            assert "node label" in kinds
        problems += [f"{chart} at {width}px: {a} overlaps {b}" for a, b in overlapping_pairs(boxes)]
        card = page.evaluate("chart => { const r = document.getElementById(chart).getBoundingClientRect(); return {left: r.left, right: r.right}; }", chart)
        problems += [
            f"{chart} at {width}px: {box['kind']} {box['text']!r} runs off the chart ({box['left']:.0f}–{box['right']:.0f} outside {card['left']:.0f}–{card['right']:.0f})"
            for box in boxes
            if box["left"] < card["left"] - 1 or box["right"] > card["right"] + 1
        ]
    assert problems == []


#: Each chart's plot area: the land drawn on the map, the Sankey's links and nodes, the energy chart's axes.
PLOT_AREAS = {ids.MAP: "#map .geolayer .layer.backplot", ids.SANKEY: "#sankey .sankey", ids.ENERGY: "#energy .draglayer .xy .nsewdrag"}


def test_every_plot_area_takes_most_of_its_card(page, app_url, width):
    open_at(page, app_url, width)
    for chart, selector in PLOT_AREAS.items():
        area = page.evaluate("s => { const e = document.querySelector(s); return e ? e.getBoundingClientRect().width : null; }", selector)
        card = page.evaluate("chart => document.getElementById(chart).getBoundingClientRect().width", chart)
        assert area is not None, f"{chart}: no plot area drawn"
        assert area >= PLOT_SHARE * card, f"{chart} at {width}px: plot area {area:.0f}px of a {card:.0f}px card"


def test_the_page_never_scrolls_sideways(page, app_url, width):
    open_at(page, app_url, width)
    scroll, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= window, f"at {width}px the page is {scroll}px wide"
