"""Bring your own data: the upload card, its callback, the templates, and the larger request
size the upload needs (for the upload callback only)."""

from __future__ import annotations

import json
from html import escape

from dash import Input, Output, State, callback_context, dcc, html, no_update
from flask import Response, request

from components import ids
from components.hardening import MAX_REQUEST_BYTES
from rigflows import layers, upload
from rigflows.api import API_PATH
from rigflows.dataset import Dataset
from rigflows.schema import TABLE_NAMES

#: A 5 MB file arrives base64-encoded inside JSON (4/3 larger); bigger files still reach the
#: check, which refuses them with a message, up to this many bytes; past it Flask answers 413.
UPLOAD_REQUEST_BYTES = 16 * 1024 * 1024
MAX_LISTED = 200
BANNER_STYLE = {"border": "2px solid #b45309", "background": "#fff7ed", "borderRadius": "8px", "padding": "8px 12px", "margin": "8px 0"}
DROP_STYLE = {"border": "2px dashed var(--line)", "borderRadius": "8px", "padding": "16px", "textAlign": "center", "margin": "8px 0"}


def upload_layout(home: str = "/") -> html.Section:
    """The upload card; `home` is the app's own root, under which its templates are."""
    limit_mb = upload.MAX_UPLOAD_BYTES // (1024 * 1024)
    return html.Section(
        className="card upload-card",
        children=[
            html.H2("Check your own data"),
            html.P(
                f"Upload a CSV of one table, named after it (flows.csv, farms.csv…), or a zip of a data directory; at most {limit_mb} MB. "
                "It is checked with the same rules as the bundled data, together with the bundled tables it does not replace. "
                f"An accepted upload is kept on this server for {upload.EXPIRY_SECONDS // 3600} hours under a random key that only this browser tab holds (never in the link), and is shown to no one else."
            ),
            dcc.Upload(id=ids.UPLOAD, className="upload-drop", multiple=False, max_size=-1, style=DROP_STYLE, children=html.Div(["Drop a CSV or zip here, or ", html.Button("choose a file", type="button")])),
            html.Div(className="control upload-mode", children=[
                html.Label("Draw your data", htmlFor=ids.UPLOAD_MODE),
                # Kept in this tab (session storage), like the upload's key: never in a shared link.
                dcc.RadioItems(id=ids.UPLOAD_MODE, options=[{"label": label, "value": mode} for mode, label in layers.MODES.items()], value=layers.DEFAULT_MODE,
                               persistence=True, persistence_type="session", className="metric-options"),
            ]),
            html.Div(id=ids.UPLOAD_RESULT, className="upload-result", role="status", **{"aria-live": "polite"}),
            html.Button("Forget my data", id=ids.UPLOAD_FORGET, n_clicks=0, className="upload-forget"),
            dcc.Store(id=ids.UPLOAD_TOKEN, storage_type="session", data=None),  # data=None: no extra callback on load
            # A link, not the tables themselves: every component in the page costs each redraw
            # (dash-renderer checks them all on each change), and these were 900 of them.
            html.P(className="templates", children=[
                html.A("Every table's columns, types and rules", href=home + TEMPLATES, target="_blank", rel="noopener"),
                ". Templates: ",
                *[item for name in TABLE_NAMES for item in (html.A(f"{name}.csv", href=f"{home}{TEMPLATES}{name}.csv", download=f"{name}.csv"), " ")],
            ]),
        ],
    )


#: The column documentation and the templates, a page of its own, under the app's own root.
TEMPLATES = f"{API_PATH}templates/"


def templates_page(readme, stylesheet: str) -> str:
    """The column documentation of every table (`upload.column_docs`) as one HTML page."""
    heads = "".join(f"<th>{label}</th>" for label in ("column", "type", "required", "rule", "meaning"))
    sections = []
    for name in TABLE_NAMES:
        rows = "".join(
            f"<tr><td><code>{escape(doc['column'])}</code></td><td>{escape(doc['type'])}</td><td>{escape(doc['required'])}</td><td>{escape(doc['rule'])}</td><td>{escape(doc['meaning'])}</td></tr>"
            for doc in upload.column_docs(name, readme)
        )
        sections.append(
            f'<section class="template"><h2>{name}.csv <a href="{name}.csv" download="{name}.csv">template</a></h2>'
            f'<div class="table-scroll"><table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table></div></section>'
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Rig Flows: templates and column documentation</title><link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        '<body><main class="page templates-page"><h1>Templates and column documentation</h1>'
        "<p>Each table of a data directory, with a template (the header row) and, per column, its type, whether it may be empty, "
        "the rule the check applies and what it means. An upload is checked with the same rules as the bundled data.</p>"
        f'{"".join(sections)}</main></body></html>'
    )


