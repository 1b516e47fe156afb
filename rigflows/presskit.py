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
from rigflows.figures.energy import gap_spans, version_note
from rigflows.figures.sankey import LINK_KINDS
from rigflows.figures.style import date_label, period_label
from rigflows.models import DEFAULT_VERSION, VERSION_LABELS, describe_assumptions
from rigflows.render import Chart, energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key, sources_key, view_sources
from rigflows.select import (
    NOT_RECEIVED_KINDS,
    default_month,
    delivery_text,
    energy_series,
    export_table,
    farm_markers,
    filter_flows,
    flow_lines,
    flows_period,
    grid_events,
    map_rows,
    received_machines,
    reported_loads,
    sankey_links,
    sources_with_originals,
    unquantified_reports,
    with_month,
)
from rigflows.select import citation as source_citation
from rigflows.state import DEFAULT_PUE, METRICS, ViewState

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
        parts += _model_in_words(state)
    if chart in (None, "map") and state.show_farms:
        parts.append("farms marked")
    if chart in (None, "map", "sankey") and state.show_orders:
        parts.append("orders and machines in transit shown")
    if chart in (None, "sankey") and not state.show_remainders:
        parts.append("remainders hidden")
    return "; ".join(parts)


def _model_in_words(state: ViewState) -> list[str]:
    """The reader's load-model settings that differ from the default, e.g. ['fleet efficiency 34 J/TH']."""
    parts = []
    if state.cbeci != DEFAULT_VERSION:
        parts.append(f"network power {VERSION_LABELS.get(state.cbeci, state.cbeci)}")
    if state.efficiency is not None:
        parts.append(f"fleet efficiency {state.efficiency:g} J/TH")
    if state.pue != DEFAULT_PUE:
        parts.append(f"overhead {state.pue:g}")
    return parts


def view_link(base_url: str, state: ViewState, default_month: str) -> str:
    """The address of the view: the page's base address plus the view's query as the page
    writes it (`default_month`, the dataset's, left out)."""
    return base_url.rstrip("/") + "/" + state.to_query(default_month)


def chart_title(chart: Chart, fallback: str) -> str:
    """The figure's own title as plain text (an empty chart has none: `fallback`)."""
    text = ((chart.figure.get("layout") or {}).get("title") or {}).get("text") or ""
    return html.unescape(re.sub(r"<[^>]+>", "", text.replace("<br>", " "))).strip() or fallback


def source_names(dataset: Dataset, source_ids) -> list[str]:
    """The producers of `source_ids` (and of the originals of press copies), each named once."""
    return list(dict.fromkeys(sources_with_originals(dataset, source_ids)["producer"]))


# --- alt text ------------------------------------------------------------------------------

