"""What a view needs to leave the page with its context: the filters in words, a citation,
each chart's alt text (the one its figure carries, from `rigflows.alttext`), each chart's
sources by name and their licences.

Pure: (Dataset, ViewState), the page's address and the date in, text out. Every number comes
from the rows `rigflows.select` gives the charts; every source name and licence from
data/sources.csv. `components/presskit.py` serves this as JSON; `assets/presskit.js` writes
the captions onto exported images and zips the press kit.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache

import pandas as pd

from rigflows.alttext import and_join
from rigflows.api import csv_text
from rigflows.countries import country_name
from rigflows.dataset import Dataset
from rigflows.figures.style import date_label
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key, sources_key, view_sources
from rigflows.select import citation as source_citation
from rigflows.select import default_month, export_table, sources_with_originals, with_month
from rigflows.state import METRICS, ViewState

#: The cited work: the dashboard itself (its page title is app.TITLE).
WORK_NAME = "Rig Flows"
WORK_TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"
#: The charts of a view, in page order: id → (how the part of the state it draws is found, its figure).
CHARTS = {"map": (map_key, map_figure), "sankey": (sankey_key, sankey_figure), "energy": (energy_key, energy_figure)}
UNKNOWN_LICENCE = "licence unknown (none recorded for this source)"
#: CSL item types for the kinds of data/sources.csv.
_CSL_TYPES = {"original_report": "article-newspaper", "press_copy": "webpage", "dataset": "dataset", "company_release": "report", "model_estimate": "report"}


# --- words ---------------------------------------------------------------------------------


def filters_in_words(state: ViewState, chart: str | None = None) -> str:
    """The view's filters as a reader would say them: 'Kazakhstan and Russia; firm BitRiver;
    month Aug 2021; metric ...'. For one chart, only what that chart draws.

    `state` has its month resolved (`select.with_month`): a month of '' names no month.
    """
    places = and_join([country_name(code) for code in state.countries]) or "All countries"
    parts = [places]
    if state.firms:
        parts.append(("firm " if len(state.firms) == 1 else "firms ") + and_join(list(state.firms)))
    elif not state.countries:
        parts[0] = "All countries and firms"
    if chart in (None, "map") and (chart is None or state.metric != "machines"):
        parts.append(f"month {date_label(state.month)}")
    elif chart == "energy":
        parts.append(f"selected month {date_label(state.month)}")
    if chart in (None, "map"):
        parts.append(f"metric {METRICS[state.metric]}")
    if chart in (None, "energy") or (chart == "map" and state.metric in ("load", "strain")):
        parts += [words for _, words in state.model_changes()]
    if chart in (None, "map") and state.show_farms:
        parts.append("farms marked")
    if chart in (None, "map", "sankey") and state.show_orders:
        parts.append("orders and machines in transit shown")
    if chart in (None, "sankey") and not state.show_remainders:
        parts.append("remainders hidden")
    return "; ".join(parts)


def view_link(base_url: str, state: ViewState, default_month: str) -> str:
    """The address of the view: the page's base address plus the view's query as the page
    writes it (`default_month`, the dataset's, left out)."""
    return base_url.rstrip("/") + "/" + state.to_query(default_month)


def source_names(dataset: Dataset, source_ids) -> list[str]:
    """The producers of `source_ids` (and of the originals of press copies), each named once."""
    return list(dict.fromkeys(sources_with_originals(dataset, source_ids)["producer"]))


@lru_cache(maxsize=512)
def chart_texts(dataset: Dataset, state: ViewState) -> dict[str, dict]:
    """Per chart: its title, its filters in words, its sources by name and its alt text.

    Each chart is described from the part of the state it draws, with the name and alt text
    its figure carries (`rigflows.alttext`), so the press kit says what the page says.
    """
    state = with_month(dataset, state)
    texts = {}
    for name, (key_of, figure_of) in CHARTS.items():
        chart = figure_of(dataset, key_of(state))
        meta = chart.figure["layout"]["meta"]  # the name and alt text the page shows (rigflows.alttext)
        texts[name] = {"title": meta["title"], "filters": filters_in_words(state, name), "sources": source_names(dataset, chart.source_ids), "alt": meta["alt"]}
    return texts


# --- captions, citation, licences -----------------------------------------------------------


def captions(dataset: Dataset, state: ViewState, link: str, today: date) -> dict[str, dict]:
    """Per chart: chart_texts, the lines an exported image carries under the chart, and the
    name of its download (as the modebar names it: rigflows_<chart>_<ViewState.slug()>)."""
    state = with_month(dataset, state)
    result = {}
    for name, text in chart_texts(dataset, state).items():
        sources = "; ".join(text["sources"]) or "none (nothing is drawn)"
        lines = [f"View: {text['filters']}", f"Sources: {sources}", f"{WORK_NAME}, downloaded {_day(today)}: {link}"]
        result[name] = {**text, "lines": lines, "filename": f"rigflows_{name}_{state.slug()}"}
    return result


def _day(today: date) -> str:
    return f"{today.day} {today.strftime('%b %Y')}"


def _date_parts(value) -> list[int] | None:
    """'2021-11-21' → [2021, 11, 21]; '2023' → [2023]; missing → None."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}(-\d{2}){0,2}", value):
        return None
    return [int(part) for part in value.split("-")]


def citation_text(dataset: Dataset, state: ViewState, link: str, today: date) -> str:
    """The view cited as a web page, then every source behind it, numbered."""
    state = with_month(dataset, state)
    sources = view_sources(dataset, sources_key(state))
    lines = [f"{WORK_NAME}, \u201c{WORK_TITLE}\u201d, interactive dashboard, view: {filters_in_words(state)}. {link} (accessed {_day(today)}).", "", f"Sources of this view ({len(sources)}):"]
    lines += [f"{number}. {source_citation(row)}" for number, (_, row) in enumerate(sources.iterrows(), start=1)]
    return "\n".join(lines) + "\n"


def citation_csl(dataset: Dataset, state: ViewState, link: str, today: date) -> list[dict]:
    """CSL-JSON: the dashboard view first, then one item per source of the view."""
    state = with_month(dataset, state)
    accessed = {"date-parts": [[today.year, today.month, today.day]]}
    items = [{
        "id": "rigflows", "type": "webpage", "title": WORK_TITLE, "author": [{"literal": WORK_NAME}], "URL": link, "accessed": accessed,
        "genre": "interactive dashboard", "note": f"View: {filters_in_words(state)}",
    }]
    for _, source in view_sources(dataset, sources_key(state)).iterrows():
        item = {"id": source["source_id"], "type": _CSL_TYPES.get(source["kind"], "document"), "title": source["title"], "author": [{"literal": source["producer"]}]}
        issued = _date_parts(source["published"])
        if issued:
            item["issued"] = {"date-parts": [issued]}
        if isinstance(source["url"], str):
            item["URL"] = source["url"]
        accessed_parts = _date_parts(source["accessed"])
        if accessed_parts:
            item["accessed"] = {"date-parts": [accessed_parts]}
        items.append(item)
    return items


_BIBTEX_SPECIAL = str.maketrans({"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"})


def _bibtex_entry(key: str, fields: dict[str, str]) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@misc{{{key},\n{body}\n}}"


def citation_bibtex(dataset: Dataset, state: ViewState, link: str, today: date) -> str:
    """BibTeX (@misc, which every style knows): the dashboard view, then each source."""
    escape = lambda text: str(text).translate(_BIBTEX_SPECIAL)  # noqa: E731
    state = with_month(dataset, state)
    entries = [_bibtex_entry("rigflows", {
        "author": f"{{{escape(WORK_NAME)}}}", "title": f"{{{escape(WORK_TITLE)}}}", "howpublished": "Interactive dashboard", "url": link,
        "urldate": today.isoformat(), "note": escape(f"View: {filters_in_words(state)}"),
    })]
    for _, source in view_sources(dataset, sources_key(state)).iterrows():
        issued = _date_parts(source["published"])
        entries.append(_bibtex_entry(re.sub(r"[^A-Za-z0-9_:-]", "", source["source_id"]), {
            "author": f"{{{escape(source['producer'])}}}", "title": f"{{{escape(source['title'])}}}",
            "year": str(issued[0]) if issued else "", "url": source["url"] if isinstance(source["url"], str) else "",
            "urldate": source["accessed"] if isinstance(source["accessed"], str) else "",
        }))
    return "\n\n".join(entries) + "\n"


def licence_notes(dataset: Dataset, state: ViewState) -> str:
    """One line per source of the view with its licence as recorded, or 'licence unknown'."""
    sources = view_sources(dataset, sources_key(state))
    lines = [
        "Licences of the sources behind this view, as recorded in Rig Flows' data/sources.csv.",
        "A source with no recorded licence is marked unknown: check its terms before reusing its material.",
        "",
    ]
    for _, source in sources.iterrows():
        licence = f"licence {source['licence']}" if isinstance(source["licence"], str) else UNKNOWN_LICENCE
        lines.append(f"- {source['producer']}, \u201c{source['title']}\u201d: {licence}")
    return "\n".join(lines) + "\n"


def press_kit(dataset: Dataset, state: ViewState, base_url: str, today: date, table: pd.DataFrame | None = None) -> dict:
    """Everything the press kit zip holds except the images (the browser draws those), plus the
    captions the images carry. `files` maps a file name in the zip to its text. `table`: the
    CSV's rows when they are not `export_table`'s (a reader's upload drawn beside the data)."""
    state = with_month(dataset, state)
    month = default_month(dataset)
    link = view_link(base_url, state, month)
    charts = captions(dataset, state, link, today)
    slug = state.slug()
    files = {
        "README.txt": _readme(state, link, today, charts),
        "link.txt": link + "\n",
        f"rigflows_{slug}.csv": csv_text(export_table(dataset, state) if table is None else table),
        "citation.txt": citation_text(dataset, state, link, today),
        "citation.json": json.dumps(citation_csl(dataset, state, link, today), ensure_ascii=False, indent=2) + "\n",
        "citation.bib": citation_bibtex(dataset, state, link, today),
        "licences.txt": licence_notes(dataset, state),
        **{f"{name}-alt-text.txt": text["alt"] + "\n" for name, text in charts.items()},
    }
    return {"query": state.to_query(month), "link": link, "date": today.isoformat(), "filters": filters_in_words(state), "slug": slug, "charts": charts, "files": files}


def _readme(state: ViewState, link: str, today: date, charts: dict[str, dict]) -> str:
    lines = [
        f"{WORK_TITLE}: press kit",
        f"View: {filters_in_words(state)}",
        f"Link: {link}",
        f"Downloaded: {_day(today)}",
        "",
        "Files:",
        *[f"- {name}.png (2x) and {name}.svg: {text['title']}; {name}-alt-text.txt: its text alternative" for name, text in charts.items()],
        f"- rigflows_{state.slug()}.csv: the rows behind every chart of the view, with a 'view' column and full citations",
        "- citation.txt, citation.json (CSL-JSON), citation.bib (BibTeX): how to cite this view and its sources",
        "- licences.txt: the licence of each source, or unknown",
        "- link.txt: the address of this view",
    ]
    return "\n".join(lines) + "\n"
