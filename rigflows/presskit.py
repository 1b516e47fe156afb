"""What a view needs to leave the page with its context: the filters in words, a citation, alt
text generated from each chart's rows, each chart's sources by name and their licences.

Pure: (Dataset, ViewState), the page's address and the date in, text out. Every number comes
from the rows `rigflows.select` gives the charts; every source name and licence from
data/sources.csv. `components/presskit.py` serves this as JSON and puts the alt text in the
page; `assets/presskit.js` writes the captions onto exported images and zips the press kit.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from functools import lru_cache

import pandas as pd

from rigflows.countries import country_name
from rigflows.dataset import Dataset
from rigflows.schema import RECEIVED_KINDS
from rigflows.figures.sankey import LINK_KINDS
from rigflows.figures.style import date_label, period_label
from rigflows.render import Chart, energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key, view_sources
from rigflows.select import (

    energy_series,
    export_table,
    farm_markers,
    filter_flows,
    flows_period,
    grid_events,
    map_rows,
    reported_loads,
    sankey_links,
    sources_with_originals,
)
from rigflows.select import citation as source_citation
from rigflows.state import METRICS, ViewState

#: The cited work: the dashboard itself (its page title is app.TITLE).
WORK_NAME = "Rig Flows"
WORK_TITLE = "Rig Flows: where China's crypto-mining machines went after the 2021 ban"
#: The charts of a view, in page order: id → (how the part of the state it draws is found, its figure).
CHARTS = {"map": (map_key, map_figure), "sankey": (sankey_key, sankey_figure), "energy": (energy_key, energy_figure)}
#: Countries named one by one in the map's alt text; the rest are counted ("and 12 more").
MAX_LISTED = 10
UNKNOWN_LICENCE = "licence unknown (none recorded for this source)"
#: CSL item types for the kinds of data/sources.csv.
_CSL_TYPES = {"original_report": "article-newspaper", "press_copy": "webpage", "dataset": "dataset", "company_release": "report", "model_estimate": "report"}


# --- words ---------------------------------------------------------------------------------


def and_join(items: list[str]) -> str:
    """['a'] → 'a'; ['a', 'b'] → 'a and b'; ['a', 'b', 'c'] → 'a, b and c'."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def filters_in_words(state: ViewState, chart: str | None = None) -> str:
    """The view's filters as a reader would say them: 'Kazakhstan and Russia; firm BitRiver;
    month Aug 2021; metric ...'. For one chart, only what that chart draws."""
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
    if chart in (None, "map") and state.show_farms:
        parts.append("farms marked")
    if chart in (None, "sankey") and not state.show_remainders:
        parts.append("remainders hidden")
    return "; ".join(parts)


def view_link(base_url: str, state: ViewState) -> str:
    """The address of the view: the page's base address plus the view's canonical query."""
    return base_url.rstrip("/") + "/" + state.to_query()


def chart_title(chart: Chart, fallback: str) -> str:
    """The figure's own title as plain text (an empty chart has none: `fallback`)."""
    text = ((chart.figure.get("layout") or {}).get("title") or {}).get("text") or ""
    return html.unescape(re.sub(r"<[^>]+>", "", text.replace("<br>", " "))).strip() or fallback


def source_names(dataset: Dataset, source_ids) -> list[str]:
    """The producers of `source_ids` (and of the originals of press copies), each named once."""
    return list(dict.fromkeys(sources_with_originals(dataset, source_ids)["producer"]))


# --- alt text ------------------------------------------------------------------------------

_MAP_UNITS = {
    "machines": lambda value: f"{value:,.0f}",
    "share": lambda value: f"{value:.2f}%",
    "load": lambda value: f"{value:.2f} GW",
    "strain": lambda value: f"{value:.2f}%",
}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def map_alt(dataset: Dataset, state: ViewState) -> str:
    """'Choropleth map of machines reported received from China ... by country, to Nov 2021:
    Russia at least 205,000, ...', from `select.map_rows`."""
    rows = map_rows(dataset, state)
    when = period_label(flows_period(dataset, state)) if state.metric == "machines" else date_label(state.month)
    head = f"Choropleth map of {_lower_first(METRICS[state.metric])} by country, {when}"
    if rows.empty:
        return f"{head}: no country has a value for this selection."
    unit = _MAP_UNITS[state.metric]
    at_least = _at_least_countries(dataset, state) if state.metric == "machines" else set()
    valued = rows.dropna(subset=["value"]).sort_values("value", ascending=False, kind="stable")
    listed = []
    for row in valued.head(MAX_LISTED).itertuples():
        text = f"{row.country} {'at least ' if row.iso3 in at_least else ''}{unit(row.value)}"
        if pd.notna(row.low) and pd.notna(row.high):
            text += f" (range {unit(row.low)} to {unit(row.high)})"
        if row.status == "flagged":
            text += " (flagged: see the note in the chart)"
        listed.append(text)
    sentences = [f"{head}: " + (", ".join(listed) if listed else "no country has a number") + (f", and {len(valued) - MAX_LISTED} more countries" if len(valued) > MAX_LISTED else "") + "."]
    for status, words in (("no count", "Reported as destinations without a count"), ("plan only", "Only plans or requests, not counted as received")):
        names = list(rows.loc[rows["status"] == status, "country"])
        if names:
            sentences.append(f"{words}: {and_join(names)}.")
    if state.show_farms:
        farms = farm_markers(dataset, state)
        if not farms.empty:
            sentences.append(f"Farms marked: {and_join(list(farms['name']))}.")
    sentences.append("Countries in light grey have no data, which is not zero.")
    return " ".join(sentences)


