"""The rows behind each view, from the bundled data: filters, remainders, map metrics, export."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from rigflows.select import (
    NOT_ITEMISED,
    _links_of,
    _machine_rows,
    derived_remainders,
    drawn_links,
    energy_countries,
    export_table,
    farm_markers,
    filter_flows,
    flow_lines,
    grid_events,
    map_rows,
    received_machines,
    reported_loads,
    sankey_links,
    unquantified_reports,
    vocabulary,
)
from rigflows.state import ViewState


def test_country_filter_keeps_only_that_countrys_flows(dataset):
    flows = filter_flows(dataset, ViewState(countries=("KAZ",)))
    assert set(flows["destination_iso3"]) == {"KAZ"}
    assert len(flows) == (dataset.flows["destination_iso3"] == "KAZ").sum()


def test_firm_filter_matches_sellers_and_receivers(dataset):
    flows = filter_flows(dataset, ViewState(firms=("BitRiver", "Bitmain")))
    assert set(flows["receiver"]) >= {"BitRiver"}
    assert "Bitmain" in set(flows["seller"])
    assert all(row.seller in {"BitRiver", "Bitmain"} or row.receiver in {"BitRiver", "Bitmain"} for row in flows.itertuples())


def test_sankey_links_balance_at_the_country_column(dataset):
    """What flows into a country node equals what flows out of it to receivers."""
    links = sankey_links(dataset, ViewState())
    inflow = links[links["target_column"] == 1].groupby("target")["machines"].sum()
    outflow = links[links["source_column"] == 1].groupby("source")["machines"].sum()
    for country, machines in outflow.items():
        assert inflow[country] == machines


def test_untracked_remainders_appear_only_unfiltered_and_when_asked(dataset):
    everything = sankey_links(dataset, ViewState())
    remainder_links = everything[everything["kind"] == "remainder"]
    assert set(remainder_links.loc[remainder_links["source_column"] == 0, "source"]) == {NOT_ITEMISED}
    assert set(remainder_links["machines"]) == set(derived_remainders(dataset)["machines"])
    untracked = set(derived_remainders(dataset).loc[lambda rows: rows["iso3"].isna(), "label"])
    assert untracked <= set(everything["target"])
    assert not untracked & set(sankey_links(dataset, ViewState(show_remainders=False))["target"])
    assert (sankey_links(dataset, ViewState(countries=("RUS",)))["kind"] != "remainder").all()


def test_a_country_remainder_is_that_countrys_count_whatever_the_toggles(dataset):
    """The US total has no breakdown: it is drawn as its remainder, even filtered to the US."""
    for state in (ViewState(), ViewState(show_remainders=False), ViewState(countries=("USA",))):
        links = sankey_links(dataset, state)
        into_us = links[(links["target"] == "United States") & (links["target_column"] == 1)]
        assert into_us["machines"].sum() == 87_200, state


def test_unknown_receivers_in_two_countries_stay_two_nodes(dataset):
    targets = set(sankey_links(dataset, ViewState())["target"])
    assert "Not identified (United States)" in targets and "Not identified (Kazakhstan)" in targets


def test_flows_without_a_count_are_listed_not_drawn(dataset):
    listed = " ".join(unquantified_reports(dataset, ViewState())["what"])
    assert "The9" in listed and "Canada" in listed
    drawn = sankey_links(dataset, ViewState())
    assert not drawn["source"].str.contains("The9").any()


def test_machine_map_counts_confirmed_flows_and_marks_countries_without_a_count(dataset):
    rows = map_rows(dataset, ViewState()).set_index("iso3")
    flows = dataset.flows
    confirmed = flows[(flows["destination_iso3"] == "KAZ") & (flows["kind"] == "relocation")]["machines"].sum()
    assert rows.loc["KAZ", "value"] == confirmed
    assert rows.loc["PRY", "status"] == "no count" and math.isnan(rows.loc["PRY", "value"])  # a plan is not a count
    assert rows.loc["CAN", "status"] == "no count" and math.isnan(rows.loc["CAN", "value"])  # an order is not a count
    assert any("order of new machines" in line for line in rows.loc["CAN", "details"])
    assert "CHN" not in rows.index  # China is the origin, not a destination


@pytest.mark.parametrize("metric", ["share", "load", "strain"])
def test_time_metrics_change_with_the_month_and_keep_flags(dataset, metric):
    august = map_rows(dataset, ViewState(metric=metric, month="2021-08")).set_index("iso3")
    january = map_rows(dataset, ViewState(metric=metric, month="2022-01")).set_index("iso3")
    assert august.loc["KAZ", "value"] != january.loc["KAZ", "value"]
    assert august.loc["IRL", "status"] == "flagged"
    assert "OTHER" not in august.index


def test_china_zero_in_july_2021_is_flagged_not_a_plain_zero(dataset):
    row = map_rows(dataset, ViewState(metric="share", month="2021-07")).set_index("iso3").loc["CHN"]
    assert row["value"] == 0 and row["status"] == "flagged"
    assert any("measurement gap" in line for line in row["details"])


def test_firm_filter_limits_the_map_to_the_firms_countries(dataset):
    rows = map_rows(dataset, ViewState(metric="share", firms=("BitRiver",)))
    assert list(rows["iso3"]) == ["RUS"]


def test_energy_countries_default_to_largest_destinations_and_follow_the_filter(dataset):
    assert energy_countries(dataset, ViewState())[0] == "RUS"
    assert energy_countries(dataset, ViewState(countries=("CAN", "KAZ"))) == ["CAN", "KAZ"]


def test_reported_loads_are_in_gw_and_ranges_keep_their_bounds(dataset):
    reports = reported_loads(dataset, ViewState(countries=("KAZ",)))
    assert (reports["unit"].isin(["MW", "GW"])).all()
    mw = reports[reports["unit"] == "MW"].iloc[0]
    source = dataset.grid_reports.set_index("report_id").loc[mw["report_id"]]
    expected = source["value"] if not pd.isna(source["value"]) else (source["value_low"] + source["value_high"]) / 2
    assert mw["value_gw"] == pytest.approx(expected / 1000)


def test_farm_markers_only_with_coordinates_and_filtered(dataset):
    farms = farm_markers(dataset, ViewState())
    assert farms["lat"].notna().all()
    assert set(farm_markers(dataset, ViewState(countries=("CAN",)))["iso3"]) == {"CAN"}


def test_view_sources_include_originals_of_press_copies(dataset):
    from rigflows.render import view_sources

    sources = view_sources(dataset, ViewState())
    ids = set(sources["source_id"])
    copies = sources[sources["kind"] == "press_copy"]
    assert not copies.empty
    assert set(copies["original_id"].dropna()) <= ids
    # Narrower view, fewer sources.
    assert len(view_sources(dataset, ViewState(countries=("CAN",)))) < len(sources)


def test_export_holds_exactly_the_rows_on_screen_with_citations(dataset):
    state = ViewState(metric="share", month="2021-10", countries=("KAZ", "RUS"))
    table = export_table(dataset, state)
    map_part = table[table["view"] == "map"]
    assert sorted(map_part["iso3"]) == ["KAZ", "RUS"]
    assert (map_part["month"] == "2021-10").all()
    assert len(table[table["view"] == "sankey"]) == len(sankey_links(dataset, state))
    assert table["sources"].str.len().gt(0).all()
    assert table["sources"].str.contains("http").any()


def test_vocabulary_offers_every_named_country_and_firm(dataset):
    vocab = vocabulary(dataset)
    assert {"RUS", "KAZ", "USA", "CAN", "PRY", "VEN"} <= vocab.countries
    assert "BitRiver" in vocab.firms and "not identified" not in {firm.lower() for firm in vocab.firms}
    assert vocab.months[0] == "2019-09" and vocab.months[-1] == "2022-01"


def test_flow_lines_run_from_china_to_each_destination_at_the_maps_anchors(dataset):
    from rigflows.select import flow_lines

    lines = flow_lines(dataset, ViewState()).set_index("iso3")
    assert set(lines.index) == {"RUS", "KAZ", "USA"}
    assert "PRY" not in lines.index and "CAN" not in lines.index  # a plan, an order: not received
    china = dataset.geometry.anchor("CHN")
    assert (lines["from_lon"] == china[0]).all() and (lines["from_lat"] == china[1]).all()
    assert (lines.loc["KAZ", "to_lon"], lines.loc["KAZ", "to_lat"]) == dataset.geometry.anchor("KAZ")
    assert lines.loc["RUS", "machines"] == map_rows(dataset, ViewState()).set_index("iso3").loc["RUS", "value"]
    assert flow_lines(dataset, ViewState(countries=("CAN",))).empty
    orders = flow_lines(dataset, ViewState(countries=("CAN",), show_orders=True))
    assert orders["layer"].tolist() == ["not received"] and "Hut 8" in orders["text"].iloc[0]


# --- sources named as readers know them ----------------------------------------------------


def test_hover_rows_name_their_sources_as_the_source_line_credits_them(dataset):
    # kaz_bitfufu cites the FT, three press copies of it and CoinDesk: the copies are the FT's.
    links = sankey_links(dataset, ViewState())
    bitfufu = links[(links["source"] == "Bitfufu (BitFuFu)") & (links["target"] == "Kazakhstan")]
    assert list(bitfufu["source_names"]) == [("Financial Times", "CoinDesk")]
    # A grid event read only in a copy whose original has no row of its own: the copy's producer.
    events = grid_events(dataset, ViewState(countries=("KAZ",)))
    kegoc = events[events["title"] == "KEGOC cuts power to miners"]
    assert list(kegoc["source_names"]) == [("cryptotradeinfo.com (copy of CoinDesk, citing Reuters)",)]
    # The share map's rows: CBECI's mining map, credited to CCAF.
    shares = map_rows(dataset, ViewState(metric="share", month="2021-10"))
    assert set(shares["source_names"]) == {("Cambridge Centre for Alternative Finance (CCAF), CBECI",)}
    # Farms and reported loads carry them too.
    farms = farm_markers(dataset, ViewState(show_farms=True))
    assert all(isinstance(names, tuple) and names for names in farms["source_names"])
    loads = reported_loads(dataset, ViewState(countries=("USA",)))
    assert all(isinstance(names, tuple) and names for names in loads["source_names"])


def _link(source, target, column, machines, kind="relocation", ids=("ft_exiled_machines",)):
    return {"source": source, "target": target, "source_column": column, "target_column": column + 1, "machines": machines,
            "shown": f"{machines:,}", "kind": kind, "confidence": "high", "source_ids": ids, "note": ""}


def test_the_sankey_draws_the_largest_sellers_and_counts_the_others_in_one_node(dataset):
    """Four sellers into Russia, two drawn: the two smallest (300 and 200 machines) become one
    node of 500, whose link keeps both sources; the remainder is never merged."""
    links = pd.DataFrame([
        _link("A", "Russia", 0, 5000), _link("B", "Russia", 0, 4000),
        _link("C", "Russia", 0, 300, ids=("hut8_update_2021_06_28",)), _link("D", "Russia", 0, 200),
        _link(NOT_ITEMISED, "Russia", 0, 100, kind="remainder"),
        _link("Russia", "Farm", 1, 9500),
    ])
    drawn = drawn_links(dataset, links, most=2)
    sellers = drawn[drawn["source_column"] == 0].set_index("source")
    assert list(sellers.index) == ["A", "B", "2 other sellers", NOT_ITEMISED]
    assert sellers.loc["2 other sellers", "machines"] == 500
    assert sellers.loc["2 other sellers", "shown"] == "300 + 200"
    assert sellers.loc["2 other sellers", "source_ids"] == ("hut8_update_2021_06_28", "ft_exiled_machines")
    # One receiver: nothing to merge on that side; and with room for every seller, nothing at all.
    assert list(drawn.loc[drawn["source_column"] == 1, "target"]) == ["Farm"]
    assert drawn_links(dataset, links, most=4) is links
    # Past three merged counts, the rest are counted: the quote stays short.
    every = drawn_links(dataset, links, most=0).set_index("source")
    assert every.loc["4 other sellers", "shown"] == "5,000 + 4,000 + 300 + 1 more" and every.loc["4 other sellers", "machines"] == 9500


def test_small_countries_merge_at_both_ends_of_their_links(dataset):
    """Three countries, one drawn: Kazakhstan (300) and Canada (200) become "2 other
    countries", the end of the seller's links and the start of the receivers'."""
    links = pd.DataFrame([
        _link("A", "Russia", 0, 5000), _link("A", "Kazakhstan", 0, 300), _link("A", "Canada", 0, 200),
        _link("Russia", "R1", 1, 5000), _link("Kazakhstan", "K1", 1, 300), _link("Canada", "C1", 1, 200),
    ])
    drawn = drawn_links(dataset, links, most=1)
    assert set(drawn.loc[drawn["source_column"] == 0, "target"]) == {"Russia", "2 other countries"}
    into_others = drawn[(drawn["source_column"] == 0) & (drawn["target"] == "2 other countries")]
    assert into_others["machines"].tolist() == [500]
    # Their receivers, merged too (K1 and C1 are the smallest): one link of 500 between the two.
    assert drawn.loc[drawn["source"] == "2 other countries", ["target", "machines"]].values.tolist() == [["2 other receivers", 500]]


