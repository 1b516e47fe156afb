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


def test_the_templates_page_documents_every_column_and_links_each_template():
    page = CLIENT.get("/api/v1/templates/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    # data/README.md's meaning of a column, escaped, and each table's template link.
    assert "<code>source_ids</code>" in text and 'href="flows.csv"' in text and 'href="farms.csv"' in text
    assert "<script" not in text
    assert CLIENT.get("/api/v1/templates/flows.csv").status_code == 200


# --- "your data": the views drawn from the upload instead of the bundled data -----------------

MINE = FLOWS.replace(b",RUS,BitRiver,", b",RUS,My Farm Co,", 1)
#: The FT's 87,200 machines to the United States (the map's USA value); this upload says 12,345.
FEWER_TO_USA = (DATA_DIR / "flow_totals.csv").read_bytes().replace(b"total_usa,United States,USA,total_tracked,87200,", b"total_usa,United States,USA,total_tracked,12345,", 1)
SOURCES = (DATA_DIR / "sources.csv").read_bytes()
RETITLED = SOURCES.replace(b"China's exiled crypto machines fuel global mining boom", b"My retitled report", 1)
KEYS = layout_props(CLIENT.get("/_dash-layout").get_json())
#: The Store of the machines map's frames (the map has one per metric).
MACHINES_FRAMES = ids.frames(ids.MAP, "machines")
BANNER = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.YOUR_DATA}.children")
CSV = next(callback for callback in DEPENDENCIES if callback["output"] == f"{ids.CSV_FILE}.data")


def accepted(raw: bytes, filename: str = "flows.csv") -> str:
    token = send(raw, filename).get_json()["response"][ids.UPLOAD_TOKEN]["data"]
    assert isinstance(token, str)
    return token


def drawn(output: str, part: str, token, mode: str = "instead", query: str | None = None) -> dict:
    """What the keyed callback writing `output` answers for the page's first view (or the key
    `query`) when the tab's upload token becomes `token` (an upload, a reload with one, or
    Forget), drawn `mode` ("instead" of the bundled data or "beside" it)."""
    callback = next(callback for callback in DEPENDENCIES if output in callback["output"])
    given = {ids.UPLOAD_TOKEN: token, ids.UPLOAD_MODE: mode, ids.PAINTED: True}
    inputs = [given[dep["id"]] if dep["id"] in given else (query if query is not None else KEYS[dep["id"]]["data"]) for dep in callback["inputs"]]
    body = callback_body(callback, inputs, state=[None] * len(callback["state"]), changed=[f"{ids.UPLOAD_TOKEN}.data"])
    response = CLIENT.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def sankey_labels(token, mode: str = "instead") -> list[str]:
    return drawn(f"{ids.SANKEY}.figure", ids.SANKEY, token, mode)[ids.SANKEY]["figure"]["data"][0]["node"]["label"]


def banner(token, mode: str = "instead"):
    return CLIENT.post("/_dash-update-component", json=callback_body(BANNER, [token, mode])).get_json()["response"][ids.YOUR_DATA]["children"]


def csv_download(token, mode: str = "instead", search: str = "") -> str:
    return CLIENT.post("/_dash-update-component", json=callback_body(CSV, [1], state=[search, token, mode])).get_json()["response"][ids.CSV_FILE]["data"]["content"]


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
    text = json.dumps(banner(token))
    assert "Your data (not shared)" in text and "flows.csv" in text and "instead of the bundled data" in text
    csv = csv_download(token)
    assert "My Farm Co" in csv
    assert csv.startswith("layer,") and "\nbundled," not in csv  # every row is the upload's
    # The API serves the bundled data only: an upload never leaves its tab.
    assert "My Farm Co" not in CLIENT.get("/api/v1/view.csv").get_data(as_text=True)


