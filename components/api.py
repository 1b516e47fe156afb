"""The read-only data API's Flask routes: thin wrappers around `rigflows.api`."""

from __future__ import annotations

from flask import Response, jsonify, request

from rigflows import api
from rigflows.dataset import Dataset
from rigflows.select import vocabulary


def register_api(app, dataset: Dataset) -> None:
    """GET api/v1/, api/v1/view.<csv|json>?<the page's query>, api/v1/tables/<name>.<csv|json>,
    under the app's own root (its path prefix, if it is served under one)."""
    server = app.server
    vocab = vocabulary(dataset)
    version = api.data_version(dataset.data_dir)  # once per process, at load
    route = app.config.routes_pathname_prefix + api.API_PATH
    root = app.config.requests_pathname_prefix + api.API_PATH  # as readers address it
    headers = {"X-Data-Version": version, "X-Citation": api.citation(version, root), "Cache-Control": "public, max-age=300"}

    def respond(answer: api.Answer, fmt: str) -> Response:
        if answer.rows is None:
            body, mime = (api.json_text(answer, version, root), api.JSON_MIME) if fmt == "json" else (api.error_text(answer), "text/plain")
            return Response(body, status=answer.status, mimetype=mime, headers={"X-Data-Version": version})
        if fmt == "json":
            return Response(api.json_text(answer, version, root), mimetype=api.JSON_MIME, headers=headers)
        disposition = {"Content-Disposition": f'inline; filename="{answer.name}"'}
        return Response(api.csv_text(answer.rows), content_type=api.CSV_MIME, headers={**headers, **disposition})

    @server.get(route)
    def api_index():
        return jsonify(api.index(version, root)), 200, headers

    @server.get(f"{route}view.<fmt>")
    def api_view(fmt: str):
        if fmt not in api.FORMATS:
            return Response("404 Not Found: use view.csv or view.json\n", status=404, mimetype="text/plain")
        answer = api.view_answer(dataset, vocab, request.query_string.decode("utf-8", errors="replace"))
        return respond(answer, fmt)

    @server.get(f"{route}tables/<name>.<fmt>")
    def api_table(name: str, fmt: str):
        if fmt not in api.FORMATS:
            return Response("404 Not Found: use .csv or .json\n", status=404, mimetype="text/plain")
        return respond(api.table_answer(dataset, name), fmt)

    @server.route(app.config.routes_pathname_prefix + "api/<path:_rest>", methods=["GET", "HEAD"])
    def api_unknown(_rest: str):
        # Without this, Dash's catch-all route would answer with the page.
        return Response(f"404 Not Found: see {root}\n", status=404, mimetype="text/plain")
