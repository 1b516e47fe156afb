"""Exports that carry their context, in a real Chromium: the press kit zip, a captioned chart
PNG and SVG, and each chart's accessible name and text alternative."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import zipfile

import pytest
from playwright.sync_api import expect

from components import ids
from components.presskit import PRESSKIT_BUTTON, STATUS, SVG_BUTTON
from tests.browser.pages import wait_until_drawn

pytestmark = pytest.mark.browser

VIEW = "/?month=2021-10&country=KAZ,RUS"
FOLDER = "rigflows_machines_KAZ-RUS_press-kit/"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def drawn_size(page, chart: str) -> tuple[int, int]:
    return tuple(page.eval_on_selector(f"#{chart} .js-plotly-plot", "gd => [gd._fullLayout.width, gd._fullLayout.height]"))


def test_press_kit_zip_holds_every_part(page, app_url):
    zip_library = []
    page.on("request", lambda request: zip_library.append(request.url) if "fflate-zip" in request.url else None)
    page.goto(app_url + VIEW)
    wait_until_drawn(page)
    # The zip library is fetched for the first press kit, not with the page (rigflows.config.LAZY_ASSETS).
    page.wait_for_timeout(1000)
    assert zip_library == []
    with page.expect_download(timeout=60_000) as download_info:
        page.click(f"#{PRESSKIT_BUTTON}")
    download = download_info.value
    assert download.suggested_filename == "rigflows_machines_KAZ-RUS_press-kit.zip"
    with zipfile.ZipFile(download.path()) as kit:
        files = {name.removeprefix(FOLDER): kit.read(name) for name in kit.namelist()}
    assert all(name != "" for name in files), "every file sits in the kit's folder"
    for chart, title_words in (("map", "Machines relocated from China"), ("sankey", "Machines leaving China"), ("energy", "Bitcoin mining load")):
        width, _ = drawn_size(page, chart)
        png_width, png_height = png_size(files[f"{chart}.png"])
        assert png_width == 2 * width and png_height > 2 * 300
        svg = files[f"{chart}.svg"].decode("utf-8")
        assert svg.startswith("<svg") and title_words in svg
        # The caption: the filters in words, a source by name, the link.
        assert "View: Kazakhstan and Russia" in svg and "Financial Times" in svg and "?month=2021-10&amp;country=KAZ,RUS" in svg
        alt = files[f"{chart}-alt-text.txt"].decode("utf-8")
        assert len(alt) > 80
    assert "Kazakhstan 87,849" in files["map-alt-text.txt"].decode()
    assert "Bitfufu (BitFuFu) to Kazakhstan 80,000" in files["sankey-alt-text.txt"].decode()

    rows = list(csv.DictReader(io.StringIO(files["rigflows_machines_KAZ-RUS.csv"].decode("utf-8"))))
    assert {"map", "sankey", "energy model", "energy reported", "energy event", "reported without a count"} <= {row["view"] for row in rows}
    citation = json.loads(files["citation.json"])
    assert citation[0]["URL"].endswith("/?month=2021-10&country=KAZ,RUS") and len(citation) > 5
    assert files["citation.bib"].decode().startswith("@misc{rigflows,")
    assert "Kazakhstan and Russia" in files["citation.txt"].decode()
    assert files["link.txt"].decode().strip() == app_url + VIEW
    assert "licence unknown" in files["licences.txt"].decode()
    assert "README.txt" in files
    assert "Press kit downloaded" in page.inner_text(f"#{STATUS}")
    assert len(zip_library) == 1


def test_modebar_png_is_2x_and_carries_its_caption(page, app_url):
    page.goto(app_url + "/?metric=share&month=2021-08&country=KAZ")
    wait_until_drawn(page)
    page.hover(f"#{ids.MAP} .js-plotly-plot")
    with page.expect_download() as download_info:
        page.click(f"#{ids.MAP} .modebar-btn[data-title^='Download plot as a PNG']")
    download = download_info.value
    assert download.suggested_filename == "rigflows_map_share_2021-08_KAZ.png"
    width, height = png_size(open(download.path(), "rb").read())
    shown_width, shown_height = drawn_size(page, ids.MAP)
    # As wide as the chart on screen, twice over; taller by the caption under it.
    assert width == 2 * shown_width and height > 2 * shown_height


def test_svg_downloads_carry_title_filters_sources_date_and_link(page, app_url):
    page.goto(app_url + "/?country=USA")
    wait_until_drawn(page)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click(f"#{SVG_BUTTON}")
    page.wait_for_function(f"() => document.getElementById('{STATUS}').textContent.includes('3 charts as SVG')", timeout=60_000)
    assert sorted(download.suggested_filename for download in downloads) == ["rigflows_energy_machines_USA.svg", "rigflows_map_machines_USA.svg", "rigflows_sankey_machines_USA.svg"]
    sankey = open(next(d for d in downloads if "sankey" in d.suggested_filename).path(), encoding="utf-8").read()
    assert sankey.startswith("<svg")
    assert "Machines leaving China" in sankey
    assert "View: United States" in sankey
    # The US flows cite NewsBreak (flows.csv); the caption names it, not an id.
    assert "NewsBreak" in sankey and "newsbreak_ft_copy" not in sankey
    assert "Rig Flows, downloaded " in sankey and app_url + "/?country=USA" in sankey


def test_each_chart_has_an_accessible_name_and_text_alternative(page, app_url):
    page.goto(app_url + "/?country=KAZ")
    wait_until_drawn(page)
    page.wait_for_function("() => (document.getElementById('sankey-alt') || {}).textContent")
    for chart in (ids.MAP, ids.SANKEY, ids.ENERGY):
        labelled, described = page.eval_on_selector(f"#{chart}", "el => [el.getAttribute('aria-labelledby'), el.getAttribute('aria-describedby')]")
        assert page.inner_text(f"#{labelled}").strip(), f"{chart} has no accessible name"
        assert len(page.text_content(f"#{described}")) > 80, f"{chart} has no text alternative"
    assert "Bitfufu (BitFuFu) to Kazakhstan 80,000" in page.text_content("#sankey-alt")
    # The description follows the view.
    page.goto(app_url + "/?country=RUS")
    wait_until_drawn(page)
    page.wait_for_function("() => document.getElementById('sankey-alt').textContent.includes('Russia to BitRiver 200,000')")
    # As assistive technology computes them: a figure named by its title, described by its alt text.
    sankey = page.get_by_role("figure", name=re.compile("^Machines leaving China"))
    expect(sankey).to_have_count(1)
    expect(sankey).to_have_accessible_description(re.compile("Russia to BitRiver 200,000"))