def _at_least_countries(dataset: Dataset, state: ViewState) -> set[str]:
    """Countries whose counted machines include a lower bound ('more than 5,000')."""
    flows = filter_flows(dataset, state)
    counted = flows[flows["kind"].isin(RECEIVED_KINDS) & flows["machines"].notna()]
    return set(counted.loc[counted["qualifier"] == "at_least", "destination_iso3"])


def sankey_alt(dataset: Dataset, state: ViewState) -> str:
    """'Sankey diagram of machines leaving China ...: Bitfufu (BitFuFu) to Kazakhstan 80,000; ...',
    every link of `select.sankey_links` with its kind when it is not a plain relocation."""
    links = sankey_links(dataset, state)
    period = period_label(flows_period(dataset, state))
    head = "Sankey diagram of machines leaving China: seller or shipper, then destination country, then receiving farm or operator" + (f", {period}" if period else "")
    if links.empty:
        return f"{head}. No reported flow with a machine count matches this selection."

    def described(row) -> str:
        text = f"{row.source} to {row.target} {int(row.machines):,}"
        return text if row.kind == "relocation" else f"{text}, {_lower_first(LINK_KINDS.get(row.kind, (None, None, row.kind.replace('_', ' ')))[2])}"

    sentences = [f"{head}. Widths are machines."]
    for column, words in ((0, "From sellers to countries"), (1, "From countries to receivers")):
        part = links[links["source_column"] == column]
        if not part.empty:
            sentences.append(f"{words}: " + "; ".join(described(row) for row in part.itertuples()) + ".")
    return " ".join(sentences)


def _gw(value) -> str:
    return f"{value:.2f} GW"


def energy_alt(dataset: Dataset, state: ViewState) -> str:
    """'Line chart of estimated mining load (GW, model) ...: in Aug 2021, United States 3.41 GW
    (range ...)', then the reported loads and the grid events, from `select.energy_*`."""
    series = energy_series(dataset, state)
    if series.empty:
        return "Line chart of estimated Bitcoin mining load: no country in this selection has hashrate data, so no load can be estimated."
    countries = and_join(list(dict.fromkeys(series["country"])))
    months = sorted(series["month"])
    sentences = [
        f"Line chart of estimated Bitcoin mining load in GW (a model: share of hashrate times CBECI network power, with a lower to upper band), monthly from {date_label(months[0])} to {date_label(months[-1])}, for {countries}."
    ]
    selected = series[series["month"] == state.month].sort_values("load_gw", ascending=False, kind="stable")
    if not selected.empty:
        values = [f"{row.country} {_gw(row.load_gw)} (range {_gw(row.load_gw_low)} to {_gw(row.load_gw_high)})" for row in selected.itertuples()]
        sentences.append(f"In {date_label(state.month)}, the selected month: " + ", ".join(values) + ".")
    peaks = series.loc[series.groupby("iso3")["load_gw"].idxmax()].sort_values("load_gw", ascending=False, kind="stable")
    sentences.append("Highest estimate: " + ", ".join(f"{row.country} {_gw(row.load_gw)} in {date_label(row.month)}" for row in peaks.itertuples()) + ".")
    reported = reported_loads(dataset, state)
    if not reported.empty:
        items = []
        for row in reported.itertuples():
            value = _gw(row.value_gw) if pd.notna(row.value_gw) else "no value"
            bounds = f", range {_gw(row.low_gw)} to {_gw(row.high_gw)}" if pd.notna(row.low_gw) and pd.notna(row.high_gw) else ""
            items.append(f"{row.country}, {date_label(row.date_start)}: {row.title} ({value}{bounds})")
        sentences.append("Reported loads and capacities, as points: " + "; ".join(items) + ".")
    events = grid_events(dataset, state)
    if not events.empty:
        sentences.append("Grid events, as dashed lines: " + "; ".join(f"{row.country}, {date_label(row.date_start)}: {row.title}" for row in events.itertuples()) + ".")
    return " ".join(sentences)


_ALT = {"map": map_alt, "sankey": sankey_alt, "energy": energy_alt}
_FALLBACK_TITLES = {"map": "Where the machines went", "sankey": "Who moved machines to whom", "energy": "What the new load did to the grids"}


