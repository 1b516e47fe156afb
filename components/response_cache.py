"""Answers of the pure callbacks and the page's layout kept as sent, compressed, per request.

A chart's callback answers the same body with the same bytes: its output is a function of its
inputs and the data, which is read-only. Its view is cached (`rigflows.render`), but Dash still
serialises the figure (often 100 KB of JSON, the frames far more) and flask-compress compresses
it again for every request: most of the CPU of a warm answer (`make bench`). Here the final
bytes are kept, keyed by the body and the encodings the browser accepts, bounded in bytes. The
layout (about 400 KB of JSON, the first view in it) is kept per page query the same way.

Only callbacks named in `outputs` are kept (never the upload, the downloads or the press kit),
and never while the tab draws an upload: its data lives on the server and may be forgotten.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Response, g, request

from components import ids

#: Bytes of answers kept per process (compressed: a map's frames are about 100 KB).
MAX_BYTES = 12 * 1024 * 1024


class ResponseCache:
    """Least recently used answers, at most `max_bytes` of bodies in all."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, tuple[bytes, dict[str, str]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, dict[str, str]] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: str, body: bytes, headers: dict[str, str]) -> None:
        if len(body) > self.max_bytes:
            return
        with self.lock:
            if key in self.entries:
                return
            self.entries[key] = (body, headers)
            self.size += len(body)
            while self.size > self.max_bytes:
                _, (dropped, _) = self.entries.popitem(last=False)
                self.size -= len(dropped)


def draws_an_upload(body: dict) -> bool:
    """Whether the request carries a live upload's key (the tab draws its own data)."""
    return any(isinstance(item, dict) and item.get("id") == ids.UPLOAD_TOKEN and item.get("value") for item in [*body.get("inputs", []), *body.get("state", [])])


def cache_pure_answers(app, outputs: set[str], page_query, cache: ResponseCache | None = None) -> ResponseCache:
    """Serve the callbacks whose Dash `output` string is in `outputs`, and the page's layout
    (a function of `page_query()`, the query of the page that asks: `layout.requested_query`),
    from `cache`. Register it after `components.hardening.harden`, whose request checks then
    run first."""
    cache = cache or ResponseCache()
    server = app.server
    callback_path = f"{app.config.routes_pathname_prefix}_dash-update-component"
    layout_path = f"{app.config.routes_pathname_prefix}_dash-layout"

    def request_key() -> bytes | None:
        """What the answer is a function of, or None for a request never kept."""
        if request.path == layout_path and request.method == "GET":
            return b"layout\0" + page_query().encode()
        if request.path != callback_path or request.method != "POST":
            return None
        # Parsed once per request: hardening's check (which runs first) and Dash share Flask's copy.
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("output") not in outputs or draws_an_upload(body):
            return None
        return request.get_data(cache=True)

    @server.before_request
    def answer_from_cache():
        what = request_key()
        if what is None:
            return None
        key = hashlib.blake2b(what + b"\0" + request.headers.get("Accept-Encoding", "").encode(), digest_size=20).hexdigest()
        hit = cache.get(key)
        if hit is None:
            g.response_cache_key = key
            return None
        data, headers = hit
        return Response(data, headers=headers)

    def keep_answer(response: Response) -> Response:
        key = g.pop("response_cache_key", None)
        if key is not None and response.status_code == 200 and not response.is_streamed:
            headers = {name: response.headers[name] for name in ("Content-Type", "Content-Encoding") if name in response.headers}
            cache.put(key, response.get_data(), headers)
        return response

    server.extensions["rigflows_response_cache"] = cache
    # Flask runs after_request functions last-registered first: at the front of the list, this
    # one runs after all the others, flask-compress's included, and keeps the bytes as sent.
    server.after_request_funcs.setdefault(None, []).insert(0, keep_answer)
    return cache


def pure_outputs(app, output_ids: set[str]) -> set[str]:
    """The Dash `output` strings of the registered callbacks that write any of `output_ids`
    ("component.property"): what `cache_pure_answers` may keep."""
    return {key for key in app.callback_map if any(part in output_ids for part in key.strip(".").split("..."))}
