"""The calculator's callback, driven the way dash-renderer drives it: controls write the URL,
a link sets the controls, and nonsense is refused with a message."""

from __future__ import annotations

import pytest

from app import create_app
from components import ids
from tests.dash_requests import callback_body

APP = create_app()
CLIENT = APP.server.test_client()
CALLBACK = next(callback for callback in CLIENT.get("/_dash-dependencies").get_json() if f"{ids.CALC_FORMULA}.children" in callback["output"])
INPUTS = [ids.URL, ids.CALC_PRESET, ids.CALC_EFFICIENCY, ids.CALC_PUE, ids.CALC_VERSION]


def run(changed: str | None, search="", preset="cbeci", efficiency=None, pue=1.0, version="revised_2023") -> dict:
    prop = {ids.URL: "search"}.get(changed, "value")
    body = callback_body(CALLBACK, [search, preset, efficiency, pue, version], changed=[f"{changed}.{prop}"] if changed else [])
    response = CLIENT.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    if response.status_code == 204:
        return {}
    answer = response.get_json()["response"]
    return {component: props for component, props in answer.items()}


def test_opening_a_link_sets_the_controls_and_the_formula():
    out = run(None, search="?metric=strain&eff=34&pue=1.1")
    assert out[ids.CALC_PRESET]["value"] == "custom"
    assert out[ids.CALC_EFFICIENCY]["value"] == 34 and out[ids.CALC_PUE]["value"] == 1.1
    assert "34 J/TH × overhead 1.1" in out[ids.CALC_FORMULA]["children"]
    assert ids.URL not in out  # the link is already the state


def test_a_preset_writes_its_efficiency_into_the_url():
    out = run(ids.CALC_PRESET, search="?metric=load", preset="s9_era")
    assert out[ids.URL]["search"] == "?metric=load&eff=98"  # the S9 bins of CCAF's list: 98 J/TH
    assert out[ids.CALC_EFFICIENCY]["value"] == 98


def test_overhead_and_version_keep_the_rest_of_the_view():
    out = run(ids.CALC_PUE, search="?metric=load&country=KAZ", pue=1.2, version="v1")
    assert out[ids.URL]["search"] == "?metric=load&country=KAZ&cbeci=v1&pue=1.2"


@pytest.mark.parametrize("typed", ["abc", 5, 100000, -3])
def test_a_nonsense_efficiency_is_refused_with_a_message_and_the_default_kept(typed):
    out = run(ids.CALC_EFFICIENCY, search="?metric=load&eff=34", preset="custom", efficiency=typed)
    assert out[ids.URL]["search"] == "?metric=load"
    assert "29.55 to 765.69" in out[ids.CALC_MESSAGE]["children"]
