"""GET /api/v1/presskit.json through the Flask test client: the view of the query, a bad value
falling back with a notice, read-only, no trace."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app import create_app

CLIENT = create_app().server.test_client()
URL = "/api/v1/presskit.json"


def test_answers_the_view_of_the_query():
    response = CLIENT.get(URL + "?country=KAZ&firm=Bitfufu%20(BitFuFu)")
    assert response.status_code == 200 and response.mimetype == "application/json"
    kit = response.get_json()
    assert kit["link"] == "http://localhost/?country=KAZ&firm=Bitfufu+%28BitFuFu%29"
    assert kit["notices"] == []
    assert kit["charts"]["sankey"]["filters"] == "Kazakhstan; firm Bitfufu (BitFuFu)"
    assert "Bitfufu (BitFuFu) to Kazakhstan 80,000" in kit["files"]["sankey-alt-text.txt"]
    assert json.loads(kit["files"]["citation.json"])[0]["URL"] == kit["link"]


def test_a_bad_value_falls_back_and_says_so():
    kit = CLIENT.get(URL + "?country=XXX&metric=nope").get_json()
    assert kit["link"] == "http://localhost/"
    assert any("XXX" in notice for notice in kit["notices"]) and any("nope" in notice for notice in kit["notices"])


def test_is_read_only():
    assert CLIENT.post(URL).status_code == 405


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_query_gets_json_never_a_trace(query):
    response = CLIENT.get(URL, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert "Traceback" not in response.get_data(as_text=True)
