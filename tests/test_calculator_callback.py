"""The calculator driven the way dash-renderer drives it: a link sets the controls, a control
change goes through the state callback into the view (the FILTER Store the page writes the URL
from, and the charts' keys), and nonsense is refused with a message."""

from __future__ import annotations

import pytest

from app import create_app
from components import ids
from tests.dash_requests import callback_body, layout_props

APP = create_app()
CLIENT = APP.server.test_client()
STATE_CALLBACK = next(callback for callback in CLIENT.get("/_dash-dependencies").get_json() if f"{ids.CALC_FORMULA}.children" in callback["output"])


def page(query: str) -> dict:
    """The props of every component of the page opened at `query`."""
    response = CLIENT.get("/_dash-layout", headers={"Referer": f"http://127.0.0.1/{query}"})
    assert response.status_code == 200
    return layout_props(response.get_json())


def change(query: str, control: str, value) -> dict:
    """Open `query`, set calculator `control` to `value`: the state callback's answer."""
    props = page(query)
    props[control] = {**props[control], "value": value}
    inputs = [props.get(dep["id"], {}).get(dep["property"]) for dep in STATE_CALLBACK["inputs"]]
    state = [props.get(dep["id"], {}).get(dep["property"]) for dep in STATE_CALLBACK["state"]]
    response = CLIENT.post("/_dash-update-component", json=callback_body(STATE_CALLBACK, inputs, state=state, changed=[f"{control}.value"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def test_opening_a_link_sets_the_controls_and_the_formula():
    props = page("?metric=strain&eff=34&pue=1.1")
    assert props[ids.CALC_PRESET]["value"] == "custom"
    assert props[ids.CALC_EFFICIENCY]["value"] == 34 and props[ids.CALC_PUE]["value"] == 1.1
    assert "34 J/TH × overhead 1.1" in props[ids.CALC_FORMULA]["children"]


def test_a_preset_writes_its_efficiency_into_the_view():
    out = change("?metric=load", ids.CALC_PRESET, "s9_era")
    assert out[ids.FILTER]["data"]["tail"] == "eff=98"  # the S9 bins of CCAF's list: 98 J/TH
    assert out[ids.CALC_EFFICIENCY]["value"] == 98
    assert "eff=98" in out[ids.key(ids.ENERGY_FRAMES)]["data"] and "eff=98" in out[ids.key(ids.MAP_FRAMES)]["data"]


def test_overhead_and_version_keep_the_rest_of_the_view():
    out = change("?metric=load&country=KAZ&cbeci=v1", ids.CALC_PUE, 1.2)
    assert out[ids.FILTER]["data"]["tail"] == "country=KAZ&cbeci=v1&pue=1.2"
    assert ids.METRIC not in out  # the metric (load) is kept: nothing to send


@pytest.mark.parametrize("typed", ["abc", 5, 100000, -3])
def test_a_nonsense_efficiency_is_refused_with_a_message_and_the_default_kept(typed):
    out = change("?metric=load&eff=34", ids.CALC_EFFICIENCY, typed)
    assert out[ids.FILTER]["data"]["tail"] == ""
    assert "29.55 to 765.69" in out[ids.CALC_MESSAGE]["children"]


def test_a_typed_share_goes_into_the_view_and_the_formula():
    out = change("?metric=load&country=KAZ", ids.CALC_SHARES, "kaz:2021-08:18")
    assert out[ids.FILTER]["data"]["tail"] == "country=KAZ&share=KAZ:2021-08:18"
    assert out[ids.CALC_SHARES]["value"] == "KAZ:2021-08:18"  # written back as the URL writes it
    assert "KAZ in 2021-08: 18 %" in out[ids.CALC_FORMULA]["children"]
    assert "share=KAZ:2021-08:18" in out[ids.key(ids.ENERGY_FRAMES)]["data"]


def test_shares_over_100_percent_are_refused_with_a_message():
    out = change("?metric=load&share=KAZ:2021-08:18", ids.CALC_SHARES, "KAZ:2021-08:70,USA:2021-08:40")
    assert out[ids.FILTER]["data"]["tail"] == ""
    assert "together they make 110 %" in out[ids.CALC_MESSAGE]["children"]
    assert out[ids.CALC_SHARES]["value"] == ""


def test_a_link_with_a_share_fills_the_share_field():
    assert page("?metric=load&share=KAZ:2021-08:18")[ids.CALC_SHARES]["value"] == "KAZ:2021-08:18"
