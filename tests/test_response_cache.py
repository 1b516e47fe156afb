"""The pure callbacks' answers and the page's layout are kept as sent, per request, bounded in
bytes; an upload's answers and the side-effect callbacks are never kept."""

from __future__ import annotations

import gzip
import json

import brotli

from app import create_app
from components import ids
from components.response_cache import ResponseCache
from components.views import state_keys
from rigflows.state import ViewState
from tests.dash_requests import callback_body

APP = create_app()
CLIENT = APP.server.test_client()
CACHE = APP.server.extensions["rigflows_response_cache"]
CALLBACKS = {callback["output"]: callback for callback in CLIENT.get("/_dash-dependencies").get_json()}


def test_the_oldest_answers_go_first_once_the_bytes_are_spent():
    cache = ResponseCache(max_bytes=10)
    cache.put("a", b"1234", {})
    cache.put("b", b"5678", {})
    assert cache.get("a") == (b"1234", {})  # now the most recently used
    cache.put("c", b"90ab", {})  # 12 bytes: "b", the least recently used, goes
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 8
    cache.put("huge", b"x" * 11, {})  # larger than the whole cache: not kept, nothing dropped
    assert cache.get("huge") is None and cache.size == 8


def frames_body(country: str, token=None) -> dict:
    callback = CALLBACKS[f"{ids.frames(ids.MAP, 'share')}.data"]
    key = state_keys(ViewState(countries=(country,)))[ids.MAP_FRAMES].to_query()
    return callback_body(callback, [key, token, "instead", True])  # True: the page's first paint is done


def test_a_repeated_request_gets_the_same_bytes_from_the_cache():
    body = frames_body("KAZ")
    before = CACHE.size
    first = CLIENT.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"})
    kept = CACHE.size
    second = CLIENT.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == second.status_code == 200
    assert kept > before and CACHE.size == kept  # kept once, then served
    assert second.headers["Content-Encoding"] == "gzip" and second.get_data() == first.get_data()
    frames = json.loads(gzip.decompress(second.get_data()))["response"][ids.frames(ids.MAP, "share")]["data"]
    assert "KAZ" in frames["key"]
    # The security headers are added to a kept answer too.
    assert "Content-Security-Policy" in second.headers


def test_a_browser_gets_brotli_and_a_gzip_only_client_gzip_of_the_same_answer():
    """Chromium's Accept-Encoding lists zstd too; brotli (app.COMPRESSION) comes first. Each
    encoding is kept apart, and both decode to the same frames."""
    body = frames_body("USA")
    browser = CLIENT.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    plain_gzip = CLIENT.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"})
    assert browser.headers["Content-Encoding"] == "br" and plain_gzip.headers["Content-Encoding"] == "gzip"
    assert json.loads(brotli.decompress(browser.get_data())) == json.loads(gzip.decompress(plain_gzip.get_data()))


def test_an_uploads_answers_and_side_effect_callbacks_are_never_kept():
    before = CACHE.size
    CLIENT.post("/_dash-update-component", json=frames_body("RUS", token="not-a-live-token"))
    assert CACHE.size == before
    csv = CALLBACKS[f"{ids.CSV_FILE}.data"]
    CLIENT.post("/_dash-update-component", json=callback_body(csv, [1], state=["?country=KAZ", None, "instead"]))
    assert CACHE.size == before


def test_the_layout_is_kept_per_page_query():
    """dash-renderer asks for the layout with the page's address as its Referer."""
    def layout(query: str):
        return CLIENT.get("/_dash-layout", headers={"Referer": f"http://127.0.0.1/{query}", "Accept-Encoding": "gzip"})

    first = layout("?country=RUS")
    kept = CACHE.size
    again = layout("?country=RUS")
    assert again.get_data() == first.get_data() and CACHE.size == kept
    other = layout("?country=KAZ")
    assert CACHE.size > kept
    countries = {
        query: json.loads(gzip.decompress(answer.get_data()))
        for query, answer in (("RUS", again), ("KAZ", other))
    }
    assert '"value": ["RUS"]' in json.dumps(countries["RUS"]) and '"value": ["KAZ"]' in json.dumps(countries["KAZ"])
