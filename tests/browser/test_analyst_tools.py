"""The analyst tools as a reader uses them in Chromium: an upload drawn beside the bundled data
(its own marked Sankey nodes, its names in the filters, nothing of it in the link), the
calculator's hashrate share, and the data API; each takes the README's screenshot of its tool.

Hand-worked expectation (tests/test_calculator.py): CBECI gives Kazakhstan 18.10 % in Aug 2021;
with CBECI's own efficiency a share of 36.2 % is twice its load.
"""

from __future__ import annotations

import zipfile

import pytest

from components import ids
from components.presskit import PRESSKIT_BUTTON
from rigflows.config import PROJECT_ROOT
from tests.browser.conftest import ARTIFACTS, screenshot_path
from tests.browser.pages import choose, query, sankey_labels, wait_until_drawn
from tests.browser.test_calculator import AUGUST, ENERGY_VALUE
from tests.browser.test_upload import upload

pytestmark = pytest.mark.browser

FLOWS = (PROJECT_ROOT / "data" / "flows.csv").read_bytes()
#: The bundled flows plus one of the reader's: 1,234 machines to Paraguay, from and to firms the
#: bundled data does not name.
MINE = FLOWS.rstrip(b"\n") + b"\nreader_pry,Reader Seller Ltd,mining_firm,PRY,Reader Farm SA,,1234,,,exact,2021-06,2021-09,,,relocation,single_report,,ft_exiled_machines,A reader's row.\n"
HAS_LABEL = "(label) => Array.from(document.querySelectorAll('#%s .node-label')).some(n => n.textContent === label)" % ids.SANKEY


def test_my_data_beside_the_bundled_data_is_its_own_marked_layer_and_can_be_filtered(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    assert "Accepted" in upload(page, "flows.csv", MINE)
    page.wait_for_function(HAS_LABEL, arg="Reader Farm SA", timeout=30_000)  # instead of the bundled data, by default
    page.get_by_label("Beside the bundled data, as a marked layer").check()
    page.wait_for_function(HAS_LABEL, arg="Reader Farm SA (your data)", timeout=30_000)
    labels = sankey_labels(page)
    assert "BitRiver" in labels and "BitRiver (your data)" in labels and "Reader Farm SA" not in labels
    assert "beside the bundled data" in page.inner_text(f"#{ids.YOUR_DATA}")
    # The upload's own firm is in the filter; the link names the filter, never the upload.
    choose(page, ids.FIRMS, "Reader Farm", "Reader Farm SA (1 flow) (your data)")
    page.wait_for_function("() => window.location.search.includes('firm=Reader')")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'BitRiver')", timeout=30_000)
    assert "Reader Farm SA (your data)" in sankey_labels(page)
    token = page.evaluate(f"JSON.parse(sessionStorage.getItem('{ids.UPLOAD_TOKEN}'))")
    assert token not in page.url and "beside" not in page.url and set(query(page)) == {"firm"}
    page.goto(app_url + "/")  # the whole view again, still beside: the tab keeps the choice
    wait_until_drawn(page)
    page.wait_for_function(HAS_LABEL, arg="Reader Farm SA (your data)", timeout=30_000)
    assert page.get_by_label("Beside the bundled data, as a marked layer").is_checked()
    page.locator(f"#{ids.SANKEY}").screenshot(path=str(screenshot_path("screenshot-your-data.png")))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # to look at; not in the README
    page.locator(f"#{ids.YOUR_DATA}").screenshot(path=str(ARTIFACTS / "your-data-banner.png"))
    page.locator(f"#{ids.MAP}").screenshot(path=str(ARTIFACTS / "your-data-map.png"))
    # The press kit of this tab carries the layer too (its request sends the tab's key).
    with page.expect_download(timeout=60_000) as download_info:
        page.click(f"#{PRESSKIT_BUTTON}")
    with zipfile.ZipFile(download_info.value.path()) as kit:
        csv = next(kit.read(name).decode() for name in kit.namelist() if name.endswith(".csv"))
        assert any(name.endswith("/your-data.txt") for name in kit.namelist())
    assert csv.startswith("layer,") and "your data,sankey,machines,,,,Reader Seller Ltd,Paraguay," in csv


def test_a_share_of_my_own_moves_the_energy_chart_and_nonsense_is_refused(page, app_url):
    page.goto(app_url + "/?metric=load&country=KAZ&month=2021-08")
    wait_until_drawn(page)
    default = page.evaluate(ENERGY_VALUE, ["Kazakhstan (model estimate)", AUGUST])
    page.fill(f"#{ids.CALC_SHARES}", "KAZ:2021-08:36.2")
    page.press(f"#{ids.CALC_SHARES}", "Enter")
    page.wait_for_function("() => window.location.search.includes('share=KAZ:2021-08:36.2')")
    page.wait_for_function("() => document.querySelector('#energy .js-plotly-plot').data.some(t => t.name === 'Kazakhstan (your assumptions)')")
    wait_until_drawn(page)
    assert page.evaluate(ENERGY_VALUE, ["Kazakhstan (your assumptions)", AUGUST]) == pytest.approx(default * 36.2 / 18.1, rel=1e-6)
    assert page.evaluate(ENERGY_VALUE, ["Kazakhstan (default model)", AUGUST]) == pytest.approx(default)
    assert "KAZ in 2021-08: 36.2 %" in page.inner_text(f"#{ids.CALC_FORMULA}")
    calculator = page.locator(".calculator")
    energy = page.locator("section.card", has=page.locator(f"#{ids.ENERGY}"))
    calculator.screenshot(path=str(screenshot_path("screenshot-calculator.png")))
    energy.screenshot(path=str(ARTIFACTS / "calculator-energy.png"))  # to look at; not in the README
    page.fill(f"#{ids.CALC_SHARES}", "KAZ:2021-08:60,USA:2021-08:50")
    page.press(f"#{ids.CALC_SHARES}", "Enter")
    page.wait_for_function(f"() => document.querySelector('#{ids.CALC_MESSAGE}').innerText.includes('together they make 110 %')")
    page.wait_for_function("() => !window.location.search.includes('share=')")


def test_the_api_answers_a_view_in_the_browser(page, app_url):
    page.set_viewport_size({"width": 900, "height": 700})
    response = page.goto(app_url + "/api/v1/view.json?country=KAZ&month=2021-10&metric=load")
    assert response.status == 200 and response.headers["x-data-version"]
    body = page.inner_text("body")
    assert '"citation"' in body and '"Kazakhstan"' in body
    page.screenshot(path=str(screenshot_path("screenshot-api.png")))
