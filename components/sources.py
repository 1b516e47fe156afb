"""The sources of the current view, the methods note, and the downloads (CSV and all PNGs)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from dash import Input, Output, State, dcc, html

from components import ids
from rigflows.api import csv_text, view_filename
from components.presskit import presskit_controls
from rigflows.dataset import Dataset
from rigflows.models import METHOD_NOTE
from rigflows.render import CACHE_SIZE, view_sources
from rigflows.layers import drawn, drawn_vocabulary, layered_export
from rigflows.select import credited_sources, derived_remainders, editorial_notes
from rigflows.state import ViewState, parse_query

CONFIDENCE_MEANINGS = {
    "several_sources": "reported by several independent sources",
    "single_report": "one report, or several copies of one report",
    "plan_or_request": "a plan, offer or request, not a confirmed shipment",
    "model_estimate": "computed here from other figures (see the method), not reported",
}



def conflict_items(dataset: Dataset) -> list[html.Li]:
    """The figures that conflict between sources, from `notes.csv` (each with its sources by
    name), so another data directory never shows this one's conflicts."""
    notes = editorial_notes(dataset, "conflict")
    return [html.Li([text, " ", sources_credit(credited_sources(dataset, ids))]) for text, ids in zip(notes["text"], notes["source_ids"])]


def _named(source: dict) -> list:
    """'Producer, “Title”', the title linking to the source where it has an address."""
    title = f"\u201c{source['title']}\u201d"
    linked = html.A(title, href=source["url"], target="_blank", rel="noopener noreferrer") if source["url"] else title
    return [source["producer"], ", ", linked]


def sources_credit(sources: list[dict]) -> html.Span:
    """'Sources: Financial Times, “China's exiled…” (read in: ultcoin365, NewsBreak); CoinDesk, “…”':
    who reported it, as readers know them, a press copy credited to its original and named as
    the copy it was read in (`select.credited_sources`)."""
    parts: list = ["Source: " if len(sources) == 1 else "Sources: "]
    for position, source in enumerate(sources):
        if position:
            parts.append("; ")
        parts += _named(source)
        if source["copies"]:
            parts.append(" (read in: ")
            for number, copy in enumerate(source["copies"]):
                name = html.A(copy["producer"], href=copy["url"], title=copy["title"], target="_blank", rel="noopener noreferrer") if copy["url"] else html.Span(copy["producer"], title=copy["title"])
                parts += [*([", "] if number else []), name]
            parts.append(")")
    return html.Span(parts if sources else "Source: not given", className="source-credit")


def remainder_section(dataset: Dataset) -> list:
    """How each remainder is worked out, from the data: totals minus what is attributed to them,
    shown as the bounds they are."""
    remainders = derived_remainders(dataset)
    if remainders.empty:
        return []
    intro = "A remainder is a reported total minus what the sources attribute to it. Where a figure is worded 'at least' or 'over', the remainder is a bound or an approximation, and is shown as one."
    return [html.H3("Remainders (derived, not reported)"), html.P(intro), html.Ul([html.Li(f"{row.label}: {row.note}") for row in remainders.itertuples()])]


def sources_layout(dataset: Dataset) -> html.Section:
    return html.Section(
        className="card sources-card",
        children=[
            html.H2("Sources of this view, and how to read it"),
            html.Div(className="downloads", children=[
                html.Button("Download data (CSV)", id=ids.DOWNLOAD_CSV, n_clicks=0),
                html.Button("Download all charts (PNG)", id=ids.DOWNLOAD_PNGS, n_clicks=0),
                html.Span(id=ids.PNG_STATUS, className="png-status", **{"aria-live": "polite"}),
                dcc.Download(id=ids.CSV_FILE),
                presskit_controls(),
            ]),
            html.Div(id=ids.SOURCES),
            html.Details(open=False, children=[html.Summary("Methods, confidence grades and conflicting figures"),
                html.H3("Estimated mining load"), html.P(METHOD_NOTE),
                *remainder_section(dataset),
                html.H3("Confidence grades"), html.Ul([html.Li([html.Strong(grade.replace("_", " ")), f": {meaning}"]) for grade, meaning in CONFIDENCE_MEANINGS.items()]),
                *([html.H3("Figures that conflict between sources"), html.Ul(conflict_items(dataset))] if not editorial_notes(dataset, "conflict").empty else []),
            ]),
        ],
    )


@lru_cache(maxsize=4)
def _source_items(dataset: Dataset) -> dict[str, html.Li]:
    """Every source's list item, made once per dataset: each filter's panel lists some of them."""
    return {source["source_id"]: _source_item(source) for _, source in dataset.sources.iterrows()}


def _source_item(source: pd.Series) -> html.Li:
    title = html.A(source["title"], href=source["url"], target="_blank", rel="noopener noreferrer") if isinstance(source["url"], str) else html.Span(source["title"])
    bits = [html.Strong(source["producer"]), ", ", title]
    for label, column in (("published", "published"), ("accessed", "accessed"), ("licence", "licence")):
        if isinstance(source[column], str):
            bits.append(f"; {label} {source[column]}")
    bits.append(html.Span(f" — {source['kind'].replace('_', ' ')} [{source['source_id']}]", className="source-ids"))
    return html.Li(bits, id=f"source-{source['source_id']}")


@lru_cache(maxsize=CACHE_SIZE)
def sources_panel(dataset: Dataset, state: ViewState) -> list:
    """The numbered list of every source behind the view (cached per filter and process, as
    the charts: about 75 KB each, and the kept answers, components/response_cache.py, hold
    the panel as sent)."""
    sources = view_sources(dataset, state)
    items = _source_items(dataset)
    return [html.P(f"{len(sources)} sources behind what is shown now:"), html.Ol([items[source_id] for source_id in sources["source_id"]], className="source-list")]


def register_sources_callbacks(app, dataset: Dataset, dataset_for=lambda token: None) -> None:

    @app.callback(
        Output(ids.CSV_FILE, "data"), Input(ids.DOWNLOAD_CSV, "n_clicks"), State(ids.QUERY, "data"), State(ids.UPLOAD_TOKEN, "data"), State(ids.UPLOAD_MODE, "value"), prevent_initial_call=True
    )
    def download_csv(_clicks, search, upload_token, upload_mode):
        """The rows of the view; with an upload drawn, a `layer` column says whose each row is."""
        data = drawn(dataset, dataset_for(upload_token), upload_mode)
        state = parse_query(search if isinstance(search, str) else "", drawn_vocabulary(dataset, data))[0]
        return dcc.send_string(csv_text(layered_export(dataset, data, state)), view_filename(state))

    app.clientside_callback(
        "window.rigflows.downloadAllCharts",
        Output(ids.PNG_STATUS, "children"),
        Input(ids.DOWNLOAD_PNGS, "n_clicks"),
        prevent_initial_call=True,
    )
