"""The data API through the Flask test client: the same rows as the page's CSV for the same
URL, the page's notices as a 400, citation and data version, and CSVs a spreadsheet cannot run."""

from __future__ import annotations

import io
import json
import os
from unittest import mock

import pandas as pd
import pytest

from app import create_app
from components import ids
from rigflows.api import csv_text, data_version, looks_like_formula
from rigflows.schema import TABLE_NAMES
from tests.conftest import DATA_DIR, edit_table
from tests.dash_requests import callback_body, layout_props

with mock.patch.dict(os.environ):
    os.environ.pop("RIGFLOWS_DEBUG", None)
    APP = create_app()
CLIENT = APP.server.test_client()
DEPENDENCIES = CLIENT.get("/_dash-dependencies").get_json()

VIEWS = [
    "",
    "?country=KAZ&month=2021-10",
    "?metric=share&month=2021-10&country=KAZ,RUS",
    "?metric=strain&month=2022-01&farms=1",
    "?firm=BitRiver&remainders=0",
    "?metric=load&month=2021-09&country=USA&firm=Bitmain",
]


def callback_for(output: str) -> dict:
    return next(callback for callback in DEPENDENCIES if callback["output"] == output)


def page_csv(search: str) -> dict:
    """What the page's "Download data (CSV)" button sends the browser for a URL."""
    callback = callback_for(f"{ids.CSV_FILE}.data")
    response = CLIENT.post("/_dash-update-component", json=callback_body(callback, [1], state=[search, None, None]))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"][ids.CSV_FILE]["data"]


def page_notices(search: str) -> list[str]:
    """The notices the page shows when a reader opens `search`: the layout dash-renderer fetches
    for that page (it sends the page's address as Referer) holds them from the first paint."""
    layout = CLIENT.get("/_dash-layout", headers={"Referer": f"http://localhost/{search}"}).get_json()
    notices = layout_props(layout)[ids.NOTICES]["children"]
    return [item["props"]["children"] for item in notices["props"]["children"]] if notices else []


@pytest.mark.parametrize("search", VIEWS)
def test_the_api_serves_the_rows_of_the_pages_csv_for_the_same_url(search):
    download = page_csv(search)
    response = CLIENT.get(f"/api/v1/view.csv{search}")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == download["content"]
    assert f'filename="{download["filename"]}"' in response.headers["Content-Disposition"]
    as_json = CLIENT.get(f"/api/v1/view.json{search}").get_json()
    expected = pd.read_csv(io.StringIO(download["content"]), keep_default_na=False)
    assert as_json["columns"] == list(expected.columns)
    assert len(as_json["rows"]) == len(expected) > 0
    assert [row["view"] for row in as_json["rows"]] == list(expected["view"])


def test_kazakhstans_row_is_the_ft_total_of_bitfufu_and_bit_mining():
    rows = pd.read_csv(io.StringIO(CLIENT.get("/api/v1/view.csv?country=KAZ&month=2021-10").get_data(as_text=True)))
    kaz = rows[(rows["view"] == "map") & (rows["iso3"] == "KAZ")]
    assert kaz["value"].tolist() == [80_000 + 7_849]  # FT: Bitfufu 80,000 + BIT Mining 7,849
    assert kaz["sources"].str.contains("Financial Times|FT", regex=True).all()
    # Every chart of the view: Kazakhstan has model loads, reported loads and grid events (grid_reports.csv).
    assert {"map", "sankey", "energy model", "energy reported", "energy event"} <= set(rows["view"])


def test_pandas_reads_the_api_in_one_line_as_the_readme_shows():
    # The README's one-liner, with the test client standing in for the URL.
    frame = pd.read_csv(io.BytesIO(CLIENT.get("/api/v1/view.csv?country=KAZ&month=2021-10").data))
    assert {"view", "iso3", "value", "sources"} <= set(frame.columns)


@pytest.mark.parametrize("search", ["?month=1999-01", "?country=XXX", "?metric=bogus&farms=maybe", "?colour=red", "?country=" + "A" * 5000])
def test_bad_parameters_are_a_400_with_the_pages_notices(search):
    expected = page_notices(search)
    assert expected, "the page shows a notice for this URL"
    as_text = CLIENT.get(f"/api/v1/view.csv{search}")
    assert as_text.status_code == 400 and as_text.mimetype == "text/plain"
    assert as_text.get_data(as_text=True).splitlines()[1:] == expected
    as_json = CLIENT.get(f"/api/v1/view.json{search}")
    assert as_json.status_code == 400 and as_json.get_json()["notices"] == expected
    for response in (as_text, as_json):
        assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/v1/tables/nope.csv", "/api/v1/tables/..%2Fapp.csv", "/api/v1/tables/flows.xlsx", "/api/v1/view.xml", "/api/v1/tables/", "/api/v2/"])
