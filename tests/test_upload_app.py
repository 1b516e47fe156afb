"""The upload in the app, through the Flask test client: the callback as dash-renderer calls it,
the request size only the upload may use, templates, and a server that keeps answering."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from app import create_app
from components import ids
from components.hardening import MAX_REQUEST_BYTES
from components.upload import UPLOAD_REQUEST_BYTES
from tests.conftest import DATA_DIR
from tests.dash_requests import callback_body, layout_props

APP = create_app()
CLIENT = APP.server.test_client()
DEPENDENCIES = CLIENT.get("/_dash-dependencies").get_json()
UPLOAD = next(callback for callback in DEPENDENCIES if f"{ids.UPLOAD_RESULT}.children" in callback["output"])
FLOWS = (DATA_DIR / "flows.csv").read_bytes()


def send(raw: bytes, filename: str = "flows.csv", token=None):
    contents = "data:application/octet-stream;base64," + base64.b64encode(raw).decode()
    return CLIENT.post("/_dash-update-component", json=callback_body(UPLOAD, [contents, 0], state=[filename, token]))


def answer_text(response) -> str:
    return json.dumps(response.get_json()["response"][ids.UPLOAD_RESULT]["children"])


def test_a_valid_upload_is_accepted_with_a_token_for_the_tab():
    response = send(FLOWS)
    assert response.status_code == 200
    assert "Accepted: flows.csv (" in answer_text(response)
    token = response.get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    assert isinstance(token, str) and len(token) >= 40


def test_a_file_just_over_5_mb_gets_the_refusal_in_the_page_not_a_413():
    raw = b"a" * (5 * 1024 * 1024 + 100)
    assert len(base64.b64encode(raw)) > MAX_REQUEST_BYTES  # over the limit of every other callback
    response = send(raw)
    assert response.status_code == 200
    assert "5 MB limit" in answer_text(response) and "Nothing was loaded" in answer_text(response)
    assert ids.UPLOAD_TOKEN not in response.get_json()["response"]


def test_a_refused_upload_keeps_the_previous_token():
    assert ids.UPLOAD_TOKEN not in send(b"\x00\x01binary", token="x" * 43).get_json()["response"]


def test_only_the_upload_may_send_a_large_body():
    state = next(callback for callback in DEPENDENCIES if f"{ids.NOTICES}.children" in callback["output"])
    assert state["inputs"][0]["id"] == ids.NAVIGATE
    body = callback_body(state, ["?x=" + "a" * (MAX_REQUEST_BYTES + 10)] + [None] * (len(state["inputs"]) - 1), state=[None] * len(state["state"]))
    response = CLIENT.post("/_dash-update-component", json=body)
    assert response.status_code == 413 and response.get_data(as_text=True).startswith("413")


def test_an_upload_past_the_request_limit_is_a_plain_413_and_the_server_answers_on():
    response = CLIENT.post("/_dash-update-component", data=b"{" + b" " * UPLOAD_REQUEST_BYTES + b"}", content_type="application/json")
    assert response.status_code == 413 and "Traceback" not in response.get_data(as_text=True)
    assert CLIENT.get("/").status_code == 200 and send(FLOWS).status_code == 200


def test_forget_clears_the_token():
    token = send(FLOWS).get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    body = callback_body(UPLOAD, [None, 1], state=["flows.csv", token], changed=[f"{ids.UPLOAD_FORGET}.n_clicks"])
    answer = CLIENT.post("/_dash-update-component", json=body).get_json()["response"]
    assert answer[ids.UPLOAD_TOKEN]["data"] is None and "deleted" in json.dumps(answer)


@pytest.mark.parametrize("name", ["flows", "sources"])
def test_templates_download_with_the_tables_header(name):
    response = CLIENT.get(f"/api/v1/templates/{name}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
    assert CLIENT.get("/api/v1/templates/nope.csv").status_code == 404


# --- "your data": the views drawn from the upload instead of the bundled data -----------------

MINE = FLOWS.replace(b",RUS,BitRiver,", b",RUS,My Farm Co,", 1)
#: The FT's 87,200 machines to the United States (the map's USA value); this upload says 12,345.
FEWER_TO_USA = (DATA_DIR / "flow_totals.csv").read_bytes().replace(b"total_usa,United States,USA,total_tracked,87200,", b"total_usa,United States,USA,total_tracked,12345,", 1)
SOURCES = (DATA_DIR / "sources.csv").read_bytes()
RETITLED = SOURCES.replace(b"China's exiled crypto machines fuel global mining boom", b"My retitled report", 1)
KEYS = layout_props(CLIENT.get("/_dash-layout").get_json())
BANNER = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.YOUR_DATA}.children")
CSV = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.CSV_FILE}.data")


def accepted(raw: bytes, filename: str = "flows.csv") -> str:
    token = send(raw, filename).get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    assert isinstance(token, str)
    return token


def drawn(output: str, part: str, token) -> dict:
    """What the keyed callback writing `output` answers for the page's first view when the
    tab's upload token becomes `token` (an upload, a reload with one, or Forget)."""
    callback = next(callback for callback in DEPENDENCIES if output in callback["output"])
    inputs = [token if dep["id"] == ids.UPLOAD_TOKEN else KEYS[dep["id"]]["data"] for dep in callback["inputs"]]
    body = callback_body(callback, inputs, state=[None] * len(callback["state"]), changed=[f"{ids.UPLOAD_TOKEN}.data"])
    response = CLIENT.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def sankey_labels(token) -> list[str]:
    return drawn(f"{ids.SANKEY}.figure", ids.SANKEY, token)[ids.SANKEY]["figure"]["data"][0]["node"]["label"]


