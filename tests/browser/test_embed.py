"""`?embed=map|sankey|energy`: one chart alone, with its title, source line and a link back."""

from __future__ import annotations

import pytest

from components import ids

pytestmark = pytest.mark.browser

#: What each embedded chart draws once it has data.
DRAWN = {"map": ".choroplethlocation", "sankey": ".sankey-link", "energy": ".scatterlayer .trace"}


@pytest.mark.parametrize("chart", sorted(DRAWN))
def test_each_embed_draws_its_chart_alone_with_a_link_to_the_full_view(page, app_url, chart):
    page.goto(f"{app_url}/?embed={chart}&country=KAZ")
    page.wait_for_selector(f"#embed-{chart} {DRAWN[chart]}", timeout=30_000)
    title = page.eval_on_selector(f"#embed-{chart} .gtitle", "title => title.textContent")
    assert title
    annotations = page.eval_on_selector(f"#embed-{chart} .js-plotly-plot", "gd => gd.layout.annotations.map(a => a.text).join(' ')")
    assert "Sources:" in annotations
    link = page.get_by_role("link", name="Open the full view on Rig Flows, with every source")
    assert link.get_attribute("href") == "/?country=KAZ"
    # No controls: no inputs, dropdowns, buttons or sliders outside the chart's own modebar.
    controls = page.eval_on_selector_all("input, select, button, [role=slider], [role=combobox]", "nodes => nodes.filter(n => !n.closest('.modebar')).length")
    assert controls == 0
    for other in {"map", "sankey", "energy"} - {chart}:
        assert page.query_selector(f"#{other}, #embed-{other}") is None
    assert page.query_selector(f"#{ids.COUNTRIES}") is None


def test_a_bad_embed_value_shows_the_full_page_with_a_notice(page, app_url):
    page.goto(f"{app_url}/?embed=bogus")
    page.wait_for_selector(f"#{ids.MAP} .choroplethlocation", timeout=30_000)
    assert "embed" in page.inner_text(f"#{ids.NOTICES}")