_MAP_UNITS = {
    "share": lambda value: f"{value:.2f}%",
    "load": lambda value: f"{value:.2f} GW",
    "strain": lambda value: f"{value:.2f}%",
}
#: Map statuses of countries drawn without a number, as the alt text lists them.
_UNCOUNTED = {
    "no count": "Reported as destinations without a count",
    "not received": "Only orders of new machines or machines in transit, not counted as received",
    "plan only": "Only plans or requests, not counted as received",
}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def map_alt(dataset: Dataset, state: ViewState) -> str:
    """'Choropleth map of machines relocated from China (reported) by country, to Nov 2021:
    <country> <count as shown, e.g. "at least N">, ...', from `select.map_rows` (and, for machines, the counts as
    `select.received_machines` shows them and the flow lines of `select.flow_lines`)."""
    state = with_month(dataset, state)
    rows = map_rows(dataset, state)
    when = period_label(flows_period(dataset, state)) if state.metric == "machines" else date_label(state.month)
    head = f"Choropleth map of {_lower_first(METRICS[state.metric])} by country, {when}"
    if rows.empty:
        return f"{head}: no country has a value for this selection."
    valued = rows.dropna(subset=["value"]).sort_values("value", ascending=False, kind="stable")
    if state.metric == "machines":
        shown = received_machines(dataset, state).set_index("iso3")["shown"]
        listed = [f"{row.country} {shown.get(row.iso3, f'{row.value:,.0f}')}" for row in valued.head(MAX_LISTED).itertuples()]
    else:
        unit = _MAP_UNITS[state.metric]
        listed = []
        for row in valued.head(MAX_LISTED).itertuples():
            text = f"{row.country} {unit(row.value)}"
            if pd.notna(row.low) and pd.notna(row.high):
                text += f" (range {unit(row.low)} to {unit(row.high)})"
            if row.status == "flagged":
                text += " (flagged: see the note in the chart)"
            listed.append(text)
    sentences = [f"{head}: " + (", ".join(listed) if listed else "no country has a number") + (f", and {len(valued) - MAX_LISTED} more countries" if len(valued) > MAX_LISTED else "") + "."]
    for status, words in _UNCOUNTED.items():
        names = list(rows.loc[rows["status"] == status, "country"])
        if names:
            sentences.append(f"{words}: {and_join(names)}.")
    if state.metric == "machines":
        sentences += _flow_line_sentences(dataset, state)
    if state.show_farms:
        farms = farm_markers(dataset, state)
        if not farms.empty:
            sentences.append(f"Farms marked: {and_join(list(farms['name']))}.")
    sentences.append("Countries in light grey have no data, which is not zero.")
    return " ".join(sentences)


def _flow_line_sentences(dataset: Dataset, state: ViewState) -> list[str]:
    """The map's lines from China: solid for machines relocated, dashed (the orders layer) for
    orders and machines in transit, each in the words of its hover."""
    lines = flow_lines(dataset, state)
    sentences = []
    if (lines["layer"] == "received").any():
        sentences.append("Solid lines from China to each destination with a count, widths in machines relocated.")
    dashed = lines[lines["layer"] == "not received"]
    if not dashed.empty:
        sentences.append("Dashed lines, not received: " + "; ".join(dashed["text"]) + ".")
    return sentences


#: How the alt text names a Sankey link's kind when it is not a plain relocation.
_LINK_WORDS = {
    "order": "order of new machines, not received",
    "in_transit": "in transit, not received",
    "remainder": "derived remainder, not attributed",
}


def sankey_alt(dataset: Dataset, state: ViewState) -> str:
    """'Sankey diagram of machines leaving China ...: <seller> to <country> <count as shown>; ...',
    every link of `select.sankey_links` with its count as shown and its kind when it is not a
    plain relocation; then when ordered machines arrive, and what is listed but not drawn."""
    links = sankey_links(dataset, state)
    period = period_label(flows_period(dataset, state))
    head = "Sankey diagram of machines leaving China: seller or shipper, then destination country, then receiving farm or operator" + (f", {period}" if period else "")
    sentences = [f"{head}. Widths are machines."] if not links.empty else [f"{head}. No reported flow with a machine count matches this selection."]

    def described(row) -> str:
        text = f"{row.source} to {row.target} {row.shown}"
        if row.kind == "relocation":
            return text
        return f"{text} ({_LINK_WORDS.get(row.kind) or _lower_first(LINK_KINDS.get(row.kind, (None, None, row.kind.replace('_', ' ')))[2])})"

    for column, words in ((0, "From sellers to countries"), (1, "From countries to receivers")):
        part = links[links["source_column"] == column] if not links.empty else links
        if not part.empty:
            sentences.append(f"{words}: " + "; ".join(described(row) for row in part.itertuples()) + ".")
    if state.show_orders:
        flows = filter_flows(dataset, state).dropna(subset=["machines"])
        deliveries = [f"{flow.seller} to {flow.receiver}{delivery_text(flow)}" for flow in flows[flows["kind"].isin(NOT_RECEIVED_KINDS)].itertuples() if delivery_text(flow)]
        if deliveries:
            sentences.append("When ordered machines arrive: " + "; ".join(deliveries) + ".")
    unlisted = unquantified_reports(dataset, state)
    if not unlisted.empty:
        # A total with no count is listed by its label alone ('Canada'): say what it lacks.
        uncounted = set(dataset.flow_totals.loc[dataset.flow_totals["machines"].isna(), "label"])
        items = [f"{what}, count not reported" if what in uncounted else what for what in unlisted["what"]]
        sentences.append("Listed under the chart, not drawn: " + "; ".join(items) + ".")
    return " ".join(sentences)


