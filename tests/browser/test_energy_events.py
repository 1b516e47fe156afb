"""The energy chart's grid events stay readable at a phone's, a tablet's and a desktop's width.

Events cluster in a few months (Kazakhstan's winter of 2021-22), so their markers used to pile
on each other and under the "Selected" month label. Measured in the browser: the bounding box of
every event marker against every other, and against every text the chart draws (the "Selected"
label, line-end labels, the measurement-gap label, the footer). Screenshots of the chart at each
width go to tests/artifacts/energy-<width>.png.
"""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.conftest import screenshot_path
from tests.browser.pages import IS_SHOWN_JS, wait_until_drawn
from tests.browser.test_layout import overlaps

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
#: The default view (the latest month, right where the events cluster) and Kazakhstan alone in
#: October 2021, in the middle of its events.
VIEWS = {"default": "", "kazakhstan-oct-2021": "?metric=load&month=2021-10&country=KAZ"}

#: Boxes (page pixels) of the energy chart's event markers, by the name of the trace they belong
#: to, and of its annotation texts.
EVENT_BOXES = """chart => {
  const root = document.getElementById(chart);
  const box = (e) => { const r = e.getBoundingClientRect(); return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const markers = [];
  root.querySelectorAll('.scatterlayer .trace').forEach(trace => {
    const name = trace.__data__ && trace.__data__[0] && trace.__data__[0].trace ? trace.__data__[0].trace.name : '';
    if (name.startsWith('Grid event')) {
      trace.querySelectorAll('.points path').forEach(point => {
        const r = box(point);
        if (r.right > r.left && r.bottom > r.top) { markers.push(Object.assign({text: name}, r)); }
      });
    }
  });
  const texts = [];
  // Drawn but hidden (opacity 0: the marks of other months) is not on the page.
  const shown = """ + IS_SHOWN_JS + """;
  root.querySelectorAll('.annotation-text-g text, .annotation text').forEach(e => {
    const r = box(e);
    if (r.right > r.left && r.bottom > r.top && shown(e)) { texts.push(Object.assign({text: (e.textContent || '').slice(0, 60)}, r)); }
  });
  return {markers, texts};
}"""


@pytest.mark.parametrize("width", WIDTHS, ids=[f"{width}px" for width in WIDTHS])
@pytest.mark.parametrize("view", list(VIEWS))
def test_event_markers_never_cover_each_other_or_the_charts_labels(page, app_url, width, view):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(app_url + "/" + VIEWS[view])
    wait_until_drawn(page)
    page.wait_for_timeout(800)  # plotly's transitions
    page.locator(f"#{ids.ENERGY}").screenshot(path=str(screenshot_path(f"energy-{view}-{width}.png")))
    boxes = page.evaluate(EVENT_BOXES, ids.ENERGY)
    markers, texts = boxes["markers"], boxes["texts"]
    # Kazakhstan alone has 9 grid events in the bundled data (grid_reports.csv), the default view 11.
    assert len(markers) == {"default": 11, "kazakhstan-oct-2021": 9}[view]
    # One month mark shown, the view's own (the others are drawn hidden).
    assert [text["text"] for text in texts if text["text"].startswith("Selected: ")] == [{"default": "Selected: Jan 2022", "kazakhstan-oct-2021": "Selected: Oct 2021"}[view]]
    problems = [
        f"{a['text']} at {a['left']:.0f},{a['top']:.0f} overlaps {b['text']} at {b['left']:.0f},{b['top']:.0f}"
        for index, a in enumerate(markers)
        for b in markers[index + 1 :]
        if overlaps(a, b)
    ]
    problems += [f"{marker['text']} at {marker['left']:.0f},{marker['top']:.0f} covers the text {text['text']!r}" for marker in markers for text in texts if overlaps(marker, text)]
    assert problems == [], f"{view} at {width}px"
