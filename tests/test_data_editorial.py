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
    for note in dataset.notes.itertuples():
        if note.kind == "conflict":
            assert note.text in shown and note.source_ids[0] in shown


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
