"""The upload in the app, through the Flask test client: the callback as dash-renderer calls it,
the request size only the upload may use, templates, and a server that keeps answering."""

from __future__ import annotations

import base64
import json

import pytest

from app import create_app
from components import ids
from components.hardening import MAX_REQUEST_BYTES
from components.upload import UPLOAD_REQUEST_BYTES
from tests.conftest import DATA_DIR
from tests.dash_requests import callback_body

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
    sync = next(callback for callback in DEPENDENCIES if callback["output"].startswith(f"..{ids.URL}.search"))
    body = callback_body(sync, ["?x=" + "a" * (MAX_REQUEST_BYTES + 10)] + [None] * (len(sync["inputs"]) - 1), state=[None] * len(sync["state"]))
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
SYNC = next(callback for callback in DEPENDENCIES if callback["output"].startswith(f"..{ids.URL}.search"))
BANNER = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.YOUR_DATA}.children")
CSV = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.CSV_FILE}.data")


def sankey_labels(token) -> list[str]:
    """The Sankey's node labels when the page opens with `token` in its session storage."""
    from tests.dash_requests import layout_props

    props = layout_props(CLIENT.get("/_dash-layout").get_json())
    inputs = [token if dep["id"] == ids.UPLOAD_TOKEN else props.get(dep["id"], {}).get(dep["property"]) for dep in SYNC["inputs"]]
    body = callback_body(SYNC, inputs, state=[None] * len(SYNC["state"]), changed=[f"{ids.URL}.search"])
    answer = CLIENT.post("/_dash-update-component", json=body).get_json()["response"]
    return answer[ids.SANKEY]["figure"]["data"][0]["node"]["label"]


def test_a_valid_upload_is_drawn_instead_of_the_bundled_data_with_a_banner():
    token = send(MINE).get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    assert "My Farm Co" in sankey_labels(token) and "BitRiver" in sankey_labels(None)
    banner = CLIENT.post("/_dash-update-component", json=callback_body(BANNER, [token])).get_json()["response"][ids.YOUR_DATA]["children"]
    assert "Your data (not shared)" in json.dumps(banner) and "flows.csv" in json.dumps(banner)
    csv = CLIENT.post("/_dash-update-component", json=callback_body(CSV, [1], state=["", token])).get_json()["response"][ids.CSV_FILE]["data"]["content"]
    assert "My Farm Co" in csv
    # The API serves the bundled data only: an upload never leaves its tab.
    assert "My Farm Co" not in CLIENT.get("/api/v1/view.csv").get_data(as_text=True)


def test_a_forgotten_or_forged_token_draws_the_bundled_data_without_a_banner():
    token = send(MINE).get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    CLIENT.post("/_dash-update-component", json=callback_body(UPLOAD, [None, 1], state=["flows.csv", token], changed=[f"{ids.UPLOAD_FORGET}.n_clicks"]))
    for stale in (token, "A" * 43, "../../data"):
        assert "BitRiver" in sankey_labels(stale) and "My Farm Co" not in sankey_labels(stale)
        assert CLIENT.post("/_dash-update-component", json=callback_body(BANNER, [stale])).get_json()["response"][ids.YOUR_DATA]["children"] is None
