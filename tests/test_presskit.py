"""The press kit's text (rigflows.presskit) and the full CSV, against figures worked by hand
from data/*.csv: flows.csv, grid_reports.csv, events and sources.csv."""

from __future__ import annotations

import json
from datetime import date

import pytest

from rigflows import presskit
from rigflows.select import export_table
from rigflows.state import ViewState

TODAY = date(2026, 11, 30)
BASE = "http://127.0.0.1:8050/"


def test_filters_in_words_name_countries_firms_month_and_metric():
    state = ViewState(metric="share", month="2021-08", countries=("KAZ", "RUS"), firms=("BitRiver",))
    assert presskit.filters_in_words(state) == "Kazakhstan and Russia; firm BitRiver; month Aug 2021; metric Share of global Bitcoin hashrate (%)"
    # Each chart says only what it draws: the Sankey has no month or metric, the energy chart no metric.
    assert presskit.filters_in_words(state, "sankey") == "Kazakhstan and Russia; firm BitRiver"
    assert presskit.filters_in_words(state, "energy") == "Kazakhstan and Russia; firm BitRiver; selected month Aug 2021"
    # The machines map has no month.
    assert presskit.filters_in_words(ViewState(), "map") == "All countries and firms; metric Machines reported received from China (relocations and new-machine sales)"
    assert presskit.filters_in_words(ViewState(firms=("Bitmain", "MicroBT"), show_remainders=False), "sankey") == "All countries; firms Bitmain and MicroBT; remainders hidden"


def test_view_link_is_the_base_address_plus_the_canonical_query():
    assert presskit.view_link(BASE, ViewState()) == "http://127.0.0.1:8050/"
    assert presskit.view_link("https://example.org/rigflows", ViewState(countries=("KAZ",))) == "https://example.org/rigflows/?country=KAZ"


def test_map_alt_text_lists_destinations_by_machines_from_the_flows(dataset):
    # flows.csv, relocations and new sales: Russia 200,000 (BitRiver) + more than 5,000 (Bit Cluster);
    # US 87,200 + 1,000 (Bit Digital) + 30,000 (Bitmain → Marathon); Kazakhstan 80,000 + 7,849;
    # Canada 24,000 (MicroBT → Hut 8); Paraguay and Venezuela only plans or requests.
    text = presskit.map_alt(dataset, ViewState())
    assert text.startswith("Choropleth map of machines reported received from China")
    assert "to Nov 2021: Russia at least 205,000, United States 118,200, Kazakhstan 87,849, Canada 24,000." in text
    assert "Only plans or requests, not counted as received: Paraguay and Venezuela." in text


def test_map_alt_text_of_a_model_metric_gives_ranges(dataset):
    text = presskit.map_alt(dataset, ViewState(metric="load", month="2021-08", countries=("KAZ",)))
    assert text.startswith("Choropleth map of estimated mining load (GW, model) by country, Aug 2021: Kazakhstan ")
    assert " GW (range " in text and "Russia" not in text


def test_sankey_alt_text_names_every_reported_flow_with_its_count(dataset):
    text = presskit.sankey_alt(dataset, ViewState())
    assert "Bitfufu (BitFuFu) to Kazakhstan 80,000" in text
    assert "Russia to BitRiver 200,000" in text
    assert "MicroBT to Canada 24,000, new sale" in text
    assert "Venezuela to Doctor Miner 7,000, plan or request (not counted as received)" in text
    # The remainder of the tracked 430,000: 430,000 - (205,000 + 87,849 + 87,200) = 49,951.
    assert "Tracked, destination not attributed 49,951, remainder" in text


def test_sankey_alt_text_follows_the_filter(dataset):
    text = presskit.sankey_alt(dataset, ViewState(countries=("RUS",)))
    assert "Russia to BitRiver 200,000" in text and "Russia to Bit Cluster 5,000" in text
    assert "Kazakhstan" not in text and "remainder" not in text


def test_energy_alt_text_gives_reported_loads_and_events_from_grid_reports(dataset):
    text = presskit.energy_alt(dataset, ViewState(countries=("KAZ",)))
    assert "for Kazakhstan." in text and "In Aug 2021, the selected month: Kazakhstan " in text
    # grid_reports.csv: the deputy minister's 1,000-1,200 MW on 5 Nov 2021, drawn at its midpoint.
    assert "Kazakhstan, 5 Nov 2021: Government: mining draws 1,000-1,200 MW (1.10 GW, range 1.00 GW to 1.20 GW)" in text
    assert "Kazakhstan, 25 Jan 2022: Central Asian grid failure" in text
    assert "Greenidge" not in text


