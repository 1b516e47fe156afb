"""The map's labels of its top destinations, as Chromium draws them at 390, 768 and 1280 px:
each readable (inside the map, clear of every other label, the colour bar, the title and the
footer), with its unit, in the view the server draws and in months drawn from the page's frames."""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.pages import wait_until_drawn
from tests.browser.test_layout import TEXT_BOXES, WIDTHS, overlaps

pytestmark = pytest.mark.browser

#: The map's labels (scattergeo text of more than a ⚠ sign) and the map's frame (plotly's clip
#: of the geo subplot), in page pixels.
LABELS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  const page = gd.getBoundingClientRect();
  const size = gd._fullLayout._size;
  const bounds = gd._fullLayout.geo._subplot.bounds;
  const svg = gd.querySelector('.main-svg').getBoundingClientRect();
  const labels = [...gd.querySelectorAll('.scattergeo text')]
    .filter(t => t.textContent.trim().length > 2)
    .map(t => { const r = t.getBoundingClientRect(); return {kind: 'map label', text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
  const legend = [...gd.querySelectorAll('.legend .legendtext')].map(t => { const r = t.getBoundingClientRect(); return {kind: 'legend', text: t.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
  return {labels, legend, frame: {left: svg.left + bounds[0][0], top: svg.top + bounds[0][1], right: svg.left + bounds[1][0], bottom: svg.top + bounds[1][1]}};
}"""

UNITS = (" machines", "% of hashrate", " GW", "% of demand")
#: Views the server draws: the default machines map, each monthly metric (one with the farms
#: and their legend), a filter.
VIEWS = (
    "/",
    "/?metric=share&month=2021-09",
    "/?metric=load&month=2021-10",
    "/?metric=strain&month=2022-01&farms=1",
    "/?metric=share&month=2020-06&country=CHN,KAZ,RUS",
)


def label_problems(page, where: str) -> list[str]:
    drawn = page.evaluate(LABELS)
    labels, frame = drawn["labels"], drawn["frame"]
    others = [*page.evaluate(TEXT_BOXES, ids.MAP), *drawn["legend"]]
    problems = [] if labels else [f"{where}: no label drawn"]
    for index, label in enumerate(labels):
        if not any(unit in label["text"] for unit in UNITS):
            problems.append(f"{where}: {label['text']!r} has no unit")
        if label["left"] < frame["left"] - 1 or label["right"] > frame["right"] + 1 or label["top"] < frame["top"] - 1 or label["bottom"] > frame["bottom"] + 1:
            problems.append(f"{where}: {label['text']!r} runs out of the map ({label}, frame {frame})")
        for other in labels[index + 1 :] + others:
            if overlaps(label, other):
                problems.append(f"{where}: {label['text']!r} overlaps {other['kind']} {other['text']!r}")
    return problems


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{width}px" for width in WIDTHS])
def test_the_top_destinations_labels_never_overlap_anything(page, app_url, width):
    page.set_viewport_size({"width": width, "height": 900})
    problems = []
    for view in VIEWS:
        page.goto(app_url + view)
        wait_until_drawn(page)
        page.wait_for_timeout(500)
        problems += label_problems(page, f"{view} at {width}px")
    assert problems == []


def test_the_labels_follow_metric_and_month_drawn_from_the_frames(page, app_url):
    """Metric and month drawn in the page from the frames, at a phone's width: the labels change
    with them (hashrate_share.csv, Sep 2021: the United States 27.69%) and still fit."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(app_url + "/?month=2021-08")
    wait_until_drawn(page)
    page.wait_for_timeout(4000)  # the frames of this filter arrive after the first paint
    page.click(f"#{ids.METRIC} input[value=share]")
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('hashrate')")
    page.focus(f"#{ids.MONTH} [role=slider]")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Sep 2021')")
    page.wait_for_timeout(500)
    texts = [label["text"] for label in page.evaluate(LABELS)["labels"]]
    assert "United States27.69% of hashrate" in texts
    assert label_problems(page, "share, Sep 2021 from the frames at 390px") == []
