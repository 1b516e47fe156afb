"""The sources of the current view, the methods note, and the downloads (CSV and all PNGs)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from dash import Input, Output, State, dcc, html

from components import ids
from components.presskit import presskit_controls
from rigflows.dataset import Dataset
from rigflows.models import METHOD_NOTE
from rigflows.render import view_sources
from rigflows.select import export_table, vocabulary
from rigflows.state import ViewState, parse_query

CONFIDENCE_MEANINGS = {
    "several_sources": "reported by several independent sources",
    "single_report": "one report, or several copies of one report",
    "plan_or_request": "a plan, offer or request, not a confirmed shipment",
    "model_estimate": "computed here from other figures (see the method), not reported",
}

CONFLICTS = [
    "Press copies garbled the FT's figures: “BitRiver acquired 205,000 of 430,000” mixes up Russia's total (BitRiver 200,000 + Bit Cluster 5,000+) with the number of machines whose destination the FT tracked (over 430,000); “87k to Bitfufu” is Kazakhstan's total (Bitfufu 80,000 + BIT Mining 7,849).",
    "“Russia hosts 1.8 million machines, per BitRiver” (some copies) is most likely BitRiver's hosting inquiries; we use the FT's 200,000.",
    "More than 2 million machines left China, but the destination of only about 430,000 was tracked: the rest is shown as a remainder, not split between countries.",
    "Russia received the most machines, yet its hashrate share fell from 11.2% (Aug 2021) to 4.7% (Jan 2022), while the US share rose to 35–38%: counts ignore machine generation and new-machine sales.",
    "Kazakhstan's mining load: 1,000–1,200 MW (deputy minister, Nov 2021), more than 1 GW of ‘gray’ mining (minister, Feb 2022), a 1,500 MW peak (industry), against the model's estimate above.",
    "CBECI shows China at 0% in July–August 2021 and above 20% from September: a measurement gap (hidden and VPN mining), not miners leaving and returning.",
]


def sources_layout() -> html.Section:
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
                html.H3("Confidence grades"), html.Ul([html.Li([html.Strong(grade.replace("_", " ")), f": {meaning}"]) for grade, meaning in CONFIDENCE_MEANINGS.items()]),
                html.H3("Figures that conflict between sources"), html.Ul([html.Li(text) for text in CONFLICTS]),
            ]),
        ],
    )


def _source_item(source: pd.Series) -> html.Li:
    title = html.A(source["title"], href=source["url"], target="_blank", rel="noopener noreferrer") if isinstance(source["url"], str) else html.Span(source["title"])
    bits = [html.Strong(source["producer"]), ", ", title]
    for label, column in (("published", "published"), ("accessed", "accessed"), ("licence", "licence")):
        if isinstance(source[column], str):
            bits.append(f"; {label} {source[column]}")
    bits.append(html.Span(f" — {source['kind'].replace('_', ' ')} [{source['source_id']}]", className="source-ids"))
    return html.Li(bits, id=f"source-{source['source_id']}")


@lru_cache(maxsize=512)
def sources_panel(dataset: Dataset, state: ViewState) -> list:
    """The numbered list of every source behind the view (cached per view and process)."""
    sources = view_sources(dataset, state)
    return [html.P(f"{len(sources)} sources behind what is shown now:"), html.Ol([_source_item(row) for _, row in sources.iterrows()], className="source-list")]


def register_sources_callbacks(app, dataset: Dataset) -> None:
    vocab = vocabulary(dataset)

    @app.callback(Output(ids.CSV_FILE, "data"), Input(ids.DOWNLOAD_CSV, "n_clicks"), State(ids.URL, "search"), prevent_initial_call=True)
    def download_csv(_clicks, search):
        state = parse_query(search if isinstance(search, str) else "", vocab)[0]
        return dcc.send_data_frame(export_table(dataset, state).to_csv, f"rigflows_{state.slug()}.csv", index=False)

    app.clientside_callback(
        "window.rigflows.downloadAllCharts",
        Output(ids.PNG_STATUS, "children"),
        Input(ids.DOWNLOAD_PNGS, "n_clicks"),
        prevent_initial_call=True,
    )