def _gw(value) -> str:
    return f"{value:.2f} GW"


def _range(low, high) -> str:
    """' (range 0.73 GW to 2.43 GW)', or nothing when a bound is unknown."""
    return f" (range {_gw(low)} to {_gw(high)})" if pd.notna(low) and pd.notna(high) else ""


def energy_alt(dataset: Dataset, state: ViewState) -> str:
    """'Line chart of estimated mining load (GW, model) ...: in <month>, <country> <load> GW
    (range ...)', saying which model is drawn (CBECI version, the reader's efficiency and
    overhead), then the reported loads and the grid events, from `select.energy_*`."""
    state = with_month(dataset, state)
    series = energy_series(dataset, state)
    if series.empty:
        return "Line chart of estimated Bitcoin mining load: no country in this selection has hashrate data, so no load can be estimated."
    countries = and_join(list(dict.fromkeys(series["country"])))
    months = sorted(series["month"])
    gap = set(series.loc[series["gap_month"].astype(bool), "month"])
    overstated = lambda month: " (measurement-gap month: overstated)" if month in gap else ""  # noqa: E731
    sentences = [
        f"Line chart of estimated Bitcoin mining load in GW, monthly from {date_label(months[0])} to {date_label(months[-1])}, for {countries}: a model, not measured.",
        describe_assumptions(state.efficiency, state.pue) + ("" if state.is_default_model else " The default model is drawn dotted for comparison."),
        f"{version_note(series)}.",
    ]
    if series[["load_gw_low", "load_gw_high"]].notna().all(axis=1).any():
        sentences.append("The band runs from a fleet of the most efficient machine CCAF lists by each month to a fleet of S9-era machines.")
    spans = gap_spans(series)
    if spans:
        named = and_join([date_label(first) if first == last else f"{date_label(first)} to {date_label(last)}" for first, last in spans])
        sentences.append(f"Shaded: CBECI measurement-gap months ({named}), where China's hashrate is missing from the shares, so these estimates are overstated.")
    # As the chart draws it: a share CBECI left at 0 in a measurement gap is a hole, not a load.
    drawn = series[series["flag"] != "measurement_gap"].dropna(subset=["load_gw"])
    selected = drawn[drawn["month"] == state.month].sort_values("load_gw", ascending=False, kind="stable")
    if not selected.empty:
        values = [f"{row.country} {_gw(row.load_gw)}{_range(row.load_gw_low, row.load_gw_high)}" for row in selected.itertuples()]
        sentences.append(f"In {date_label(state.month)}, the selected month{overstated(state.month)}: " + ", ".join(values) + ".")
    if not drawn.empty:
        peaks = drawn.loc[drawn.groupby("iso3")["load_gw"].idxmax()].sort_values("load_gw", ascending=False, kind="stable")
        sentences.append("Highest estimate: " + ", ".join(f"{row.country} {_gw(row.load_gw)} in {date_label(row.month)}{overstated(row.month)}" for row in peaks.itertuples()) + ".")
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
    state = with_month(dataset, state)
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


def press_kit(dataset: Dataset, state: ViewState, base_url: str, today: date) -> dict:
    """Everything the press kit zip holds except the images (the browser draws those), plus the
    captions the images carry. `files` maps a file name in the zip to its text."""
    state = with_month(dataset, state)
    month = default_month(dataset)
    link = view_link(base_url, state, month)
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