@lru_cache(maxsize=512)
def chart_texts(dataset: Dataset, state: ViewState) -> dict[str, dict]:
    """Per chart: its title, its filters in words, its sources by name and its alt text.

    Each chart is described from the part of the state it draws (as `rigflows.render` draws it).
    """
    texts = {}
    for name, (key_of, figure_of) in CHARTS.items():
        key = key_of(state)
        chart = figure_of(dataset, key)
        texts[name] = {
            "title": chart_title(chart, _FALLBACK_TITLES[name]),
            "filters": filters_in_words(state, name),
            "sources": source_names(dataset, chart.source_ids),
            "alt": _ALT[name](dataset, key),
        }
    return texts


# --- captions, citation, licences -----------------------------------------------------------


def captions(dataset: Dataset, state: ViewState, link: str, today: date) -> dict[str, dict]:
    """Per chart: chart_texts, the lines an exported image carries under the chart, and the
    name of its download (as the modebar names it: rigflows_<chart>_<ViewState.slug()>)."""
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
    sources = view_sources(dataset, state)
    lines = [f"{WORK_NAME}, \u201c{WORK_TITLE}\u201d, interactive dashboard, view: {filters_in_words(state)}. {link} (accessed {_day(today)}).", "", f"Sources of this view ({len(sources)}):"]
    lines += [f"{number}. {source_citation(row)}" for number, (_, row) in enumerate(sources.iterrows(), start=1)]
    return "\n".join(lines) + "\n"


def citation_csl(dataset: Dataset, state: ViewState, link: str, today: date) -> list[dict]:
    """CSL-JSON: the dashboard view first, then one item per source of the view."""
    accessed = {"date-parts": [[today.year, today.month, today.day]]}
    items = [{
        "id": "rigflows", "type": "webpage", "title": WORK_TITLE, "author": [{"literal": WORK_NAME}], "URL": link, "accessed": accessed,
        "genre": "interactive dashboard", "note": f"View: {filters_in_words(state)}",
    }]
    for _, source in view_sources(dataset, state).iterrows():
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
    entries = [_bibtex_entry("rigflows", {
        "author": f"{{{escape(WORK_NAME)}}}", "title": f"{{{escape(WORK_TITLE)}}}", "howpublished": "Interactive dashboard", "url": link,
        "urldate": today.isoformat(), "note": escape(f"View: {filters_in_words(state)}"),
    })]
    for _, source in view_sources(dataset, state).iterrows():
        issued = _date_parts(source["published"])
        entries.append(_bibtex_entry(re.sub(r"[^A-Za-z0-9_:-]", "", source["source_id"]), {
            "author": f"{{{escape(source['producer'])}}}", "title": f"{{{escape(source['title'])}}}",
            "year": str(issued[0]) if issued else "", "url": source["url"] if isinstance(source["url"], str) else "",
            "urldate": source["accessed"] if isinstance(source["accessed"], str) else "",
        }))
    return "\n\n".join(entries) + "\n"


def licence_notes(dataset: Dataset, state: ViewState) -> str:
    """One line per source of the view with its licence as recorded, or 'licence unknown'."""
    sources = view_sources(dataset, state)
    lines = [
        "Licences of the sources behind this view, as recorded in Rig Flows' data/sources.csv.",
        "A source with no recorded licence is marked unknown: check its terms before reusing its material.",
        "",
    ]
    for _, source in sources.iterrows():
        licence = f"licence {source['licence']}" if isinstance(source["licence"], str) else UNKNOWN_LICENCE
        lines.append(f"- {source['producer']}, \u201c{source['title']}\u201d: {licence}")
    return "\n".join(lines) + "\n"


def press_kit(dataset: Dataset, state: ViewState, base_url: str, today: date) -> dict:
    """Everything the press kit zip holds except the images (the browser draws those), plus the
    captions the images carry. `files` maps a file name in the zip to its text."""
    link = view_link(base_url, state)
    charts = captions(dataset, state, link, today)
    slug = state.slug()
    files = {
        "README.txt": _readme(state, link, today, charts),
        "link.txt": link + "\n",
        f"rigflows_{slug}.csv": export_table(dataset, state).to_csv(index=False),
        "citation.txt": citation_text(dataset, state, link, today),
        "citation.json": json.dumps(citation_csl(dataset, state, link, today), ensure_ascii=False, indent=2) + "\n",
        "citation.bib": citation_bibtex(dataset, state, link, today),
        "licences.txt": licence_notes(dataset, state),
        **{f"{name}-alt-text.txt": text["alt"] + "\n" for name, text in charts.items()},
    }
    return {"query": state.to_query(), "link": link, "date": today.isoformat(), "filters": filters_in_words(state), "slug": slug, "charts": charts, "files": files}


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
