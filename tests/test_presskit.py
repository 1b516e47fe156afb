"""The press kit's text (rigflows.presskit) and the full CSV, against figures worked by hand
from data/*.csv: flows.csv, flow_totals.csv, hashrate_share.csv, cbeci_power.csv,
cbeci_annual.csv, miner_efficiency.csv, grid_reports.csv and sources.csv."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from rigflows import alttext, presskit
from rigflows.select import export_table
from rigflows.state import ViewState

TODAY = date(2026, 11, 30)
BASE = "http://127.0.0.1:8050/"
#: The latest month of hashrate_share.csv: the month a view opens on.
LATEST = "2022-01"


def test_filters_in_words_name_countries_firms_month_and_metric():
    state = ViewState(metric="share", month="2021-08", countries=("KAZ", "RUS"), firms=("BitRiver",))
    assert presskit.filters_in_words(state) == "Kazakhstan and Russia; firm BitRiver; month Aug 2021; metric Share of global Bitcoin hashrate (%)"
    # Each chart says only what it draws: the Sankey has no month or metric, the energy chart no metric.
    assert presskit.filters_in_words(state, "sankey") == "Kazakhstan and Russia; firm BitRiver"
    assert presskit.filters_in_words(state, "energy") == "Kazakhstan and Russia; firm BitRiver; selected month Aug 2021"
    # The machines map has no month, and no load model.
    assert presskit.filters_in_words(ViewState(efficiency=34.0), "map") == "All countries and firms; metric Machines relocated from China (reported)"
    assert presskit.filters_in_words(ViewState(firms=("Bitmain", "MicroBT"), show_remainders=False), "sankey") == "All countries; firms Bitmain and MicroBT; remainders hidden"
    # The orders layer is named where it is drawn (map and Sankey), never in the energy chart.
    orders = ViewState(month="2021-08", show_orders=True)
    assert presskit.filters_in_words(orders, "sankey") == "All countries and firms; orders and machines in transit shown"
    assert "orders" not in presskit.filters_in_words(orders, "energy")
    # The reader's load model, where a chart draws it.
    model = ViewState(metric="load", month="2021-08", cbeci="v1", efficiency=34.0, pue=1.1)
    assert presskit.filters_in_words(model, "energy") == "All countries and firms; selected month Aug 2021; network power CBECI v1 (pre-2023 model); fleet efficiency 34 J/TH; overhead 1.1"
    assert presskit.filters_in_words(model, "map").endswith("metric Estimated mining load (GW, model); network power CBECI v1 (pre-2023 model); fleet efficiency 34 J/TH; overhead 1.1")


def test_view_link_is_the_base_address_plus_the_query_the_page_writes():
    # The page leaves the dataset's default month out of its address; any other month is in it.
    assert presskit.view_link(BASE, ViewState(month=LATEST), LATEST) == "http://127.0.0.1:8050/"
    assert presskit.view_link(BASE, ViewState(month="2021-08"), LATEST) == "http://127.0.0.1:8050/?month=2021-08"
    assert presskit.view_link("https://example.org/rigflows", ViewState(month=LATEST, countries=("KAZ",)), LATEST) == "https://example.org/rigflows/?country=KAZ"


def test_map_alt_text_lists_destinations_by_machines_relocated(dataset):
    # flow_totals.csv, machines relocated from China to Nov 2021: Russia at least 205,000 (rank 1),
    # Kazakhstan 87,849 (2), US 87,200 (3); Canada (4), Paraguay and Venezuela ranked with no count.
    # Orders (Bitmain → Marathon 30,000, MicroBT → Hut 8 24,000) and Bit Digital's ~1,000 in
    # transit are not relocations: never added (the US is not 87,200 + 30,000 + 1,000 = 118,200).
    text = alttext.map_alt(dataset, ViewState())
    assert text.startswith("Choropleth map of machines relocated from China (reported) by country")
    assert "to Nov 2021: Russia at least 205,000, Kazakhstan 87,849, United States 87,200." in text
    assert "Reported as destinations without a count: Canada, Paraguay and Venezuela." in text
    assert "118,200" not in text and "24,000" not in text and "Dashed" not in text


def test_map_alt_text_names_orders_as_their_own_dashed_layer(dataset):
    # With orders=1 the map adds dashed lines, in the words of their hover (flows.csv: Marathon's
    # order delivered 2022-01 to 2022-06; Hut 8's from 2021-06, no end given; Bit Digital 'almost
    # 1,000' in transit). The counts relocated stay as they were.
    text = alttext.map_alt(dataset, ViewState(show_orders=True))
    assert "Russia at least 205,000, Kazakhstan 87,849, United States 87,200." in text
    assert "China → Canada, not received: MicroBT → Hut 8 Mining 24,000 (order of new machines, not received, deliveries from Jun 2021 (end not stated))" in text
    assert "Bitmain → Marathon Digital Holdings 30,000 (order of new machines, not received, delivery Jan 2022 – Jun 2022)" in text
    assert "Bit Digital → Bit Digital about 1,000 (in transit, not received)" in text


def test_map_alt_text_of_a_model_metric_gives_ranges(dataset):
    text = alttext.map_alt(dataset, ViewState(metric="load", month="2021-08", countries=("KAZ",)))
    assert text.startswith("Choropleth map of estimated mining load (GW, model) by country, Aug 2021: Kazakhstan ")
    assert " GW (range " in text and "Russia" not in text


def test_sankey_alt_text_names_every_reported_flow_with_its_count(dataset):
    text = alttext.sankey_alt(dataset, ViewState())
    assert "Bitfufu (BitFuFu) to Kazakhstan 80,000" in text
    assert "Russia to BitRiver 200,000" in text
    # flows.csv: Bit Cluster's 'more than 5,000'.
    assert "Russia to Bit Cluster at least 5,000" in text
    # Remainders are bounds, as worded. Tracked: over 430,000 - (at least 205,000 + 87,849 + 87,200)
    # = 49,951, floors on both sides, so about 50,000 (3 significant figures). Left China: more than
    # 2m - over 430,000 = 1,570,000, floors on both sides: about 1.57 million. The US total has no
    # breakdown: 87,200 - 0 = 87,200, exact.
    assert "Sellers not itemised to Tracked, destination not attributed about 50,000 (derived remainder, not attributed)" in text
    assert "Sellers not itemised to Left China, destination not tracked about 1.57 million (derived remainder, not attributed)" in text
    assert "United States to Not identified (United States) 87,200 (derived remainder, not attributed)" in text
    assert "49,951" not in text and "1,570,000" not in text
    # Orders (layer off) and plans are not drawn; they are listed under the chart, as worded there.
    assert "MicroBT to Canada" not in text and "to Doctor Miner" not in text
    assert "Order of new machines, not received: MicroBT → Canada (Hut 8 Mining), 24,000" in text
    assert "Plan or request, not counted: three large Chinese firms (not named) → Venezuela (Doctor Miner), about 7,000" in text
    assert "Canada, count not reported" in text


def test_sankey_alt_text_describes_the_largest_links_and_counts_the_rest(dataset):
    """25 links from one seller, of 1 to 25 machines: the 20 largest are read out, largest
    first, and the 5 smallest (1 to 5 machines) are counted, not listed."""
    links = pd.DataFrame({
        "source": ["Seller A"] * 25, "target": [f"Country {n}" for n in range(1, 26)], "source_column": [0] * 25, "target_column": [1] * 25,
        "machines": [float(n) for n in range(1, 26)], "shown": [str(n) for n in range(1, 26)], "kind": ["relocation"] * 25,
    })
    text = alttext.sankey_alt(dataset, ViewState(), links)
    assert "From sellers to countries: Seller A to Country 25 25; Seller A to Country 24 24;" in text
    assert "Seller A to Country 6 6; and 5 smaller links (the data table lists every link)." in text
    assert "Country 5 " not in text and "Country 1 " not in text


def test_sankey_alt_text_draws_orders_apart_with_their_delivery(dataset):
    text = alttext.sankey_alt(dataset, ViewState(show_orders=True))
    assert "MicroBT to Canada 24,000 (order of new machines, not received)" in text
    assert "Bitmain to United States 30,000 (order of new machines, not received)" in text
    assert "Bit Digital to United States about 1,000 (in transit, not received)" in text
    # flows.csv delivery_start/delivery_end: Marathon 2022-01 to 2022-06; Hut 8 from 2021-06.
    assert "When ordered machines arrive: Bitmain to Marathon Digital Holdings, delivery Jan 2022 – Jun 2022; MicroBT to Hut 8 Mining, deliveries from Jun 2021 (end not stated)." in text
    # Plans are never drawn, orders layer or not.
    assert "to Doctor Miner" not in text


def test_sankey_alt_text_follows_the_filter(dataset):
    text = alttext.sankey_alt(dataset, ViewState(countries=("RUS",)))
    assert "Russia to BitRiver 200,000" in text and "Russia to Bit Cluster at least 5,000" in text
    assert "Kazakhstan" not in text and "remainder" not in text


def test_energy_alt_text_gives_reported_loads_and_events_from_grid_reports(dataset):
    # No month in the state: the view opens on the latest month, Jan 2022.
    text = alttext.energy_alt(dataset, ViewState(countries=("KAZ",)))
    assert "for Kazakhstan: a model, not measured." in text
    # Jan 2022: Kazakhstan 13.22 % of hashrate, 24.8 EH/s. CBECI v1 mean of the 31 daily estimates
    # 124.467629 TWh/yr ÷ 8.76 = 14.2086 GW, scaled to the 2023 revision for 2022 by
    # 95.5 / 105.3 (revised ÷ published v1 total) = 12.8862 GW; × 0.1322 = 1.7036 → 1.70 GW.
    # Band: 24.8 EH/s × 29.55 J/TH (S19 Pro, best released by then) = 0.7328 GW; × 98 J/TH (the
    # S9-era median) = 2.4304 GW.
    assert "In Jan 2022, the selected month: Kazakhstan 1.70 GW (range 0.73 GW to 2.43 GW)." in text
    # grid_reports.csv: the deputy minister's 1,000-1,200 MW on 5 Nov 2021, drawn at its midpoint.
    assert "Kazakhstan, 5 Nov 2021: Government: mining draws 1,000-1,200 MW (1.10 GW, range 1.00 GW to 1.20 GW)" in text
    assert "Kazakhstan, 25 Jan 2022: Central Asian grid failure" in text
    assert "Greenidge" not in text


def test_energy_alt_text_says_which_model_it_draws(dataset):
    text = alttext.energy_alt(dataset, ViewState(countries=("KAZ",)))
    assert "Default model: CBECI's own efficiency (its network power ÷ network hashrate), no added overhead." in text
    # cbeci_annual.csv has revised totals for 2021 and 2022 only; hashrate_share.csv runs Sep 2019 - Jan 2022.
    assert "Network power: CBECI 2023 revision, Jan 2021 – Jan 2022; CBECI v1 (pre-2023 model), Sep 2019 – Dec 2020." in text
    # hashrate_share.csv: China's 0 % in Jul and Aug 2021 is flagged measurement_gap.
    assert "Shaded: CBECI measurement-gap months (Jul 2021 to Aug 2021)" in text

    # v1: 0.1322 × 14.2086 GW = 1.8784 → 1.88 GW; the band does not use network power.
    v1 = alttext.energy_alt(dataset, ViewState(countries=("KAZ",), cbeci="v1"))
    assert "Network power: CBECI v1 (pre-2023 model), Sep 2019 – Jan 2022." in v1
    assert "In Jan 2022, the selected month: Kazakhstan 1.88 GW (range 0.73 GW to 2.43 GW)." in v1

    # The reader's fleet: 24.8 EH/s × 34 J/TH × 1.1 = 927.52 MW → 0.93 GW; band 24.8 × 29.55 × 1.1
    # = 806.1 MW and 24.8 × 98 × 1.1 = 2,673.4 MW.
    own = alttext.energy_alt(dataset, ViewState(countries=("KAZ",), efficiency=34.0, pue=1.1))
    assert "Your assumptions: load (GW) = hashrate (EH/s) × 34 J/TH × overhead 1.1 ÷ 1000. The default model is drawn dotted for comparison." in own
    assert "In Jan 2022, the selected month: Kazakhstan 0.93 GW (range 0.81 GW to 2.67 GW)." in own


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
    link = presskit.view_link(BASE, state, LATEST)
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
    assert kit["link"] == "http://127.0.0.1:8050/?country=KAZ" and kit["query"] == "?country=KAZ"
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
    listed = set(table.loc[table["view"] == "reported without a count", "label"])
    assert "Relocation: The9 Ltd (Nasdaq: NCTY) → Russia (BitRiver), count not reported" in listed
    assert table["sources"].str.len().gt(0).all()
    # No farm rows when the overlay is off.
    assert "farms" not in set(export_table(dataset, ViewState())["view"])


def test_csv_counts_relocations_and_keeps_orders_apart(dataset):
    table = export_table(dataset, ViewState())
    machines = table[table["view"] == "map"].set_index("iso3")
    # flow_totals.csv, as reported: Russia 'at least 205,000', the US 87,200 (orders not added).
    assert machines.loc["RUS", "value_as_reported"] == "at least 205,000"
    assert machines.loc["USA", "value"] == 87_200
    assert set(table.loc[table["view"] == "sankey", "kind"]) == {"relocation", "remainder"}
    listed = set(table.loc[table["view"] == "reported without a count", "label"])
    assert "Order of new machines, not received: Bitmain → United States (Marathon Digital Holdings), 30,000" in listed
    # With the orders layer, the order is a Sankey row of its own kind, no longer listed apart.
    with_orders = export_table(dataset, ViewState(show_orders=True))
    orders = with_orders[(with_orders["view"] == "sankey") & (with_orders["kind"] == "order")]
    assert ("Bitmain", "United States", 30_000) in set(orders[["from", "to", "value"]].itertuples(index=False, name=None))
    assert not with_orders["label"].str.startswith("Order of new machines").any()
    assert with_orders.set_index(["view", "iso3"]).loc[("map", "USA"), "value"] == 87_200


def test_csv_energy_rows_say_which_model_drew_them(dataset):
    table = export_table(dataset, ViewState(countries=("KAZ",)))
    notes = table.loc[table["view"] == "energy model"].set_index("month")["notes"]
    default = "GW, model estimate, not measured. Default model: CBECI's own efficiency (its network power ÷ network hashrate), no added overhead."
    # cbeci_annual.csv: revised totals for 2021 and 2022; 2019 and 2020 stay at v1.
    assert notes["2022-01"] == default + " Network power: CBECI 2023 revision."
    assert notes["2020-12"] == default + " Network power: CBECI v1 (pre-2023 model) (no revised annual total for this year)."
    own = export_table(dataset, ViewState(countries=("KAZ",), efficiency=34.0, pue=1.1))
    rows = own.loc[own["view"] == "energy model"].set_index("month")
    assert rows.loc["2022-01", "notes"].startswith("GW, model estimate, not measured. Your assumptions: load (GW) = hashrate (EH/s) × 34 J/TH × overhead 1.1 ÷ 1000.")
    # 24.8 EH/s × 34 J/TH × 1.1 ÷ 1000 = 0.92752 GW (as in the alt text test).
    assert rows.loc["2022-01", "value"] == pytest.approx(0.92752)
