"""HTTP hardening for the Flask server under Dash: security headers and errors without traces."""

from __future__ import annotations

import logging

from dash import Dash
from flask import Response
from werkzeug.exceptions import HTTPException

log = logging.getLogger("rigflows")


def content_security_policy(app: Dash, frame_ancestors: str) -> str:
    """Only what the page needs: its own scripts (Dash's inline ones by hash), styles plotly
    injects, PNG export's data/blob images, and the configured embedders."""
    script_hashes = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {script_hashes}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def harden(app: Dash, frame_ancestors: str) -> None:
    """Add security headers to every response; answer errors with a short message, no trace."""
    server = app.server
    # Dash links assets with a ?m=<mtime> fingerprint, so browsers may keep them for a day.
    server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 86400
    policy = None

    @server.after_request
    def add_security_headers(response: Response) -> Response:
        nonlocal policy
        if policy is None:  # the hashes exist only once the layout's scripts are known
            policy = content_security_policy(app, frame_ancestors)
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response

    @server.errorhandler(Exception)
    def plain_error(error: Exception):
        if isinstance(error, HTTPException):
            return Response(f"{error.code} {error.name}", status=error.code, mimetype="text/plain")
        log.exception("unhandled error")
        return Response("500 Internal Server Error: the problem was logged.", status=500, mimetype="text/plain")
