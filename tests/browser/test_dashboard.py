"""The dashboard in a real headless Chromium: drawn, filtered, restored from a URL, exported."""

from __future__ import annotations

import csv
import io
import struct

import pytest

from components import ids
from rigflows.config import PROJECT_ROOT
from tests.browser.pages import choose, map_locations, query, sankey_labels, wait_until_drawn

pytestmark = pytest.mark.browser


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_every_chart_draws_with_data_and_nothing_leaves_the_machine(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    assert map_locations(page) >= 5
    labels = sankey_labels(page)
    assert {"Russia", "Kazakhstan", "United States", "BitRiver"} <= set(labels)
    assert page.eval_on_selector_all(f"#{ids.SANKEY} .sankey-link", "links => links.length") >= 10
    assert page.eval_on_selector_all(f"#{ids.ENERGY} .scatterlayer .trace", "traces => traces.length") >= 4
    assert "Sources of this view" in page.inner_text("body")
    assert page.eval_on_selector_all(f"#{ids.SOURCES} li", "items => items.length") >= 5


def test_readme_screenshot_is_taken_by_the_tests_browser(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_timeout(800)  # let plotly finish its transitions
    target = PROJECT_ROOT / "docs" / "screenshot.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    width, height = png_size(target.read_bytes())
    assert width == 1280 and height > 2000


def test_country_filter_changes_the_sankey_the_map_and_the_url(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    before_labels, before_locations = sankey_labels(page), map_locations(page)
    choose(page, ids.COUNTRIES, "Kazakh", "Kazakhstan")
    page.wait_for_function("() => window.location.search.includes('country=KAZ')")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'Russia')")
    wait_until_drawn(page)
    labels = sankey_labels(page)
    assert "Kazakhstan" in labels and "Russia" not in labels and labels != before_labels
    assert map_locations(page) < before_locations
    assert query(page)["country"] == ["KAZ"]


def test_clicking_a_country_on_the_map_filters_every_view(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    # Kazakhstan is compact, so the middle of its outline is inside it (Russia's box spans the globe).
    box = page.evaluate(
        f"""() => {{
            const paths = Array.from(document.querySelectorAll('#{ids.MAP} .choroplethlocation'));
            const kazakhstan = paths.find(p => p.__data__ && p.__data__.loc === 'KAZ');
            const r = kazakhstan.getBoundingClientRect();
            return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
        }}"""
    )
    page.mouse.move(box["x"], box["y"])
    page.mouse.click(box["x"], box["y"])
    page.wait_for_function("() => window.location.search.includes('country=KAZ')")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'Russia')")
    assert "Kazakhstan" in sankey_labels(page)


def test_a_shared_link_restores_the_view(page, app_url):
    page.goto(app_url + "/?metric=strain&month=2021-10&country=KAZ,RUS&farms=1&remainders=0")
    wait_until_drawn(page)
    assert page.eval_on_selector(f"#{ids.METRIC} input:checked", "input => input.value") == "strain"
    assert "2021-10" in page.inner_text(f"#{ids.MONTH_LABEL}")
    chosen = page.inner_text(f"#{ids.COUNTRIES}")
    assert "Kazakhstan" in chosen and "Russia" in chosen
    assert page.is_checked(f"#{ids.TOGGLES} input[value={ids.SHOW_FARMS}]")
    assert not page.is_checked(f"#{ids.TOGGLES} input[value={ids.SHOW_REMAINDERS}]")
    title = page.eval_on_selector(f"#{ids.MAP} .gtitle", "title => title.textContent")
    assert "Oct 2021" in title or "2021-10" in title
    assert map_locations(page) == 2
    assert page.inner_text(f"#{ids.NOTICES}").strip() == ""


def test_a_malformed_link_falls_back_with_a_visible_notice(page, app_url):
    page.goto(app_url + "/?metric=<script>alert(1)</script>&month=2031-13&country=ZZZ&firm=" + "x" * 300)
    wait_until_drawn(page)
    notices = page.inner_text(f"#{ids.NOTICES}")
    assert "metric" in notices and "2031-13" in notices and "ZZZ" in notices
    assert page.eval_on_selector(f"#{ids.METRIC} input:checked", "input => input.value") == "machines"
    assert page.evaluate("window.alertFired === undefined")


def test_modebar_downloads_a_2x_png_named_after_the_view(page, app_url):
    page.goto(app_url + "/?metric=share&month=2021-08&country=KAZ")
    wait_until_drawn(page)
    page.hover(f"#{ids.MAP} .js-plotly-plot")
    with page.expect_download() as download_info:
        page.click(f"#{ids.MAP} .modebar-btn[data-title^='Download plot as a PNG']")
    download = download_info.value
    assert download.suggested_filename == "rigflows_map_share_2021-08_KAZ.png"
    width, height = png_size(open(download.path(), "rb").read())
    shown = page.eval_on_selector(f"#{ids.MAP} .js-plotly-plot", "gd => [gd._fullLayout.width, gd._fullLayout.height]")
    # Twice the chart on screen, taller by the caption under it (assets/presskit.js).
    assert width == shown[0] * 2 and height > shown[1] * 2
    assert width >= 1200


def test_download_all_charts_gives_one_png_per_chart(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.click(f"#{ids.DOWNLOAD_PNGS}")
    page.wait_for_function(f"() => document.getElementById('{ids.PNG_STATUS}').textContent.includes('3 charts')", timeout=30_000)
    names = sorted(download.suggested_filename for download in downloads)
    assert names == ["rigflows_energy_machines.png", "rigflows_map_machines.png", "rigflows_sankey_machines.png"]
    for download in downloads:
        png_size(open(download.path(), "rb").read())


def test_csv_download_holds_the_rows_behind_the_view(page, app_url, dataset):
    from rigflows.select import export_table
    from rigflows.state import ViewState

    page.goto(app_url + "/?metric=share&month=2021-10&country=KAZ,RUS")
    wait_until_drawn(page)
    with page.expect_download() as download_info:
        page.click(f"#{ids.DOWNLOAD_CSV}")
    download = download_info.value
    assert download.suggested_filename == "rigflows_share_2021-10_KAZ-RUS.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    expected = export_table(dataset, ViewState(metric="share", month="2021-10", countries=("KAZ", "RUS")))
    assert len(rows) == len(expected)
    map_rows = [row for row in rows if row["view"] == "map"]
    assert sorted(row["iso3"] for row in map_rows) == ["KAZ", "RUS"]
    assert all(row["sources"] for row in rows)


def test_reset_clears_every_filter(page, app_url):
    page.goto(app_url + "/?metric=load&country=KAZ&firm=BitRiver")  # nothing matches: messages only
    page.wait_for_function(f"() => document.querySelector('#{ids.SANKEY}')?.innerText.includes('No reported flows')")
    page.click(f"#{ids.RESET}")
    page.wait_for_function("() => window.location.search === ''")
    wait_until_drawn(page)
    assert "Russia" in sankey_labels(page) and "Kazakhstan" in sankey_labels(page)


def test_a_filter_that_leaves_nothing_shows_a_message_not_an_empty_axis(page, app_url):
    # Bitmain sold machines to the US only; Kazakhstan has no Bitmain flow.
    page.goto(app_url + "/?country=KAZ&firm=Bitmain")
    page.wait_for_selector(f"#{ids.SANKEY} .js-plotly-plot")
    page.wait_for_function(f"() => document.querySelector('#{ids.SANKEY}')?.innerText.includes('No reported flows')")
    assert page.eval_on_selector_all(f"#{ids.SANKEY} .sankey-link", "links => links.length") == 0


def test_phone_width_has_no_sideways_scrolling_and_draws_every_chart(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(app_url + "/")
    wait_until_drawn(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshot-phone.png"), full_page=False)
    context.close()
    assert overflow <= 1


def test_energy_overlay_draws_farms_on_the_strain_map(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.click(f"#{ids.TOGGLES} input[value={ids.SHOW_FARMS}]")
    page.wait_for_function("() => window.location.search.includes('farms=1') && window.location.search.includes('metric=strain')")
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.MAP} .scattergeo .point').length >= 3")
    assert page.eval_on_selector(f"#{ids.METRIC} input:checked", "input => input.value") == "strain"
    title = page.eval_on_selector(f"#{ids.MAP} .gtitle", "title => title.textContent")
    assert "demand" in title


def test_clicking_a_sankey_node_filters_every_view(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    node = next(n for n in page.query_selector_all(f"#{ids.SANKEY} .sankey-node") if (n.text_content() or "").strip() == "Kazakhstan")
    rect = node.query_selector(".node-rect")
    rect.scroll_into_view_if_needed()
    box = rect.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.location.search.includes('country=KAZ')")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'Russia')")
    assert map_locations(page) == 1
