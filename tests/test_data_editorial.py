"""Editorial text is data: conflicts, the footer's credit and each chart's source line come from the
data directory (with source ids), never from code, so another directory never shows these figures."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from dash import html

from conftest import edit_table
from components.sources import sources_layout
from rigflows.config import PROJECT_ROOT
from rigflows.dataset import load_dataset
from rigflows.render import energy_figure, energy_key, map_figure, map_key, sankey_figure, sankey_key
from rigflows.select import source_line
from rigflows.state import ViewState

CODE = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "rigflows").rglob("*.py")), *sorted((PROJECT_ROOT / "components").rglob("*.py"))]


def texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, (list, tuple)):
        return [text for child in node for text in texts(child)]
    children = getattr(node, "children", None)
    return texts(children) if children is not None else []


def data_figures(dataset) -> set[str]:
    """Every machine count and MW figure of the bundled data, as a reader would see it typed
    (powers of ten left out: 1000 is also a unit conversion)."""
    numbers = pd.concat([dataset.flows["machines"], dataset.flow_totals["machines"], dataset.farms["capacity_mw"], dataset.grid_reports["value"]]).dropna()
    numbers = [int(number) for number in numbers if number >= 1000 and str(int(number)).rstrip("0") != "1"]
    return {f"{number:,}" for number in numbers} | {str(number) for number in numbers}


def test_no_figure_of_the_data_is_typed_into_code(dataset):
    figures = data_figures(dataset)
    assert {"205,000", "87,849", "87200", "2,000,000"} <= figures
    for path in CODE:
        found = figures & set(re.findall(r"\d[\d,]*\d", path.read_text(encoding="utf-8")))
        assert not found, f"{path.relative_to(PROJECT_ROOT)} types in {sorted(found)}"


def test_each_chart_credits_the_producers_of_what_it_draws(dataset):
    for figure_of, key_of in ((map_figure, map_key), (sankey_figure, sankey_key), (energy_figure, energy_key)):
        chart = figure_of(dataset, key_of(ViewState()))
        line = source_line(dataset, chart.source_ids)
        # Figures wrap long annotations for the chart's width: compare the words, not the breaks.
        assert line in [annotation["text"].replace("<br>", " ") for annotation in chart.figure["layout"]["annotations"]]
    sankey = sankey_figure(dataset, sankey_key(ViewState()))
    # The FT is credited through its press copies, by its own name, not the copying site's.
    assert "Financial Times" in source_line(dataset, sankey.source_ids) and "ultcoin365" not in source_line(dataset, sankey.source_ids)
    energy = energy_figure(dataset, energy_key(ViewState()))
    assert source_line(dataset, energy.source_ids).startswith("Sources: Cambridge Centre for Alternative Finance")


def test_conflicts_and_credit_come_from_the_notes_table(dataset):
    shown = " ".join(texts(sources_layout(dataset)))
    sources = dataset.sources.set_index("source_id")
    for note in dataset.notes.itertuples():
        if note.kind == "conflict":
            # Each note with its first source by name: a press copy's original's producer.
            first = sources.loc[note.source_ids[0]]
            producer = sources.loc[first["original_id"], "producer"] if isinstance(first["original_id"], str) else first["producer"]
            assert note.text in shown and producer in shown and note.source_ids[0] not in shown


def test_another_directory_shows_its_own_notes_only(dataset, data_copy):
    edit_table(data_copy, "notes", lambda frame: frame[frame["kind"] == "credit"].assign(text="Data: our own survey."))
    other = load_dataset(Path(data_copy).resolve())
    shown = " ".join(texts(sources_layout(other)))
    assert "conflict between sources" not in shown
    assert not any(note in shown for note in dataset.notes["text"])
    from components.layout import build_layout

    footer = next(node for node in build_layout(other, "/assets/topojson/").children if isinstance(node, html.Footer))
    assert "Data: our own survey." in " ".join(texts(footer)) and "Financial Times" not in " ".join(texts(footer))


def test_the_methods_panel_gives_each_remainders_arithmetic_as_a_bound(dataset):
    shown = " ".join(texts(sources_layout(dataset)))
    assert "2,000,000 − 430,000" in shown and "about 1.57 million" in shown
    assert "430,000 − 380,049" in shown and "at most ~50,000" in shown


def _reader_strings(node, key: str = "") -> list[str]:
    """Every string of a figure that a reader sees: texts, hovers, names, titles (not settings)."""
    if isinstance(node, dict):
        return [text for name, value in node.items() for text in _reader_strings(value, name)]
    if isinstance(node, (list, tuple)):
        return [text for value in node for text in _reader_strings(value, key)]
    return [node] if isinstance(node, str) and key in {"text", "hovertext", "customdata", "hovertemplate", "name"} else []


def test_no_chart_shows_a_source_id_or_an_internal_name(dataset):
    source_ids = set(dataset.sources["source_id"])
    views = [ViewState(show_farms=True, show_orders=True), ViewState(metric="load", countries=("KAZ", "USA")), ViewState(metric="share", month="2021-08", show_farms=True)]
    for state in views:
        for figure_of, key_of in ((map_figure, map_key), (sankey_figure, sankey_key), (energy_figure, energy_key)):
            for text in _reader_strings(figure_of(dataset, key_of(state)).figure):
                words = set(re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", text))
                assert not words, f"{figure_of.__name__} shows {sorted(words)} in {text[:200]!r}"
                assert not source_ids & set(re.findall(r"\w+", text)) and "README" not in text, text[:200]


def _links(node) -> list[tuple[str, str]]:
    """(text, href) of every link under a Dash component."""
    if isinstance(node, (list, tuple)):
        return [link for child in node for link in _links(child)]
    found = [(" ".join(texts(node.children)), node.href)] if isinstance(node, html.A) else []
    children = getattr(node, "children", None)
    return found + (_links(children) if children is not None and not isinstance(children, str) else [])


def test_reported_but_not_drawn_names_its_sources_as_readers_know_them(dataset):
    from components.views import unquantified_listing

    listing = unquantified_listing(dataset, sankey_key(ViewState()))
    items = {"".join(texts(item.children)).split(" — ")[0]: item for item in listing[1].children}
    marathon = items["Order of new machines, not received: Bitmain → United States (Marathon Digital Holdings), 30,000"]
    text = "".join(texts(marathon.children))
    # The order cites Marathon's release (read in two German reports of it) and the FT (read in ihodl).
    assert "Sources: Financial Times, “China's exiled crypto machines fuel global mining boom” (read in: ihodl.com)" in text
    assert "Marathon Digital Holdings, “Press release on the purchase of 30,000 Antminer S19j Pro miners from Bitmain (headline not recorded)” (read in: BTC-ECHO (reporting a Marathon Digital release), Blocktrainer (reporting a Marathon Digital release))" in text
    assert ("Blocktrainer (reporting a Marathon Digital release)", "https://www.blocktrainer.de/marathon-kauft-mining-hardware/") in _links(marathon.children)
    # The9's relocation has one source, a copy with no original of its own: named and linked itself.
    the9 = next(item for what, item in items.items() if what.startswith("Relocation: The9"))
    assert ("“Bitcoin mining company sends machines to Russia to escape Chinese repression (title from URL)”", "https://cryptocoinexchange.live/bitcoin-mining-company-sends-machines-to-russia-to-escape-chinese-repression/") in _links(the9.children)
    source_ids = set(dataset.sources["source_id"])
    for item in listing[1].children:
        shown = "".join(texts(item.children))
        assert not source_ids & set(re.findall(r"\w+", shown)), shown


def test_conflicting_figures_name_their_sources_not_their_ids(dataset):
    from components.sources import conflict_items

    items = {"".join(texts(item.children)).split(" Source")[0]: "".join(texts(item.children)) for item in conflict_items(dataset)}
    bitriver = next(text for start, text in items.items() if start.startswith("“Russia hosts 1.8 million"))
    # Four press copies of the FT article (notes.csv: tomshardware, riotimes, urdupoint, ihodl).
    assert bitriver.endswith("Source: Financial Times, “China's exiled crypto machines fuel global mining boom” (read in: Tom's Hardware, The Rio Times, UrduPoint, ihodl.com)")
    source_ids = set(dataset.sources["source_id"])
    assert all(not source_ids & set(re.findall(r"\w+", text)) for text in items.values())