def test_the_bundled_sankey_is_drawn_whole(dataset):
    for state in (ViewState(), ViewState(show_orders=True)):
        links = sankey_links(dataset, state)
        assert drawn_links(dataset, links) is links


# --- a country filter's rows, cut from the unfiltered view's (select.cut_by_country) ------------


def country_filters(dataset) -> list[tuple[str, ...]]:
    """Every destination alone and in pairs, plus one country no flow reaches (none of its rows)."""
    destinations = sorted(set(dataset.flows["destination_iso3"]) | set(dataset.flow_totals["iso3"].dropna()))
    return [(iso3,) for iso3 in destinations] + list(itertools.combinations(destinations, 2)) + [("ATA",)]


@pytest.mark.parametrize("selection", [received_machines, flow_lines, _machine_rows], ids=lambda select: select.__name__)
@pytest.mark.parametrize("show_orders", [False, True])
def test_a_country_filters_rows_are_the_full_pass_over_the_tables(dataset, selection, show_orders):
    """The cut equals the selection computed over the tables for that filter (`__wrapped__`),
    value for value (an empty selection's columns are typed object by the full pass, str by the cut)."""
    for countries in country_filters(dataset):
        state = ViewState(countries=countries, show_orders=show_orders)
        pd.testing.assert_frame_equal(selection(dataset, state), selection.__wrapped__(dataset, state).reset_index(drop=True), check_dtype=False, check_index_type=False, obj=f"{selection.__name__} {countries}")


