"""The dashboard in a real headless Chromium: drawn, filtered, restored from a URL, exported."""

from __future__ import annotations

import csv
import io
import re
import struct

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from components import ids
from tests.browser.conftest import screenshot_path
from tests.browser.pages import IS_SHOWN_JS, choose, count_server_requests, map_locations, query, sankey_labels, wait_until_drawn

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
    assert page.eval_on_selector_all(f"#{ids.SANKEY} .sankey-link", "links => links.length") >= 8  # untraced remainders: the bar under it
    assert page.eval_on_selector_all(f"#{ids.ENERGY} .scatterlayer .trace", "traces => traces.length") >= 4
    assert "Sources of this view" in page.inner_text("body")
    assert page.eval_on_selector_all(f"#{ids.SOURCES} li", "items => items.length") >= 5


def test_the_default_map_shows_machines_relocated_as_the_ft_reported(page, app_url):
    """Russia at least 205,000, Kazakhstan 87,849, the US 87,200 (not orders added on top), Canada no count."""
    page.goto(app_url + "/")
    wait_until_drawn(page)
    hovers = page.evaluate(
        f"""() => Object.fromEntries(document.querySelector('#{ids.MAP} .js-plotly-plot').data
            .filter(trace => trace.type === 'choropleth' && trace.showscale !== false)
            .flatMap(trace => Array.from(trace.locations).map((code, index) => [code, trace.hovertext[index]])))"""
    )
    assert set(hovers) == {"RUS", "KAZ", "USA"}  # Canada, Paraguay, Venezuela: reported, no count
    for code, machines in (("RUS", "205,000"), ("KAZ", "87,849"), ("USA", "87,200")):
        assert f"{machines} machines" in hovers[code], hovers[code]
    assert "at least 205,000" in hovers["RUS"]


