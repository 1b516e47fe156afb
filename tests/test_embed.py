"""`?embed=`: a page setting parsed in rigflows.state; a bad value falls back with a notice; the
link back to the full view follows the app's path prefix."""

from __future__ import annotations

import os
from unittest import mock

import pytest

from app import create_app
from components import ids
from rigflows.select import vocabulary
from rigflows.state import parse_embed, parse_query
from tests.dash_requests import layout_props, walk


def test_embed_names_one_chart_and_is_not_part_of_the_view(dataset):
    assert parse_embed("?embed=map&country=KAZ") == ("map", [])
    assert parse_embed("?embed=Sankey") == ("sankey", [])
    assert parse_embed("?country=KAZ") == (None, [])
    state, notices = parse_query("?embed=energy&country=KAZ", vocabulary(dataset))
    assert notices == [] and state.to_query(vocabulary(dataset).default_month) == "?country=KAZ"


def test_an_unknown_embed_falls_back_to_the_full_page_with_a_notice():
    chart, notices = parse_embed("?embed=<script>")
    assert chart is None
    assert len(notices) == 1 and "embed" in notices[0] and "map, sankey, energy" in notices[0]


PREFIX = "/news/rigflows/"


@pytest.fixture(scope="module")
def prefixed_client():
    """The app as served under a path prefix (Dash's own setting, read from its environment)."""
    with mock.patch.dict(os.environ, {"DASH_URL_BASE_PATHNAME": PREFIX}):
        app = create_app()
    return app.server.test_client()


def page_layout(client, address: str) -> dict:
    """What dash-renderer draws for `address`: the page, then its layout (asked with the page as Referer)."""
    assert client.get(address).status_code == 200
    answer = client.get(PREFIX + "_dash-layout", headers={"Referer": "http://127.0.0.1" + address})
    assert answer.status_code == 200
    return answer.get_json()


def test_an_embed_under_a_path_prefix_links_to_the_full_view_under_that_prefix(prefixed_client):
    embed = page_layout(prefixed_client, PREFIX + "?embed=sankey&country=KAZ")
    links = [node["props"] for node in walk(embed) if node.get("type") == "A"]
    assert [link["href"] for link in links] == [PREFIX + "?country=KAZ"]
    # Followed, the link opens the full page of the same view; the old plain "/" is not the app.
    full = layout_props(page_layout(prefixed_client, links[0]["href"]))
    assert full[ids.COUNTRIES]["value"] == ["KAZ"] and ids.SANKEY in full
    assert prefixed_client.get("/?country=KAZ").status_code == 404


def test_the_data_api_and_the_templates_live_under_the_path_prefix(prefixed_client):
    """A newsroom serving the app under a path forwards only that path to it: the API, the
    templates and the links to them must be under it too."""
    index = prefixed_client.get(PREFIX + "api/v1/")
    assert index.status_code == 200
    listed = index.get_json()
    assert listed["tables"]["flows"] == PREFIX + "api/v1/tables/flows.csv"
    assert PREFIX + "api/v1/tables/sources.csv" in listed["citation"] and PREFIX + "api/v1/tables/sources.csv" in index.headers["X-Citation"]
    view = prefixed_client.get(PREFIX + "api/v1/view.csv?country=KAZ")
    assert view.status_code == 200 and view.data.decode().startswith("view,")
    assert prefixed_client.get(PREFIX + "api/v1/tables/flows.json").get_json()["table"] == "flows"
    assert prefixed_client.get(PREFIX + "api/v1/nothing").status_code == 404
    assert prefixed_client.get("/api/v1/").status_code == 404
    # The upload card links to the templates under the prefix, and they are served there.
    page = page_layout(prefixed_client, PREFIX)
    links = [node["props"]["href"] for node in walk(page) if node.get("type") == "A" and "templates/" in node["props"].get("href", "")]
    assert PREFIX + "api/v1/templates/" in links and PREFIX + "api/v1/templates/flows.csv" in links
    assert all(prefixed_client.get(link).status_code == 200 for link in links)
