"""The data API's answers, without Flask: which rows a URL asks for, as CSV or JSON.

The view endpoints parse the same query string as the page (`parse_query`) and take their rows
from `select.export_table`, so the API and the page's "Download data (CSV)" cannot disagree.
Every CSV we write goes through `csv_text`, which neutralises cells a spreadsheet would run as
a formula.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rigflows.dataset import Dataset
from rigflows.schema import BOOLEAN_COLUMNS, ID_LIST_COLUMNS, TABLE_NAMES, join_ids
from rigflows.select import export_table
from rigflows.state import ViewState, Vocabulary, parse_query

#: The API's path under the app's own root ("/", or the prefix the app is served under).
API_PATH = "api/v1/"
#: The API's root when the app is served at "/".
API_ROOT = "/" + API_PATH
FORMATS = ("csv", "json")
CSV_MIME = "text/csv; charset=utf-8"
JSON_MIME = "application/json"

#: Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def looks_like_formula(text: str) -> bool:
    """True for a text cell a spreadsheet would evaluate: starts with = + - @ tab or CR and is
    not a plain number (-110.67 stays a number)."""
    return isinstance(text, str) and text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(text)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose formula-like text cells start with an apostrophe, which
    spreadsheets show as text and never run."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(lambda value: "'" + value if looks_like_formula(value) else value)
    return frame


def csv_text(frame: pd.DataFrame) -> str:
    """The one way we write a CSV (page download, API, press kit, templates): id lists back to
    'a;b' as in the data files, neutralised, no index."""
    frame = frame.copy()
    for column in ID_LIST_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(lambda ids: join_ids(ids) if isinstance(ids, tuple) else ids)
    return neutralise(frame).to_csv(index=False)


def data_version(data_dir: Path) -> str:
    """A short hash of the table files' names and bytes: changes whenever any table does."""
    digest = hashlib.sha256()
    for name in TABLE_NAMES:
        digest.update(f"{name}.csv\0".encode())
        digest.update((Path(data_dir) / f"{name}.csv").read_bytes())
    return digest.hexdigest()[:16]


def citation(version: str, root: str = API_ROOT) -> str:
    """How to cite what the API (at `root`) serves (ASCII, so it fits an HTTP header)."""
    return (
        f"Rig Flows data, version {version}. Each row cites its own sources "
        f"(source_ids; the full list at {root}tables/sources.csv); credit those sources."
    )


@dataclass(frozen=True)
class Answer:
    """What an endpoint answers: a table (status 200) or the reasons it refused (400/404)."""

    status: int
    rows: pd.DataFrame | None = None
    notices: tuple[str, ...] = ()
    query: str = ""
    #: The CSV's file name (the page names its download the same way).
    name: str = "rigflows.csv"
    table: str = ""


def view_answer(dataset: Dataset, vocabulary: Vocabulary, query: str) -> Answer:
    """The rows behind the view `query` describes, or a 400 with the page's notices when any
    part of it would be ignored by the page (an API client should not get a silent fallback).
    The answer's query is the one the page shows for the same view (its default month left out)."""
    state, notices = parse_query(query, vocabulary)
    if notices:
        return Answer(400, notices=tuple(notices))
    return Answer(200, rows=export_table(dataset, state), query=state.to_query(vocabulary.default_month), name=view_filename(state))


def view_filename(state: ViewState) -> str:
    """'rigflows_<slug>.csv', the name of the page's CSV download too (ASCII, for headers)."""
    return "rigflows_" + state.slug().encode("ascii", "replace").decode().replace("?", "-") + ".csv"


def table_frame(dataset: Dataset, name: str) -> pd.DataFrame:
    """A curated table as its CSV file writes it (booleans back to true/false)."""
    frame = dataset.tables[name].copy()
    for column in BOOLEAN_COLUMNS.get(name, ()):
        frame[column] = frame[column].map({True: "true", False: "false"})
    return frame


def table_answer(dataset: Dataset, name: str) -> Answer:
    if name not in TABLE_NAMES:
        return Answer(404, notices=(f"No table {name[:40]!r}; the tables are: {', '.join(TABLE_NAMES)}.",))
    return Answer(200, rows=table_frame(dataset, name), name=f"{name}.csv", table=name)


def json_text(answer: Answer, version: str, root: str = API_ROOT) -> str:
    """{data_version, citation, query or table, columns, rows} (nulls as null), or {error, notices}."""
    if answer.rows is None:
        return json.dumps({"error": answer.status, "notices": list(answer.notices), "data_version": version})
    records = json.loads(answer.rows.to_json(orient="records", force_ascii=False))
    body = {
        "data_version": version,
        "citation": citation(version, root),
        **({"table": answer.table} if answer.table else {"query": answer.query}),
        "columns": list(answer.rows.columns),
        "rows": records,
    }
    return json.dumps(body, ensure_ascii=False)


def error_text(answer: Answer) -> str:
    """A refusal in plain text: one notice a line."""
    return "\n".join([f"{answer.status} {'Bad Request' if answer.status == 400 else 'Not Found'}", *answer.notices]) + "\n"


def index(version: str, root: str = API_ROOT) -> dict:
    """What the API (at `root`) serves, for GET <root>."""
    example = f"{root}view.csv{ViewState(metric='share', month='2021-10', countries=('KAZ',)).to_query()}"
    return {
        "data_version": version,
        "citation": citation(version, root),
        "endpoints": {
            f"{root}view.csv, {root}view.json": "the rows behind a view; takes the page's query string (metric, month, country, firm, farms, remainders)",
            f"{root}tables/<name>.csv, {root}tables/<name>.json": "one curated table as validated",
        },
        "tables": {name: f"{root}tables/{name}.csv" for name in TABLE_NAMES},
        "example": example,
    }