def test_the_map_frames_are_drawn_from_the_upload():
    token = accepted(FEWER_TO_USA, "flow_totals.csv")
    bundled, mine = (drawn(f"{MACHINES_FRAMES}.data", ids.MAP_FRAMES, t)[MACHINES_FRAMES]["data"] for t in (None, token))
    machines = [frames["groups"]["machines"]["base"] for frames in (bundled, mine)]
    assert machines_to("USA", machines[0]) == 87_200 and machines_to("USA", machines[1]) == 12_345
    # Same filter, other data: the label the page compares (assets/views.js) differs, and never shows the token.
    assert bundled["key"] == mine["key"] and bundled["dataset"] != mine["dataset"] and token not in json.dumps(mine)


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
        assert banner(stale) is None and banner(stale, "beside") is None


# --- "your data" beside the bundled data: a marked layer, never added in --------------------

#: The bundled flows plus one of the reader's own: 1,234 machines from a seller and to a farm
#: the bundled data does not name, to Paraguay (where the FT reported no count).
BESIDE = FLOWS.rstrip(b"\n") + b"\nreader_pry,Reader Seller Ltd,mining_firm,PRY,Reader Farm SA,,1234,,,exact,2021-06,2021-09,,,relocation,single_report,,ft_exiled_machines,A reader's row.\n"


def test_beside_the_bundled_data_the_uploads_flows_are_their_own_marked_sankey_nodes():
    token = accepted(BESIDE)
    labels = sankey_labels(token, "beside")
    # The bundled nodes unchanged, and the upload's as their own nodes, marked.
    assert {"BitRiver", "Russia", "Kazakhstan"} <= set(labels)
    assert {"Reader Seller Ltd (your data)", "Paraguay (your data)", "Reader Farm SA (your data)", "BitRiver (your data)"} <= set(labels)
    assert "Reader Farm SA" not in labels and "Paraguay" not in labels  # never unmarked
    # Instead of the bundled data: the same upload, unmarked, alone.
    assert "Reader Farm SA" in sankey_labels(token) and "Reader Farm SA (your data)" not in sankey_labels(token)
    assert "beside the bundled data" in json.dumps(banner(token, "beside"))


def test_beside_the_bundled_data_the_map_keeps_the_bundled_values_and_marks_the_uploads():
    token = accepted(FEWER_TO_USA, "flow_totals.csv")
    frames = drawn(f"{MACHINES_FRAMES}.data", ids.MAP_FRAMES, token, "beside")[MACHINES_FRAMES]["data"]
    machines = frames["groups"]["machines"]["base"]
    assert machines_to("USA", machines) == 87_200  # the bundled figure, not the reader's, not a sum
    layer = next(trace for trace in machines["data"] if trace.get("name") == "Your data")
    hover = dict(zip(layer["customdata"], layer["hovertext"]))
    assert "12,345 machines" in hover["USA"] and "(your data)" in hover["USA"]
    assert frames["dataset"].startswith("upload-beside-") and token not in json.dumps(frames)
    # The share map draws no table of this upload: no markers there.
    share_frames = ids.frames(ids.MAP, "share")
    share = drawn(f"{share_frames}.data", ids.MAP_FRAMES, token, "beside")[share_frames]["data"]["groups"]["share"]["base"]
    assert not [trace for trace in share["data"] if trace.get("name") == "Your data"]


def test_beside_the_bundled_data_the_csv_says_which_layer_each_row_comes_from():
    import io

    import pandas as pd

    token = accepted(BESIDE)
    table = pd.read_csv(io.StringIO(csv_download(token, "beside")), keep_default_na=False)
    assert list(table.columns[:2]) == ["layer", "view"]
    assert set(table["layer"]) == {"bundled", "your data"}
    mine = table[(table["layer"] == "your data") & (table["view"] == "sankey")]
    assert ((mine["from"] == "Reader Seller Ltd") & (mine["to"] == "Paraguay") & (mine["value"] == "1234")).any()
    bundled = table[table["layer"] == "bundled"]
    assert not bundled["from"].eq("Reader Seller Ltd").any()
    # The bundled map's Russia is the FT's figure; the reader's flows of this upload change no map value.
    assert set(table.loc[table["layer"] == "your data", "view"]) <= {"map", "sankey", "reported without a count"}