def test_each_chart_names_its_own_sources(dataset):
    texts = presskit.chart_texts(dataset, ViewState())
    # Bitfufu's flow cites The Rio Times; the machines map and the Sankey draw no CBECI data.
    assert {"Financial Times", "The Rio Times"} <= set(texts["sankey"]["sources"])
    assert not any("CBECI" in name for name in texts["sankey"]["sources"] + texts["map"]["sources"])
    assert "Cambridge Centre for Alternative Finance (CCAF), CBECI" in texts["energy"]["sources"]
    assert texts["sankey"]["title"] == "Machines leaving China: seller → country → receiver, to Nov 2021"


def test_licence_notes_give_the_recorded_licence_or_say_unknown(dataset):
    notes = presskit.licence_notes(dataset, ViewState(metric="strain"))
    # sources.csv: OWID's energy data is CC BY 4.0; the CBECI exports have no licence recorded.
    assert "- Our World in Data (Ember and Energy Institute data underneath), “Energy dataset" in notes
    assert "release of about October 2022”: licence CC BY 4.0" in notes
    assert "“CBECI mining map: monthly hashrate share by country, Sep 2019 - Jan 2022 (export)”: licence unknown" in notes


def test_citation_cites_the_view_then_its_sources_in_three_formats(dataset):
    state = ViewState(countries=("USA",))
    link = presskit.view_link(BASE, state)
    text = presskit.citation_text(dataset, state, link, TODAY)
    assert text.startswith("Rig Flows, “Rig Flows: where China's crypto-mining machines went after the 2021 ban”, interactive dashboard, view: United States;")
    assert "http://127.0.0.1:8050/?country=USA (accessed 30 Nov 2026)" in text
    assert "Financial Times, “China's exiled crypto machines fuel global mining boom” (2021-11-21)" in text

    items = json.loads(json.dumps(presskit.citation_csl(dataset, state, link, TODAY)))
    assert items[0]["type"] == "webpage" and items[0]["URL"] == link and items[0]["accessed"] == {"date-parts": [[2026, 11, 30]]}
    by_id = {item["id"]: item for item in items}
    assert by_id["ft_exiled_machines"]["issued"] == {"date-parts": [[2021, 11, 21]]}
    assert by_id["dgtlinfra_whinstone"]["type"] == "article-newspaper"

    bibtex = presskit.citation_bibtex(dataset, state, link, TODAY)
    assert bibtex.startswith("@misc{rigflows,\n")
    assert bibtex.count("@misc{") == len(items)
    assert bibtex.count("{") - bibtex.count(r"\{") == bibtex.count("}") - bibtex.count(r"\}"), "unbalanced braces"
    # DgtlInfra's title has a '$', which BibTeX must see escaped.
    assert r"Northern Data, \$651M (title from URL)" in bibtex


def test_press_kit_holds_every_text_file_and_captions(dataset):
    kit = presskit.press_kit(dataset, ViewState(countries=("KAZ",)), BASE, TODAY)
    assert kit["link"] == "http://127.0.0.1:8050/?country=KAZ"
    assert set(kit["files"]) == {
        "README.txt", "link.txt", "rigflows_machines_KAZ.csv", "citation.txt", "citation.json", "citation.bib", "licences.txt",
        "map-alt-text.txt", "sankey-alt-text.txt", "energy-alt-text.txt",
    }
    assert all(text.strip() for text in kit["files"].values())
    lines = kit["charts"]["sankey"]["lines"]
    assert lines[0] == "View: Kazakhstan"
    assert lines[1].startswith("Sources: ") and "Financial Times" in lines[1]
    assert lines[2] == "Rig Flows, downloaded 30 Nov 2026: http://127.0.0.1:8050/?country=KAZ"
    assert kit["charts"]["map"]["filename"] == "rigflows_map_machines_KAZ"


def test_csv_covers_every_chart_of_the_view(dataset):
    table = export_table(dataset, ViewState(show_farms=True))
    views = table["view"].value_counts()
    # CBECI months Sep 2019 - Jan 2022 are 29; the default energy chart draws 4 countries.
    assert views["energy model"] == 29 * 4
    events = table[table["view"] == "energy event"]
    assert {"Almaty blackout", "Central Asian grid failure"} <= set(events["label"])
    reported = table[(table["view"] == "energy reported") & (table["label"] == "Government: mining draws 1,000-1,200 MW")]
    assert list(reported[["value", "low", "high"]].itertuples(index=False, name=None)) == [(pytest.approx(1.1), pytest.approx(1.0), pytest.approx(1.2))]
    farms = table[table["view"] == "farms"]
    assert "BitRiver Bratsk data centre" in set(farms["label"])
    assert "The9 Ltd (Nasdaq: NCTY) → Russia (BitRiver)" in set(table.loc[table["view"] == "reported without a count", "label"])
    assert table["sources"].str.len().gt(0).all()
    # No farm rows when the overlay is off.
    assert "farms" not in set(export_table(dataset, ViewState())["view"])
