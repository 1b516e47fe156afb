"""Bring your own data in a real Chromium: a valid file is accepted, hostile files are refused
in the page, and the server keeps answering."""

from __future__ import annotations

import io
import zipfile

import pytest

from components import ids
from rigflows.config import PROJECT_ROOT
from tests.browser.pages import sankey_labels, wait_until_drawn

pytestmark = pytest.mark.browser

FLOWS = (PROJECT_ROOT / "data" / "flows.csv").read_bytes()
RESULT = f"#{ids.UPLOAD_RESULT}"


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(page, name: str, data: bytes, mime: str = "text/csv") -> str:
    """Choose `name` in the upload card as a reader would; the text of the new verdict."""
    before = page.inner_text(RESULT)
    page.set_input_files(f"#{ids.UPLOAD} input[type=file]", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_function(
        "([selector, before]) => { const text = document.querySelector(selector).innerText; return text !== before && /Accepted|Refused/.test(text); }",
        arg=[RESULT, before], timeout=30_000,
    )
    return page.inner_text(RESULT)


def test_a_valid_upload_is_accepted_and_its_key_stays_out_of_the_link(page, app_url):
    page.goto(app_url + "/?country=KAZ")
    wait_until_drawn(page)
    verdict = upload(page, "flows.csv", FLOWS)
    assert "Accepted: flows.csv (" in verdict
    token = page.evaluate(f"JSON.parse(sessionStorage.getItem('{ids.UPLOAD_TOKEN}'))")
    assert isinstance(token, str) and len(token) >= 40
    assert token not in page.url and "country=KAZ" in page.url
    page.click(f"#{ids.UPLOAD_FORGET}")
    page.wait_for_function(f"() => document.querySelector('{RESULT}').innerText.includes('deleted')")
    assert page.evaluate(f"sessionStorage.getItem('{ids.UPLOAD_TOKEN}')") in (None, "null")


HOSTILE = [
    ("traversal.zip", zipped({"../../flows.csv": FLOWS}), "application/zip", "path traversal"),
    ("bomb.zip", zipped({"flows.csv": b"0" * (40 * 1024 * 1024)}), "application/zip", "zip bomb"),
    ("flows.csv", bytes(range(256)) * 64, "text/csv", "binary"),
    ("flows.csv", FLOWS.replace(b"kaz_bitfufu,Bitfufu", b"kaz_bitfufu,=1+2"), "text/csv", "formula"),
    ("flows.csv", b"flow_id\n" + b"x\n" * 300_000, "text/csv", "rows"),
    ("flows.csv", FLOWS.replace(b",RUS,", b",XXX,", 1), "text/csv", "destination_iso3"),
]


def test_hostile_files_are_refused_in_the_page_and_the_server_answers_on(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    for name, data, mime, expected in HOSTILE:
        verdict = upload(page, name, data, mime)
        assert "Refused" in verdict and "Nothing was loaded" in verdict and expected in verdict, (name, verdict)
        assert page.request.get(app_url + "/api/v1/").status == 200
    assert page.evaluate(f"sessionStorage.getItem('{ids.UPLOAD_TOKEN}')") in (None, "null")


def test_my_data_is_drawn_in_the_sankey_under_a_banner_until_i_forget_it(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    assert "My Farm Co" not in sankey_labels(page)
    mine = FLOWS.replace(b",RUS,BitRiver,", b",RUS,My Farm Co,", 1)
    assert "Accepted" in upload(page, "flows.csv", mine)
    page.wait_for_function(f"() => Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'My Farm Co')", timeout=30_000)
    assert "Your data (not shared)" in page.inner_text(f"#{ids.YOUR_DATA}")
    page.reload()  # the tab keeps its upload; the link does not carry it
    wait_until_drawn(page)
    page.wait_for_function(f"() => Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'My Farm Co')", timeout=30_000)
    page.click(f"#{ids.UPLOAD_FORGET}")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'My Farm Co')", timeout=30_000)
    assert page.inner_text(f"#{ids.YOUR_DATA}").strip() == ""


def wait_for_usa_machines(page, machines: int) -> None:
    """Wait until the machines map shows `machines` for the United States."""
    page.wait_for_function(
        """(machines) => {
            const gd = document.querySelector('#%s .js-plotly-plot');
            const trace = gd && (gd._fullData || []).find((t) => t.name === 'Machines');
            if (!trace) { return false; }
            const index = Array.from(trace.locations).indexOf('USA');
            return index >= 0 && Number(trace.z[index]) === machines;
        }""" % ids.MAP,
        arg=machines, timeout=30_000,
    )


def test_my_data_is_drawn_in_the_map_after_a_reload_too_until_i_forget_it(page, app_url):
    # The FT's 87,200 machines to the United States; the upload says 12,345.
    totals = (PROJECT_ROOT / "data" / "flow_totals.csv").read_bytes()
    mine = totals.replace(b"total_usa,United States,USA,total_tracked,87200,", b"total_usa,United States,USA,total_tracked,12345,", 1)
    assert mine != totals
    page.goto(app_url + "/")
    wait_until_drawn(page)
    wait_for_usa_machines(page, 87_200)
    assert "Accepted" in upload(page, "flow_totals.csv", mine)
    wait_for_usa_machines(page, 12_345)  # the same filter's frames, from other data
    page.reload()
    wait_until_drawn(page)
    wait_for_usa_machines(page, 12_345)
    page.click(f"#{ids.UPLOAD_FORGET}")
    wait_for_usa_machines(page, 87_200)