def test_filters_offer_the_names_only_the_upload_has_and_keep_them():
    token = accepted(BESIDE)
    state_callback = next(callback for callback in DEPENDENCIES if f"{ids.NOTICES}.children" in callback["output"])
    props = dict(KEYS)
    for mode in ("instead", "beside"):
        given = {ids.UPLOAD_TOKEN: token, ids.UPLOAD_MODE: mode, ids.FIRMS: ["Reader Farm SA"]}
        inputs = [given.get(dep["id"], props.get(dep["id"], {}).get(dep["property"])) for dep in state_callback["inputs"]]
        state = [props.get(dep["id"], {}).get(dep["property"]) for dep in state_callback["state"]]
        answer = CLIENT.post("/_dash-update-component", json=callback_body(state_callback, inputs, state=state, changed=[f"{ids.FIRMS}.value"])).get_json()["response"]
        assert answer[ids.FILTER]["data"]["tail"] == "firm=Reader+Farm+SA", mode
        firms = [option["value"] for option in answer[ids.FIRMS]["options"]]
        assert "Reader Farm SA" in firms and not answer[ids.NOTICES]["children"]
    # Without the upload the same name is refused, as any unknown name.
    given = {ids.UPLOAD_TOKEN: None, ids.UPLOAD_MODE: "beside", ids.FIRMS: ["Reader Farm SA"]}
    inputs = [given.get(dep["id"], props.get(dep["id"], {}).get(dep["property"])) for dep in state_callback["inputs"]]
    state = [props.get(dep["id"], {}).get(dep["property"]) for dep in state_callback["state"]]
    answer = CLIENT.post("/_dash-update-component", json=callback_body(state_callback, inputs, state=state, changed=[f"{ids.FIRMS}.value"])).get_json()["response"]
    assert "Reader Farm SA" in json.dumps(answer[ids.NOTICES]["children"])


def test_a_filter_on_an_upload_only_firm_draws_the_uploads_flows():
    token = accepted(BESIDE)
    for mode, label in (("instead", "Reader Farm SA"), ("beside", "Reader Farm SA (your data)")):
        figure = drawn(f"{ids.SANKEY}.figure", ids.SANKEY, token, mode, query="?firm=Reader Farm SA")[ids.SANKEY]["figure"]
        assert label in figure["data"][0]["node"]["label"], mode


def test_the_press_kit_of_a_tab_with_an_upload_carries_its_layer():
    token = accepted(BESIDE)
    kit = CLIENT.get("/api/v1/presskit.json", headers={"X-Rigflows-Upload": token, "X-Rigflows-Layer": "beside"}).get_json()
    csv = next(text for name, text in kit["files"].items() if name.endswith(".csv"))
    assert csv.startswith("layer,") and "\nbundled," in csv and "\nyour data,sankey,machines,,,,Reader Seller Ltd,Paraguay," in csv
    assert "beside the bundled data" in kit["files"]["your-data.txt"]
    for headers in ({}, {"X-Rigflows-Upload": "A" * 43, "X-Rigflows-Layer": "beside"}):  # no upload, or a forged key
        kit = CLIENT.get("/api/v1/presskit.json", headers=headers).get_json()
        assert "Reader Seller Ltd" not in json.dumps(kit) and "your-data.txt" not in kit["files"]


def test_choosing_beside_changes_no_part_of_the_link():
    token = accepted(BESIDE)
    state_callback = next(callback for callback in DEPENDENCIES if f"{ids.NOTICES}.children" in callback["output"])
    given = {ids.UPLOAD_TOKEN: token, ids.UPLOAD_MODE: "beside"}
    inputs = [given.get(dep["id"], KEYS.get(dep["id"], {}).get(dep["property"])) for dep in state_callback["inputs"]]
    state = [KEYS.get(dep["id"], {}).get(dep["property"]) for dep in state_callback["state"]]
    answer = CLIENT.post("/_dash-update-component", json=callback_body(state_callback, inputs, state=state, changed=[f"{ids.UPLOAD_MODE}.value"])).get_json()["response"]
    assert answer[ids.FILTER]["data"]["tail"] == ""  # the page's URL stays the bundled view's
    assert token not in json.dumps(answer) and "beside" not in json.dumps(answer[ids.FILTER])
    assert "Reader Farm SA (1 flow) (your data)" in [option["label"] for option in answer[ids.FIRMS]["options"]]