def values(trace: dict) -> list[float]:
    """A trace's z values, plain or as plotly's typed array ({dtype, bdata})."""
    z = trace["z"]
    return list(np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])) if isinstance(z, dict) else z


def machines_to(iso3: str, figure: dict) -> float:
    """The machines map's value for `iso3` in a map figure."""
    trace = next(trace for trace in figure["data"] if trace.get("name") == "Machines")
    return dict(zip(trace["locations"], values(trace)))[iso3]


def sources_text(token) -> str:
    return json.dumps(drawn(f"{ids.SOURCES}.children", ids.SOURCES, token)[ids.SOURCES]["children"])


def test_a_valid_upload_is_drawn_instead_of_the_bundled_data_with_a_banner():
    token = accepted(MINE)
    assert "My Farm Co" in sankey_labels(token) and "BitRiver" in sankey_labels(None)
    banner = CLIENT.post("/_dash-update-component", json=callback_body(BANNER, [token])).get_json()["response"][ids.YOUR_DATA]["children"]
    assert "Your data (not shared)" in json.dumps(banner) and "flows.csv" in json.dumps(banner)
    csv = CLIENT.post("/_dash-update-component", json=callback_body(CSV, [1], state=["", token])).get_json()["response"][ids.CSV_FILE]["data"]["content"]
    assert "My Farm Co" in csv
    # The API serves the bundled data only: an upload never leaves its tab.
    assert "My Farm Co" not in CLIENT.get("/api/v1/view.csv").get_data(as_text=True)


def test_the_map_frames_and_the_served_map_are_drawn_from_the_upload():
    token = accepted(FEWER_TO_USA, "flow_totals.csv")
    bundled, mine = (drawn(f"{ids.frames(ids.MAP)}.data", ids.MAP_FRAMES, t)[ids.frames(ids.MAP)]["data"] for t in (None, token))
    machines = [frames["groups"]["machines"]["base"] for frames in (bundled, mine)]
    assert machines_to("USA", machines[0]) == 87_200 and machines_to("USA", machines[1]) == 12_345
    # Same filter, other data: the label the page compares (assets/views.js) differs, and never shows the token.
    assert bundled["key"] == mine["key"] and bundled["dataset"] != mine["dataset"] and token not in json.dumps(mine)
    served = drawn(f"{ids.served(ids.MAP)}.data", ids.MAP, token)[ids.served(ids.MAP)]["data"]
    assert machines_to("USA", served["figure"]) == 12_345  # the first view is the machines map


def test_the_energy_frames_are_labelled_with_their_data():
    token = accepted(FEWER_TO_USA, "flow_totals.csv")
    labels = {drawn(f"{ids.frames(ids.ENERGY)}.data", ids.ENERGY_FRAMES, t)[ids.frames(ids.ENERGY)]["data"]["dataset"] for t in (None, token, None)}
    assert len(labels) == 2 and "bundled" in labels


def test_the_sources_panel_lists_the_uploads_sources():
    token = accepted(RETITLED, "sources.csv")
    assert "My retitled report" in sources_text(token)
    assert "My retitled report" not in sources_text(None) and "China's exiled crypto machines" in sources_text(None)


def test_a_forgotten_or_forged_token_draws_the_bundled_data_without_a_banner():
    token = accepted(MINE)
    CLIENT.post("/_dash-update-component", json=callback_body(UPLOAD, [None, 1], state=["flows.csv", token], changed=[f"{ids.UPLOAD_FORGET}.n_clicks"]))
    for stale in (token, "A" * 43, "../../data"):
        assert "BitRiver" in sankey_labels(stale) and "My Farm Co" not in sankey_labels(stale)
        assert CLIENT.post("/_dash-update-component", json=callback_body(BANNER, [stale])).get_json()["response"][ids.YOUR_DATA]["children"] is None
