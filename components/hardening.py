"""HTTP hardening for the Flask server under Dash: security headers, request checks, plain errors."""

from __future__ import annotations

import logging

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request
from flask_talisman import Talisman
from werkzeug.exceptions import HTTPException

log = logging.getLogger("rigflows")

MAX_REQUEST_BYTES = 2 * 1024 * 1024
HSTS_MAX_AGE_S = 365 * 24 * 3600
#: The page uses none of these; a framed or injected script cannot ask for them either.
PERMISSIONS_POLICY = {feature: "()" for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics")}


def content_security_policy(app: Dash, frame_ancestors: str) -> dict[str, str]:
    """Only what the page needs: its own scripts (Dash's inline ones by hash), styles plotly
    injects, PNG export's data/blob images, and the configured embedders."""
    return {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *app.csp_hashes()]),  # hashes come quoted: 'sha256-...'
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }


def _matches(sent: object, declared: list[dict]) -> bool:
    """Whether a request's inputs/state/outputs list names the callback's dependencies, in order."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        return False
    for item, dependency in zip(sent, declared):
        if isinstance(dependency["id"], dict):  # pattern-matching: the renderer sends what matched
            if not isinstance(item, (dict, list)):
                return False
        # An allow_duplicate output arrives as 'search@<hash>'; Dash itself reads it as 'search'.
        elif not (isinstance(item, dict) and item.get("id") == dependency["id"] and str(item.get("property")).split("@")[0] == dependency["property"]):
            return False
    return True


def callback_request_problem(app: Dash, body: object) -> str | None:
    """Why `body` is not a callback request of `app` as dash-renderer sends it (None if it is).

    Dash assumes the shape and fails with a 500 on anything else; values stay unchecked here,
    the callbacks clean those themselves.
    """
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    output = body.get("output")
    callback = app.callback_map.get(output) if isinstance(output, str) else None
    if callback is None or "callback" not in callback:  # clientside callbacks never reach the server
        return "no server callback has this output"
    declared = callback["output"] if isinstance(callback["output"], list) else [callback["output"]]
    declared_outputs = [{"id": out.component_id, "property": out.component_property} for out in declared]
    outputs = body.get("outputs")
    if not _matches(outputs if isinstance(callback["output"], list) else [outputs], declared_outputs):
        return "the outputs are not the callback's"
    if not _matches(body.get("inputs"), callback["inputs"]) or not _matches(body.get("state", []), callback["state"]):
        return "the inputs or state are not the callback's"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(prop_id, str) for prop_id in changed):
        return "changedPropIds is not a list of names"
    return None


def add_security_headers(app: Dash, frame_ancestors: str) -> None:
    """flask-talisman's headers on every response: the CSP above, nosniff, a referrer and a
    permissions policy, and HSTS when the request came over TLS (request.is_secure, or nginx's
    X-Forwarded-Proto: https). Call it after every callback is defined: the CSP hashes Dash's
    inline scripts, clientside callbacks included."""
    Talisman(
        app.server,
        content_security_policy=content_security_policy(app, frame_ancestors),
        force_https=False,  # TLS ends at nginx or the balancer in front; redirecting is their job
        frame_options=None,  # CSP frame-ancestors decides, and may allow a newsroom's pages
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_MAX_AGE_S,
        strict_transport_security_include_subdomains=False,  # the app speaks for its own host only
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy=PERMISSIONS_POLICY,
        session_cookie_secure=False,  # no session cookie
    )

    @app.server.after_request
    def isolate_the_window(response: Response) -> Response:
        # Talisman has no setting for it: a page opened from here cannot reach back into ours.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response


def harden(app: Dash, frame_ancestors: str, debug: bool = False) -> None:
    """Add security headers to every response; answer errors with a short message, no trace.

    Malformed callback requests get a 400 and unknown script paths a 404 (Dash answers both
    with a 500); the hot-reload endpoint exists only in debug mode.
    """
    server = app.server
    prefix = app.config.routes_pathname_prefix
    # Dash links assets with a ?m=<mtime> fingerprint, so browsers may keep them for a day.
    server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 86400
    # A real callback body is a few KB; refuse anything far larger before parsing it.
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    add_security_headers(app, frame_ancestors)

    @server.before_request
    def refuse_bad_requests():
        if request.path == f"{prefix}_reload-hash" and not debug:
            return Response("404 Not Found", status=404, mimetype="text/plain")
        if request.path == f"{prefix}_dash-update-component" and request.method == "POST":
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the JSON parser goes
                body = None
            problem = callback_request_problem(app, body)
            if problem:
                return Response(f"400 Bad Request: {problem}.", status=400, mimetype="text/plain")
        return None

    @server.errorhandler(Exception)
    def plain_error(error: Exception):
        if isinstance(error, HTTPException):
            return Response(f"{error.code} {error.name}", status=error.code, mimetype="text/plain")
        if isinstance(error, DependencyException):  # a script path Dash does not serve
            return Response("404 Not Found", status=404, mimetype="text/plain")
        log.exception("unhandled error")
        return Response("500 Internal Server Error: the problem was logged.", status=500, mimetype="text/plain")
