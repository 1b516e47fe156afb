"""A table of each chart's data under the chart, following the view while it is open."""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.pages import wait_until_drawn

pytestmark = pytest.mark.browser


def table_text(page, chart: str) -> str:
    return page.inner_text(f"#{chart}-table")


def test_each_chart_has_a_table_of_its_rows_that_follows_the_view(page, app_url):
    page.goto(app_url + "/?country=KAZ,RUS")
    wait_until_drawn(page)
    for chart in (ids.MAP, ids.SANKEY, ids.ENERGY):
        assert page.locator(f"#{chart}-table table").count() == 0  # drawn when first opened
        page.click(f"#{chart}-table-summary")
        page.wait_for_selector(f"#{chart}-table table", state="visible")
    # The FT's figures, as the map and the Sankey draw them (data/flows.csv, flow_totals.csv).
    assert "87,849" in table_text(page, ids.MAP) and "Russia" in table_text(page, ids.MAP)
    sankey = table_text(page, ids.SANKEY)
    assert "80,000" in sankey and "Bitfufu (BitFuFu)" in sankey and "United States" not in sankey
    assert "GW" in table_text(page, ids.ENERGY)
    # The open map table follows the metric, which changes in the browser.
    page.click(f"#{ids.METRIC} input[value=share]")
    page.wait_for_function(f"() => document.getElementById('{ids.MAP}-table').innerText.includes('hashrate')")
    assert "87,849" not in table_text(page, ids.MAP)


def test_month_steps_with_a_table_open_leave_the_last_month_in_the_address(page, app_url):
    """A table open asks the server on each month step; the address still follows the slider
    and keeps one history entry for the filter (the previous month used to come back)."""
    page.goto(app_url + "/?metric=share&month=2021-06&country=KAZ")
    wait_until_drawn(page)
    page.click(f"#{ids.ENERGY}-table-summary")
    entries = page.evaluate("history.length")
    slider = f"#{ids.MONTH} [role=slider]"
    page.focus(slider)
    for _ in range(4):  # quickly, so a table request is still in flight at the next step
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(60)
    # 2021-06 plus four months: 2021-10, in the address, the slider and the open table.
    page.wait_for_function(f"() => document.getElementById('{ids.ENERGY}-table').innerText.includes('2021-10')")
    page.wait_for_timeout(1500)  # any late write to the address would land by now
    assert page.evaluate("location.search") == "?metric=share&month=2021-10&country=KAZ"
    assert page.evaluate("history.length") == entries
