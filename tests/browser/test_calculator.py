"""The grid-strain calculator as a reader uses it: set an efficiency, see the chart, the map and
the URL move, with the default model still drawn; type nonsense and see it refused.

Hand-worked expectation (tests/test_calculator.py): Kazakhstan, Aug 2021, 21.85 EH/s × 98 J/TH
= 2.1413 GW.
"""

from __future__ import annotations

import pytest

from components import ids
from tests.browser.pages import query, wait_until_drawn

pytestmark = pytest.mark.browser

AUGUST = "2021-08-15"
ENERGY_VALUE = """([name, day]) => {
    const trace = document.querySelector('#energy .js-plotly-plot')._fullData.find(t => t.name === name);
    if (!trace) return null;
    const at = Array.from(trace.x).findIndex(x => String(x).startsWith(day));
    return Array.from(trace.y)[at];
}"""
MAP_VALUE = """(code) => {
    const trace = document.querySelector('#map .js-plotly-plot')._fullData.find(t => t.type === 'choropleth' && Array.from(t.locations || []).includes(code));
    return trace ? Array.from(trace.z)[Array.from(trace.locations).indexOf(code)] : null;
}"""


def set_efficiency(page, value: str) -> None:
    page.fill(f"#{ids.CALC_EFFICIENCY}", value)
    page.press(f"#{ids.CALC_EFFICIENCY}", "Enter")


def test_setting_an_efficiency_moves_the_chart_the_map_and_the_url(page, app_url):
    page.goto(app_url + "/?metric=load&country=KAZ&month=2021-08")
    wait_until_drawn(page)
    default = page.evaluate(ENERGY_VALUE, ["Kazakhstan (model estimate)", AUGUST])
    assert 1.3 < default < 1.6  # the revised CBECI level: about 1.48 GW
    set_efficiency(page, "98")
    page.wait_for_function("() => window.location.search.includes('eff=98')")
    page.wait_for_function("() => document.querySelector('#energy .js-plotly-plot').data.some(t => t.name === 'Kazakhstan (your assumptions)')")
    wait_until_drawn(page)
    assert page.evaluate(ENERGY_VALUE, ["Kazakhstan (your assumptions)", AUGUST]) == pytest.approx(2.1413, abs=1e-4)
    assert page.evaluate(ENERGY_VALUE, ["Kazakhstan (default model)", AUGUST]) == pytest.approx(default)
    assert page.evaluate(MAP_VALUE, "KAZ") == pytest.approx(2.1413, abs=1e-4)
    assert "98 J/TH" in page.inner_text(f"#{ids.CALC_FORMULA}")
    assert query(page)["metric"] == ["load"] and query(page)["country"] == ["KAZ"]


def test_a_nonsense_efficiency_is_refused_and_the_default_model_kept(page, app_url):
    page.goto(app_url + "/?metric=load&country=KAZ&eff=34")
    wait_until_drawn(page)
    assert page.input_value(f"#{ids.CALC_EFFICIENCY}") == "34"
    set_efficiency(page, "5")
    page.wait_for_function(f"() => document.querySelector('#{ids.CALC_MESSAGE}').innerText.includes('29.55 to 765.69')")
    page.wait_for_function("() => !window.location.search.includes('eff=')")
    page.wait_for_function("() => document.querySelector('#energy .js-plotly-plot').data.some(t => t.name === 'Kazakhstan (model estimate)')")
