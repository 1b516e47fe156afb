"""The data rules that keep the headline honest and every accepted directory drawable, each broken
on purpose in a copy of the bundled data (file, line and column of the problem checked)."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import edit_table
from rigflows.dataset import find_problems
from test_data_validation import line_of, only_problem, set_cell


def test_two_totals_for_one_country(data_copy):
    edit_table(data_copy, "flow_totals", lambda frame: pd.concat([frame, frame[frame["total_id"] == "total_canada"].assign(total_id="total_canada_again")]))
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_canada_again"), "iso3")
    assert "CAN" in message and "one total per country" in message


def test_a_cycle_of_parent_totals(data_copy):
    set_cell(data_copy, "flow_totals", "total_left_china", "parent_id", "total_tracked")
    problems = find_problems(data_copy)
    cycle = [p for p in problems if p.column == "parent_id"]
    assert {p.line for p in cycle} == {line_of(data_copy, "flow_totals", "total_left_china"), line_of(data_copy, "flow_totals", "total_tracked")}
    assert all("cycle" in p.message for p in cycle)


def test_complete_parts_without_a_number(data_copy):
    set_cell(data_copy, "flow_totals", "total_canada", "parts_complete", "true")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_canada"), "parts_complete")
    assert "without a number" in message


def test_an_order_without_its_delivery_start(data_copy):
    set_cell(data_copy, "flows", "usa_bitmain_marathon", "delivery_start", "")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "usa_bitmain_marathon"), "delivery_start")
    assert "delivery" in message


def test_a_delivery_period_on_a_relocation(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "delivery_end", "2021-09")
    only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "delivery_end")


def test_delivery_ending_before_it_starts(data_copy):
    set_cell(data_copy, "flows", "usa_bitmain_marathon", "delivery_end", "2021-12")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "usa_bitmain_marathon"), "delivery_end")
    assert "before it starts" in message


@pytest.mark.parametrize(("flow_id", "kind"), [("usa_bit_digital", "in_transit"), ("pry_digital_assets", "plan_or_request")])
def test_machines_not_received_in_a_received_total(data_copy, flow_id, kind):
    total = {"usa_bit_digital": "total_usa", "pry_digital_assets": "total_paraguay"}[flow_id]
    set_cell(data_copy, "flows", flow_id, "total_id", total)
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", flow_id), "total_id")
    assert kind in message and "received" in message


def test_a_plan_graded_as_a_report(data_copy):
    set_cell(data_copy, "flows", "ven_doctor_miner", "confidence", "single_report")
    only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "ven_doctor_miner"), "confidence")


def test_a_makers_sale_called_a_relocation(data_copy):
    set_cell(data_copy, "flows", "can_microbt_hut8", "kind", "relocation")
    problems = find_problems(data_copy)
    line = line_of(data_copy, "flows", "can_microbt_hut8")
    assert {(p.line, p.column) for p in problems if p.file == "flows.csv"} >= {(line, "kind"), (line, "delivery_start")}


def test_a_counted_relocation_outside_its_countrys_total(data_copy):
    set_cell(data_copy, "flows", "rus_bit_cluster", "total_id", "")
    problems = find_problems(data_copy)
    line = line_of(data_copy, "flows", "rus_bit_cluster")
    assert ("flows.csv", line, "total_id") in {(p.file, p.line, p.column) for p in problems}


def test_hashrate_shares_with_no_month(data_copy):
    edit_table(data_copy, "hashrate_share", lambda frame: frame.iloc[0:0])
    problems = find_problems(data_copy)
    assert [p.file for p in problems] == ["hashrate_share.csv"] and "at least one row" in problems[0].message


def test_a_note_citing_an_unknown_source(data_copy):
    set_cell(data_copy, "notes", "data_credit", "source_ids", "ft_exiled_machines;no_such_source")
    message = only_problem(data_copy, "notes.csv", line_of(data_copy, "notes", "data_credit"), "source_ids")
    assert "no_such_source" in message


def test_a_note_of_an_unknown_kind(data_copy):
    set_cell(data_copy, "notes", "data_credit", "kind", "footer")
    only_problem(data_copy, "notes.csv", line_of(data_copy, "notes", "data_credit"), "kind")


# --- reader-facing text says things in words -----------------------------------------------


@pytest.mark.parametrize(
    ("table", "key", "column", "text", "named"),
    [
        ("flows", "rus_bitriver", "note", "Company-wide: farm_id points to Bratsk.", "'farm_id'"),
        ("flow_totals", "total_russia", "note", "Some copies garble this (see README, conflicts).", "README"),
        ("sources", "ihodl_ft_copy", "note", "An order delivered in 2022, see btcecho_marathon.", "BTC-ECHO"),
        ("grid_reports", "kaz_almaty_blackout_2021_07", "description", "Total blackout in Almaty (see notes.csv).", "'notes.csv'"),
        ("events", "ft_report", "title", "FT report, read in ft_exiled_machines", "(Financial Times)"),
        ("farms", "bit_cluster", "name", "Bit Cluster (a mining_firm)", "'mining_firm'"),
        ("notes", "data_credit", "text", "Data: the farm_id/source_ids of each row.", "'farm_id'"),
    ],
)
def test_reader_text_naming_an_internal_id(data_copy, table, key, column, text, named):
    set_cell(data_copy, table, key, column, text)
    message = only_problem(data_copy, f"{table}.csv", line_of(data_copy, table, key), column)
    assert named in message


def test_a_sources_own_file_path_is_not_an_internal_id(data_copy):
    # A repository path keeps its own underscores (the bundled CCAF rows cite server_config/miners.csv).
    set_cell(data_copy, "sources", "ft_exiled_machines", "note", "Read in GitHub some_owner/some_repo, file data/raw_export.csv (https://example.org/a_b).")
    assert find_problems(data_copy) == []