def _refused(problems) -> html.Div:
    items = [html.Li(str(problem)) for problem in problems[:MAX_LISTED]]
    more = [html.P(f"…and {len(problems) - MAX_LISTED} more.")] if len(problems) > MAX_LISTED else []
    return html.Div(className="upload-refused", children=[
        html.P(html.Strong(f"Refused: {len(problems)} problem(s). Nothing was loaded.")),
        html.Ul(items, className="upload-problems"),
        *more,
    ])


def _accepted(dataset: Dataset, replaced: list[str]) -> html.Div:
    counts = ", ".join(f"{name}.csv ({len(dataset.tables[name]):,} rows)" for name in replaced)
    return html.Div(className="upload-accepted", children=[
        html.P(html.Strong(f"Accepted: {counts}.")),
        html.P("Checked with the same rules as the bundled data; the other tables are the bundled ones. Your data (not shared): kept on this server under this tab's key only."),
    ])


def register_upload(app, dataset: Dataset) -> upload.UploadStore:
    """The upload callback, the template route and the upload's request size; returns the store."""
    store = upload.UploadStore(upload.upload_root(), dataset.data_dir)
    server = app.server
    callback_path = f"{app.config.routes_pathname_prefix}_dash-update-component"
    upload_output = f"..{ids.UPLOAD_RESULT}.children...{ids.UPLOAD_TOKEN}.data.."

    @server.before_request
    def allow_upload_bodies():
        """Callback bodies stay under MAX_REQUEST_BYTES, except the upload's (UPLOAD_REQUEST_BYTES)."""
        if request.path != callback_path or request.method != "POST":
            return None
        request.max_content_length = UPLOAD_REQUEST_BYTES
        data = request.get_data(cache=True)  # Flask answers 413 past the limit; kept for Dash
        if len(data) > MAX_REQUEST_BYTES:
            try:
                output = json.loads(data).get("output")
            except (ValueError, RecursionError, AttributeError):
                output = None
            if output != upload_output:
                return Response("413 Request Entity Too Large", status=413, mimetype="text/plain")
        return None

    page = templates_page(dataset.data_dir / "README.md", app.get_asset_url("style.css"))

    @server.get(app.config.routes_pathname_prefix + TEMPLATES)
    def templates_index():
        return Response(page, mimetype="text/html")

    @server.get(f"{app.config.routes_pathname_prefix}{TEMPLATES}<name>.csv")
    def template(name: str):
        if name not in TABLE_NAMES:
            return Response(f"404 Not Found: the tables are {', '.join(TABLE_NAMES)}\n", status=404, mimetype="text/plain")
        return Response(upload.template_csv(name), content_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    @app.callback(Output(ids.YOUR_DATA, "children"), Input(ids.UPLOAD_TOKEN, "data"), Input(ids.UPLOAD_MODE, "value"))
    def your_data_banner(token, mode):
        tables = store.uploaded_tables(token)
        if not tables:
            return None
        names = ", ".join(f"{name}.csv" for name in tables)
        if layers.mode_of(mode) == layers.BESIDE:
            how = (
                f"Your upload ({names}) is drawn beside the bundled data, never added to it: its own Sankey nodes and links and its dashed energy lines are marked "
                f"\u201c{layers.YOURS.strip()}\u201d, its map figures are the \u25c6 markers, and the CSV's \u201clayer\u201d column says whose each row is. "
            )
        else:
            how = f"The charts, the sources and the CSV download below are drawn from your upload ({names}) instead of the bundled data. "
        return html.P(className="your-data-banner", style=BANNER_STYLE, children=[
            html.Strong("Your data (not shared). "),
            how,
            "Links you share still open the bundled data. Use \u201cForget my data\u201d at the foot of the page to go back.",
        ])

    @app.callback(
        Output(ids.UPLOAD_RESULT, "children"),
        Output(ids.UPLOAD_TOKEN, "data"),
        Input(ids.UPLOAD, "contents"),
        Input(ids.UPLOAD_FORGET, "n_clicks"),
        State(ids.UPLOAD, "filename"),
        State(ids.UPLOAD_TOKEN, "data"),
        prevent_initial_call=True,
    )
    def receive_upload(contents, _forget, filename, token):
        if callback_context.triggered_id == ids.UPLOAD_FORGET:
            store.forget(token)
            return html.P("Your data was deleted from the server; the views show the bundled data."), None
        if contents is None:
            return no_update, no_update
        raw = upload.decode_contents(contents)
        checked = raw if isinstance(raw, upload.Checked) else upload.check_upload(filename if isinstance(filename, str) else "upload", raw)
        new_token, problems = store.accept(checked)
        if new_token is None:
            return _refused(problems), no_update
        store.forget(token)  # one upload a tab: the previous one goes
        return _accepted(store.dataset(new_token), sorted(checked.tables)), new_token

    return store