def test_unknown_tables_and_formats_are_a_plain_404(path):
    response = CLIENT.get(path)
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_api_is_read_only():
    assert CLIENT.post("/api/v1/tables/flows.csv", data="x").status_code == 405
    assert CLIENT.delete("/api/v1/view.json").status_code == 405


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/view.csv", "/api/v1/view.json?country=RUS", "/api/v1/tables/sources.csv", "/api/v1/view.csv?month=nope"])
def test_every_answer_carries_the_apps_security_headers_and_the_data_version(path):
    response = CLIENT.get(path)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Data-Version"] == data_version(DATA_DIR)


def test_csv_and_json_carry_the_citation_and_version():
    csv_response = CLIENT.get("/api/v1/view.csv?country=KAZ")
    assert "Rig Flows" in csv_response.headers["X-Citation"] and data_version(DATA_DIR) in csv_response.headers["X-Citation"]
    body = CLIENT.get("/api/v1/view.json?country=KAZ").get_json()
    assert body["citation"] == csv_response.headers["X-Citation"]
    assert body["data_version"] == data_version(DATA_DIR) and body["query"] == "?country=KAZ"
    index = CLIENT.get("/api/v1/").get_json()
    assert set(index["tables"]) == set(TABLE_NAMES) and index["citation"]
    assert CLIENT.get(index["example"]).status_code == 200


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_each_table_is_served_as_its_file_holds_it(name):
    served = pd.read_csv(io.StringIO(CLIENT.get(f"/api/v1/tables/{name}.csv").get_data(as_text=True)))
    on_disk = pd.read_csv(DATA_DIR / f"{name}.csv")
    pd.testing.assert_frame_equal(served, on_disk, check_dtype=False)
    as_json = CLIENT.get(f"/api/v1/tables/{name}.json").get_json()
    assert as_json["table"] == name and len(as_json["rows"]) == len(on_disk)
    if "source_ids" in on_disk:  # a list in JSON, 'a;b' as in the file in CSV
        assert [row["source_ids"] for row in as_json["rows"]] == [cell.split(";") for cell in on_disk["source_ids"]]


def test_the_data_version_follows_the_files_bytes(data_copy):
    assert data_version(data_copy) == data_version(DATA_DIR)
    edit_table(data_copy, "flows", lambda frame: frame.assign(note=frame["note"].where(frame.index != 0, "changed")))
    assert data_version(data_copy) != data_version(DATA_DIR)


@pytest.mark.parametrize(
    ("cell", "formula"),
    [("=1+1", True), ("+cmd|' /C calc'!A0", True), ("-2+3", True), ("@SUM(A1)", True), ("\tx", True), ("\rx", True),
     ("-110.67661", False), ("+7", False), ("1e-3", False), ("BitRiver", False), ("a=b", False), ("", False)],
)
def test_formula_like_cells_are_recognised(cell, formula):
    assert looks_like_formula(cell) is formula


def test_csv_text_makes_formulas_plain_text_and_keeps_numbers():
    frame = pd.DataFrame({"note": ["=HYPERLINK(\"http://evil\",\"x\")", "-110.5", "fine", None], "value": [-1.5, 2.0, None, 3.0]})
    rows = pd.read_csv(io.StringIO(csv_text(frame)), dtype={"note": str}, keep_default_na=False, na_values={"value": [""]})
    assert rows["note"].tolist() == ["'=HYPERLINK(\"http://evil\",\"x\")", "-110.5", "fine", ""]
    assert rows["value"].tolist()[:2] == [-1.5, 2.0]


def test_a_formula_in_the_data_is_neutralised_in_the_api_and_in_the_pages_csv(data_copy):
    formula = '=HYPERLINK("http://127.0.0.1/x","click")'
    edit_table(data_copy, "flows", lambda frame: frame.assign(note=frame["note"].where(frame["flow_id"] != "kaz_bitfufu", formula)))
    app = create_app(data_copy)
    client = app.server.test_client()
    table = pd.read_csv(io.StringIO(client.get("/api/v1/tables/flows.csv").get_data(as_text=True)), keep_default_na=False)
    assert table.loc[table["flow_id"] == "kaz_bitfufu", "note"].tolist() == ["'" + formula]
    view = client.get("/api/v1/view.csv?country=KAZ").get_data(as_text=True)
    notes = pd.read_csv(io.StringIO(view), keep_default_na=False)["notes"]
    assert "'" + formula in set(notes) and not notes.str.startswith("=").any()
    callback = next(c for c in client.get("/_dash-dependencies").get_json() if c["output"] == f"{ids.CSV_FILE}.data")
    download = client.post("/_dash-update-component", json=callback_body(callback, [1], state=["?country=KAZ", None, None])).get_json()
    assert download["response"][ids.CSV_FILE]["data"]["content"] == view
    # JSON is data, not a spreadsheet: served as written.
    rows = client.get("/api/v1/tables/flows.json").get_json()["rows"]
    assert [row["note"] for row in rows if row["flow_id"] == "kaz_bitfufu"] == [formula]
    assert json.dumps(rows)