def test_readme_screenshot_is_taken_by_the_tests_browser(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_timeout(800)  # let plotly finish its transitions
    target = screenshot_path("screenshot.png")
    page.screenshot(path=str(target), full_page=True)
    width, height = png_size(target.read_bytes())
    assert width == 1280 and height > 2000


def test_country_filter_changes_the_sankey_the_map_and_the_url(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    before_labels, before_locations = sankey_labels(page), map_locations(page)
    choose(page, ids.COUNTRIES, "Kazakh", "Kazakhstan (2 flows, 2 farms)")
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
    page.wait_for_function(f"() => document.querySelector('#{ids.SANKEY}')?.innerText.includes('nothing in common')")
    page.click(f"#{ids.RESET}")
    page.wait_for_function("() => window.location.search === ''")
    wait_until_drawn(page)
    assert "Russia" in sankey_labels(page) and "Kazakhstan" in sankey_labels(page)


def test_a_filter_that_leaves_nothing_says_why_and_offers_a_way_back(page, app_url):
    # Bitfufu shipped machines to Kazakhstan only; Russia has no Bitfufu flow or farm.
    page.goto(app_url + "/?country=RUS&firm=Bitfufu%20(BitFuFu)")
    page.wait_for_selector(f"#{ids.SANKEY} .js-plotly-plot")
    page.wait_for_function(f"() => document.querySelector('#{ids.SANKEY}')?.innerText.includes('nothing in common')")
    assert page.eval_on_selector_all(f"#{ids.SANKEY} .sankey-link", "links => links.length") == 0
    # Russia has hashrate data: the energy chart must not say otherwise.
    energy = page.inner_text(f"#{ids.ENERGY}")
    assert "hashrate data" not in energy and "Bitfufu" in energy
    assert page.is_visible(f"#{ids.EMPTY_RESULT}")
    message = page.inner_text(f"#{ids.EMPTY_MESSAGE}")
    assert "Bitfufu" in message and "Russia" in message
    page.click(f"#{ids.CLEAR_COUNTRIES}")
    page.wait_for_function("() => window.location.search.includes('firm=') && !window.location.search.includes('country=')")
    page.wait_for_function(f"() => document.getElementById('{ids.EMPTY_RESULT}').hidden")
    page.wait_for_selector(f"#{ids.SANKEY} .sankey-link")
    assert "Kazakhstan" in sankey_labels(page)


def test_each_filter_offers_what_the_other_leaves_with_counts(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    choose(page, ids.COUNTRIES, "Kazakh", "Kazakhstan (2 flows, 2 farms)")
    page.wait_for_function("() => window.location.search === '?country=KAZ'")
    page.click(f"#{ids.FIRMS}")
    # The open dropdown's options (radio groups are listboxes too: left out).
    offered_js = "() => Array.from(document.querySelectorAll('[role=option]')).filter(o => !o.closest('#metric, #toggles, #calc-preset, #calc-version, #timeline-all, #upload-mode')).map(o => o.textContent.trim())"
    page.wait_for_function(f"() => ({offered_js})().length > 0 && !({offered_js})().some(text => text.includes('BitRiver'))")
    offered = page.evaluate(offered_js)
    assert offered == ["BIT Mining (NYSE: BTCM) (1 flow)", "Bitfufu (BitFuFu) (1 flow)", "Enegix (1 farm)", "Xive (1 farm)"]


#: A point on the flow line to `destination` that lies inside country `inside` (a map
#: location), or, with `inside` null, inside no country with data: in client coordinates.
LINE_POINT_JS = """([destination, inside]) => {
    const gd = document.querySelector('#%s .js-plotly-plot');
    const countries = Array.from(gd.querySelectorAll('.choroplethlocation')).filter(p => p.__data__);
    const group = Array.from(gd.querySelectorAll('.trace.scattergeo')).find(g => {
        const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
        return trace && trace.mode === 'lines' && trace.text.includes('→ ' + destination);
    });
    const line = group.querySelector('path.js-line');
    const length = line.getTotalLength();
    for (let step = 40; step <= 360; step++) {
        const at = line.getPointAtLength(length * step / 400);
        const hit = countries.filter(p => p.isPointInFill(new DOMPoint(at.x, at.y))).map(p => p.__data__.loc);
        if (inside ? hit.includes(inside) : hit.length === 0) {
            const screen = new DOMPoint(at.x, at.y).matrixTransform(line.getScreenCTM());
            return {x: screen.x, y: screen.y};
        }
    }
    return null;
}""" % ids.MAP


def test_flow_lines_take_no_clicks_the_country_under_them_does(page, app_url):
    """A click on the China → Russia line where it crosses land with no data selects nothing
    (it used to select Russia); a click on a line inside Kazakhstan selects Kazakhstan."""
    page.goto(app_url + "/")
    wait_until_drawn(page)
    page.wait_for_timeout(4000)  # the filter's frames redraw the map once after the first paint (slow on a busy machine)
    over_land = page.evaluate(LINE_POINT_JS, ["Russia", None])
    assert over_land is not None
    page.mouse.move(over_land["x"] - 5, over_land["y"] - 5)
    page.mouse.move(over_land["x"], over_land["y"], steps=5)
    page.mouse.click(over_land["x"], over_land["y"])
    page.wait_for_timeout(500)
    inside = page.evaluate(LINE_POINT_JS, ["Kazakhstan", "KAZ"])
    assert inside is not None
    page.mouse.move(inside["x"] - 5, inside["y"] - 5)
    page.mouse.move(inside["x"], inside["y"], steps=5)
    page.mouse.click(inside["x"], inside["y"])
    page.wait_for_function("() => window.location.search.includes('country=')")
    page.wait_for_timeout(1000)
    assert query(page)["country"] == ["KAZ"]


def test_phone_width_has_no_sideways_scrolling_and_draws_every_chart(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(app_url + "/")
    wait_until_drawn(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(screenshot_path("screenshot-phone.png")), full_page=False)
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


def map_state(page) -> dict:
    """What the map draws now: its title and the hover texts of its countries."""
    return page.eval_on_selector(f"#{ids.MAP} .js-plotly-plot", "gd => ({title: gd.layout.title.text, hovers: gd.data.filter(t => t.type === 'choropleth').map(t => JSON.stringify(t.hovertext))})")


#: The labels of the energy chart's month marks a reader sees: every month's is drawn, the
#: others at opacity 0 (rigflows/figures/energy.py, month_marks).
SHOWN_MONTH_LABELS = f"""() => Array.from(document.querySelectorAll('#{ids.ENERGY} .annotation'))
    .filter({IS_SHOWN_JS}).map(g => g.textContent).filter(t => t.startsWith('Selected: '))"""


def expect_energy_marker(page, label: str) -> None:
    """The energy chart shows one month mark, labelled `label` (e.g. "Selected: Oct 2021")."""
    try:
        page.wait_for_function(f"label => {{ const shown = ({SHOWN_MONTH_LABELS})(); return shown.length === 1 && shown[0] === label; }}", arg=label, timeout=10_000)
    except PlaywrightTimeout:
        raise AssertionError(f"the energy chart shows {page.evaluate(SHOWN_MONTH_LABELS)}, not [{label!r}]") from None


def wait_for_frames(page) -> None:
    """The page holds every month and metric of its filter once the frames Stores are filled."""
    page.wait_for_function(f"() => document.querySelectorAll('#{ids.MAP} .choroplethlocation').length > 0")
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def test_metric_month_and_play_redraw_without_asking_the_server(page, app_url):
    page.goto(app_url + "/?country=KAZ,RUS,USA&month=2021-08")
    wait_until_drawn(page)
    requests = count_server_requests(page, app_url)
    page.wait_for_timeout(4000)  # the frames of this filter arrive after the first paint
    before = len(requests)
    machines = map_state(page)

    page.click(f"#{ids.METRIC} input[value=share]")
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('hashrate')")
    share = map_state(page)
    assert share["title"] != machines["title"] and "Aug 2021" in share["title"]
    # The map is drawn ahead of dash-renderer (assets/views.js), which writes the address after.
    page.wait_for_function("() => window.location.search.includes('metric=share')")
    # The map's accessible description travels with its figure, so it follows metric and month
    # without the server. hashrate_share.csv, Aug 2021: United States 35.4, Kazakhstan 18.1,
    # Russian Federation 11.23 (% of global hashrate), largest first, each flagged: China's 0 marks
    # the month as a CBECI measurement gap.
    described_map = page.get_by_role("figure", name=re.compile("^Share of global Bitcoin hashrate"))
    flagged = r" \(flagged[^)]*\)"
    expect(described_map).to_have_accessible_description(re.compile(rf"Aug 2021: United States 35\.40%{flagged}, Kazakhstan 18\.10%{flagged}, Russia 11\.23%{flagged}\."))

    # The month slider: a keyboard step, as a reader would make it.
    page.focus(f"#{ids.MONTH} [role=slider]")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Sep 2021')")
    september = map_state(page)
    assert september["hovers"] != share["hovers"] and september["hovers"]
    expect_energy_marker(page, "Selected: Sep 2021")
    page.wait_for_function("() => window.location.search.includes('month=2021-09') && window.location.search.includes('country=KAZ,RUS,USA')")
    # hashrate_share.csv, Sep 2021: United States 27.69, Kazakhstan 17.72, Russian Federation 6.8.
    expect(described_map).to_have_accessible_description(re.compile(r"Sep 2021: United States 27\.69%, Kazakhstan 17\.72%, Russia 6\.80%\."))

    # Play walks month by month and stops by itself at the last month (hashrate_share.csv ends
    # in Jan 2022). Waiting for that stop, not pausing mid-walk, keeps the test independent of
    # how fast a busy machine draws: a late pause click would restart the walk from 2019.
    page.click(f"#{ids.PLAY}")
    page.wait_for_function(f"() => document.querySelector('#{ids.MAP} .gtitle').textContent.includes('Jan 2022')", timeout=20_000)
    expect(page.locator(f"#{ids.PLAY}")).to_have_text(re.compile("Play"), timeout=10_000)
    assert "month" not in query(page)  # the last month is the default, which the link leaves out
    played_label = "Jan 2022"
    expect_energy_marker(page, f"Selected: {played_label}")  # the marker follows the URL
    # The United States has the largest share of the three in every month after Sep 2021.
    expect(described_map).to_have_accessible_description(re.compile(f"by country, {played_label}: United States "))
    assert len(requests) == before, f"month, metric and Play sent {requests[before:]}"


def test_a_month_step_moves_the_energy_charts_mark_on_a_phone(page, app_url):
    """On a phone the chart draws its narrow layout (assets/widths.js), whose labels are its own."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(app_url + "/?country=KAZ&month=2021-10")
    wait_until_drawn(page)
    wait_for_frames(page)
    expect_energy_marker(page, "Selected: Oct 2021")
    page.focus(f"#{ids.MONTH} [role=slider]")
    page.keyboard.press("ArrowLeft")
    expect_energy_marker(page, "Selected: Sep 2021")
    # Its text alternative follows, though plotly.js redrew only two opacities (assets/widths.js).
    described = page.get_by_role("figure", name=re.compile("^Bitcoin mining load"))
    expect(described).to_have_accessible_description(re.compile("In Sep 2021, the selected month: Kazakhstan "))
    page.keyboard.press("ArrowLeft")
    expect_energy_marker(page, "Selected: Aug 2021")
    # Aug 2021 is a CBECI measurement-gap month (hashrate_share.csv: China at 0).
    expect(described).to_have_accessible_description(re.compile(r"In Aug 2021, the selected month \(measurement-gap month: overstated\): Kazakhstan "))


def test_keys_and_metric_drawn_ahead_of_the_callback_match_the_slider(page, app_url):
    """A month key or a metric pick is drawn by assets/views.js before dash-renderer passes it
    on: what it draws is where the slider lands (hashrate_share.csv runs Sep 2019 - Jan 2022),
    even for keys pressed faster than the page redraws, and the callback then changes nothing."""
    page.goto(app_url + "/?metric=share&country=KAZ,RUS,USA&month=2021-08")
    wait_until_drawn(page)
    wait_for_frames(page)
    slider = page.locator(f"#{ids.MONTH} [role=slider]")
    title = lambda: page.eval_on_selector(f"#{ids.MAP} .gtitle", "element => element.textContent")  # noqa: E731
    # Whether the map was redrawn within each key's own event (a listener added after the
    # page's runs after it): dash-renderer would redraw it later, in a task of its own.
    page.evaluate("""() => {
        const gd = document.querySelector('#map .js-plotly-plot');
        window.__withinKey = [];
        window.addEventListener('keydown', () => { window.__redrawn = false; }, true);
        gd.on('plotly_afterplot', () => { window.__redrawn = true; });
        window.addEventListener('keydown', () => { window.__withinKey.push(window.__redrawn); });
    }""")
    slider.focus()
    for key, month, shown in (("End", "Jan 2022", 28), ("Home", "Sep 2019", 0), ("ArrowUp", "Oct 2019", 1)):
        page.keyboard.press(key)
        expect(slider).to_have_attribute("aria-valuenow", str(shown))
        page.wait_for_function("month => document.querySelector('#map .gtitle').textContent.includes(month)", arg=month)
        expect_energy_marker(page, f"Selected: {month}")
    assert page.evaluate("window.__withinKey") == [True, True, True]
    for _ in range(3):  # three steps before the page has drawn the first: it ends on the third
        page.keyboard.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuenow", "4")
    page.wait_for_function("() => document.querySelector('#map .gtitle').textContent.includes('Jan 2020')")
    expect_energy_marker(page, "Selected: Jan 2020")
    # dash-renderer writes the address once its callback has run: the map must not move after.
    page.wait_for_function("() => window.location.search.includes('month=2020-01')")
    page.wait_for_timeout(300)
    assert "Jan 2020" in title() and query(page)["month"] == ["2020-01"]
    page.click(f"#{ids.METRIC} input[value=load]")
    page.wait_for_function("() => document.querySelector('#map .gtitle').textContent.includes('load')")
    page.wait_for_function("() => window.location.search.includes('metric=load')")
    page.wait_for_timeout(300)
    assert "Jan 2020" in title() and query(page)["metric"] == ["load"]


def test_no_modebar_button_leaves_the_machine(page, app_url):
    page.add_init_script("window.__opened = []; window.open = (...args) => { window.__opened.push(String(args[0])); return null; };")
    page.goto(app_url + "/")
    wait_until_drawn(page)
    names = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(
        gd => gd._fullLayout._modeBar.buttons.flat().map(b => typeof b === 'string' ? b : b.name))""")
    assert names and not {"sendDataToCloud", "editInChartStudio"} & set(names), names
    for chart in (ids.MAP, ids.SANKEY, ids.ENERGY):
        buttons = page.query_selector_all(f"#{chart} .modebar-btn")
        assert buttons
        for index in range(len(buttons)):
            page.hover(f"#{chart} .js-plotly-plot")
            button = page.query_selector_all(f"#{chart} .modebar-btn")[index]
            if (button.get_attribute("data-title") or "").startswith("Download"):
                with page.expect_download():
                    button.click()
            else:
                button.click()
    assert page.evaluate("window.__opened") == []
    # Off-host requests fail the test in the page fixture (conftest.PageWatch).


def test_copy_link_gives_the_address_of_the_view(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page = context.new_page()
    page.goto(app_url + "/?metric=load&country=KAZ")
    wait_until_drawn(page)
    page.click(f"#{ids.SHARE}")
    page.wait_for_function(f"() => document.getElementById('{ids.SHARE_STATUS}').textContent.includes('metric=load')")
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()
    assert copied == app_url + "/?metric=load&country=KAZ"


def test_the_first_view_draws_with_every_callback_held_back(page, app_url):
    """The page for a link already holds its charts: nothing waits for the server's callbacks."""
    held = []
    page.route("**/_dash-update-component", lambda route: held.append(route))  # never answered
    page.goto(app_url + "/?metric=share&month=2021-10&country=KAZ,RUS")
    wait_until_drawn(page)
    title = page.eval_on_selector(f"#{ids.MAP} .gtitle", "title => title.textContent")
    assert "Oct 2021" in title and "hashrate" in title
    assert map_locations(page) == 2
    expect_energy_marker(page, "Selected: Oct 2021")
    assert "Kazakhstan" in sankey_labels(page) and "Russia" in sankey_labels(page)
    page.unroute("**/_dash-update-component")


def test_back_returns_to_the_previous_filter(page, app_url):
    page.goto(app_url + "/")
    wait_until_drawn(page)
    choose(page, ids.COUNTRIES, "Kazakh", "Kazakhstan (2 flows, 2 farms)")
    page.wait_for_function("() => window.location.search === '?country=KAZ'")
    page.wait_for_function(f"() => !Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'Russia')")
    page.go_back()
    page.wait_for_function(f"() => Array.from(document.querySelectorAll('#{ids.SANKEY} .node-label')).some(n => n.textContent === 'Russia')")
    assert page.evaluate("window.location.search") == ""
    assert "Kazakhstan" not in page.inner_text(f"#{ids.COUNTRIES}")