@pytest.mark.parametrize("show_orders", [False, True])
def test_a_country_filters_sankey_links_are_the_full_pass_over_the_flows(dataset, show_orders):
    """`sankey_links` of a country filter, cut from the unfiltered view's links, equals the pass
    over that filter's flows and remainders (`_links_of`): the same links, merged, in order."""
    for countries in country_filters(dataset):
        state = ViewState(countries=countries, show_orders=show_orders)
        pd.testing.assert_frame_equal(sankey_links(dataset, state), _links_of(dataset, state), check_dtype=False, obj=f"sankey_links {countries}")


def test_kazakhstans_sankey_links_carry_its_reported_total(dataset):
    """Cut or not, Kazakhstan's links into its receivers add up to 87,849 machines (the FT's total)."""
    links = sankey_links(dataset, ViewState(countries=("KAZ",)))
    assert links.loc[links["source_column"] == 1, "machines"].sum() == 87_849
    assert set(links.loc[links["source_column"] == 0, "target"]) == {"Kazakhstan"}


def test_a_firm_filter_is_never_cut_from_the_unfiltered_rows(dataset):
    """Kazakhstan: 87,849 machines in all (the FT's total), Bitfufu's own 80,000 under its filter."""
    assert received_machines(dataset, ViewState(countries=("KAZ",)))["machines"].tolist() == [87_849]
    assert received_machines(dataset, ViewState(countries=("KAZ",), firms=("Bitfufu (BitFuFu)",)))["machines"].tolist() == [80_000]
