"""Every data rule, broken on purpose in a copy of the bundled data.

Each test breaks one thing in `data_copy`, runs `find_problems`, and checks that the problem
names the right file, line (1-based, header = line 1) and column, and says what is wrong. Line
numbers are looked up in the CSV text itself (`line_of`), not worked out the way the loader does.
The last tests run the same checks through the `check` command and the app's start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA_DIR, edit_table
from rigflows.config import PROJECT_ROOT
from rigflows.dataset import find_problems
from rigflows.problems import DataError, DataProblem

SUBPROCESS_TIMEOUT_S = 120


# --- helpers -------------------------------------------------------------------------------


def line_of(data_dir: Path, table: str, key: str) -> int:
    """1-based line of the first row of `table` whose text starts with `key,` (header = 1)."""
    lines = (data_dir / f"{table}.csv").read_text(encoding="utf-8").splitlines()
    for number, text in enumerate(lines, start=1):
        if number > 1 and text.startswith(f"{key},"):
            return number
    raise AssertionError(f"no row starting with {key!r} in {table}.csv")


def set_cell(data_dir: Path, table: str, key: str, column: str, value: str) -> None:
    """Set `column` to `value` in the row of `table` whose first column is `key`."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        rows = frame[frame.columns[0]] == key
        assert rows.sum() == 1, f"{key!r} is not one row of {table}.csv"
        frame.loc[rows, column] = value
        return frame

    edit_table(data_dir, table, change)


def set_share(data_dir: Path, month: str, iso3: str, share: str) -> None:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        rows = (frame["month"] == month) & (frame["iso3"] == iso3)
        assert rows.sum() == 1
        frame.loc[rows, "share_pct"] = share
        return frame

    edit_table(data_dir, "hashrate_share", change)


def where(problems: list[DataProblem]) -> set[tuple[str, int | None, str | None]]:
    return {(problem.file, problem.line, problem.column) for problem in problems}


def only_problem(data_dir: Path, file: str, line: int | None, column: str | None) -> str:
    """Assert the data has problems at exactly this one place; return the message."""
    problems = find_problems(data_dir)
    assert where(problems) == {(file, line, column)}, "\n".join(map(str, problems))
    return problems[0].message


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )


# --- the bundled data ----------------------------------------------------------------------


def test_bundled_data_has_no_problems():
    assert find_problems(DATA_DIR) == []


def test_an_unchanged_copy_has_no_problems(data_copy):
    # The helpers rewrite files through pandas; a round trip alone must not break anything.
    edit_table(data_copy, "flows", lambda frame: frame)
    assert find_problems(data_copy) == []


# --- countries -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XXZ", "ABC"])
def test_unknown_iso3_code(data_copy, code):
    # 'ABC' looks like an ISO-3 code but is not assigned to any country.
    set_cell(data_copy, "flows", "rus_bitriver", "destination_iso3", code)
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "rus_bitriver"), "destination_iso3")
    assert "ISO 3166-1 alpha-3" in message and code in message


def test_unknown_iso3_in_farms(data_copy):
    set_cell(data_copy, "farms", "hut8_medicine_hat", "iso3", "CDN")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "hut8_medicine_hat"), "iso3")
    assert "ISO 3166-1 alpha-3" in message and "CDN" in message


def test_other_is_only_allowed_in_hashrate_share(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "destination_iso3", "OTHER")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "destination_iso3")
    assert "ISO 3166-1 alpha-3" in message


def test_lower_case_iso3_code(data_copy):
    # In flow_totals no other rule notices 'usa', so the map would silently lose the US total.
    set_cell(data_copy, "flow_totals", "total_usa", "iso3", "usa")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_usa"), "iso3")
    assert "usa" in message


def test_country_in_flows_without_electricity_rows(data_copy):
    # Norway is a real country, but electricity.csv has no rows for it.
    set_cell(data_copy, "flows", "usa_bit_digital", "destination_iso3", "NOR")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "usa_bit_digital"), "destination_iso3")
    assert "NOR" in message and "electricity.csv" in message


def test_country_dropped_from_electricity_is_reported_where_it_is_named(data_copy):
    edit_table(data_copy, "electricity", lambda frame: frame[frame["iso3"] != "PRY"])
    problems = find_problems(data_copy)
    assert where(problems) == {
        ("flows.csv", line_of(data_copy, "flows", "pry_digital_assets"), "destination_iso3"),
        ("farms.csv", line_of(data_copy, "farms", "digital_assets"), "iso3"),
    }
    assert all("PRY" in problem.message and "electricity.csv" in problem.message for problem in problems)


# --- references ----------------------------------------------------------------------------


def test_unknown_source_id(data_copy):
    set_cell(data_copy, "flows", "rus_bitriver", "source_ids", "ft_exiled_machines;no_such_source")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "rus_bitriver"), "source_ids")
    assert "no_such_source" in message and "sources.csv" in message


def test_unknown_source_id_in_a_single_source_table(data_copy):
    edit_table(data_copy, "cbeci_power", lambda frame: frame.assign(source_id=frame["source_id"].where(frame["date"] != "2020-01-01", "cbeci_v9")))
    message = only_problem(data_copy, "cbeci_power.csv", line_of(data_copy, "cbeci_power", "2020-01-01"), "source_id")
    assert "cbeci_v9" in message


def test_unknown_original_id(data_copy):
    set_cell(data_copy, "sources", "rarehippo_ft_copy", "original_id", "ft_lost_article")
    message = only_problem(data_copy, "sources.csv", line_of(data_copy, "sources", "rarehippo_ft_copy"), "original_id")
    assert "ft_lost_article" in message


def test_unknown_farm_id(data_copy):
    set_cell(data_copy, "flows", "rus_bitriver", "farm_id", "bitriver_atlantis")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "rus_bitriver"), "farm_id")
    assert "bitriver_atlantis" in message and "farms.csv" in message


def test_unknown_total_id(data_copy):
    # Marathon's flow is not part of any total, so only the bad reference is reported.
    set_cell(data_copy, "flows", "usa_bitmain_marathon", "total_id", "total_mars")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "usa_bitmain_marathon"), "total_id")
    assert "total_mars" in message and "flow_totals.csv" in message


def test_unknown_parent_total(data_copy):
    set_cell(data_copy, "flow_totals", "total_canada", "parent_id", "total_everything")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_canada"), "parent_id")
    assert "total_everything" in message


# --- totals --------------------------------------------------------------------------------


def test_complete_total_whose_parts_do_not_add_up(data_copy):
    set_cell(data_copy, "flows", "rus_bitriver", "machines", "199000")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_russia"), "machines")
    assert "total_russia" in message and "204,000" in message and "205,000" in message


def test_complete_total_with_a_part_of_unknown_size(data_copy):
    set_cell(data_copy, "flows", "kaz_bit_mining", "machines", "")
    set_cell(data_copy, "flows", "kaz_bit_mining", "qualifier", "unknown")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_kazakhstan"), "machines")
    assert "total_kazakhstan" in message and "87,849" in message


def test_child_totals_exceeding_an_incomplete_parent(data_copy):
    # total_tracked is not complete (parts_complete false), but its parts may still not exceed it.
    set_cell(data_copy, "flow_totals", "total_tracked", "machines", "300000")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_tracked"), "machines")
    assert "380,049" in message and "300,000" in message and "more than" in message


def test_flows_exceeding_an_incomplete_total(data_copy):
    set_cell(data_copy, "flow_totals", "total_russia", "parts_complete", "false")
    set_cell(data_copy, "flows", "rus_bitriver", "machines", "250000")
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_russia"), "machines")
    assert "255,000" in message and "205,000" in message and "more than" in message


def test_parts_below_an_incomplete_total_are_fine(data_copy):
    set_cell(data_copy, "flow_totals", "total_russia", "parts_complete", "false")
    set_cell(data_copy, "flows", "rus_bitriver", "machines", "150000")
    assert find_problems(data_copy) == []


# --- shares and ranges ---------------------------------------------------------------------


def test_share_above_100(data_copy):
    set_share(data_copy, "2021-08", "USA", "135.4")
    message = only_problem(data_copy, "hashrate_share.csv", line_of(data_copy, "hashrate_share", "2021-08,USA"), "share_pct")
    assert "100" in message and "135.4" in message


def test_negative_share(data_copy):
    set_share(data_copy, "2021-08", "USA", "-1")
    message = only_problem(data_copy, "hashrate_share.csv", line_of(data_copy, "hashrate_share", "2021-08,USA"), "share_pct")
    assert ">= 0" in message


def test_bad_value_is_shown_plainly(data_copy):
    set_share(data_copy, "2021-08", "USA", "135.4")
    (problem,) = find_problems(data_copy)
    assert "np." not in problem.message and "135.4" in problem.message


def test_month_whose_shares_do_not_sum_to_100(data_copy):
    set_share(data_copy, "2021-08", "USA", "30.4")  # was 35.4: the month now sums to 95
    message = only_problem(data_copy, "hashrate_share.csv", line_of(data_copy, "hashrate_share", "2021-08"), "share_pct")
    assert "2021-08" in message and "95.00" in message and "100" in message


def test_share_sum_within_tolerance_is_fine(data_copy):
    set_share(data_copy, "2021-08", "USA", "35.9")  # +0.5 point: CBECI's shares are rounded
    assert find_problems(data_copy) == []


def test_duplicate_month_and_country_in_hashrate_share(data_copy):
    edit_table(data_copy, "hashrate_share", lambda frame: pd.concat([frame, frame.iloc[[5]]]))
    problems = find_problems(data_copy)
    last = len((data_copy / "hashrate_share.csv").read_text().splitlines())
    assert {problem.line for problem in problems} == {7, last}
    assert {problem.file for problem in problems} == {"hashrate_share.csv"}
    assert all("duplicate" in problem.message for problem in problems)


def test_low_above_value(data_copy):
    set_cell(data_copy, "flows", "rus_bit_cluster", "machines_low", "6000")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "rus_bit_cluster"), "machines_low")
    assert "6000" in message and "5000" in message and "above" in message


def test_value_above_high(data_copy):
    set_cell(data_copy, "flows", "usa_bit_digital", "machines_high", "900")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "usa_bit_digital"), "machines_high")
    assert "900" in message and "1000" in message and "below" in message


def test_low_above_value_in_grid_reports(data_copy):
    row = "kaz_mining_load_minister_2021_11"  # value empty, 1000-1200 MW
    set_cell(data_copy, "grid_reports", row, "value_low", "1300")
    message = only_problem(data_copy, "grid_reports.csv", line_of(data_copy, "grid_reports", row), "value_low")
    assert "1300" in message and "1200" in message


def test_cbeci_estimate_above_upper_bound(data_copy):
    edit_table(data_copy, "cbeci_power", lambda frame: frame.assign(twh_upper=frame["twh_upper"].where(frame["date"] != "2021-01-15", "100.0")))
    message = only_problem(data_copy, "cbeci_power.csv", line_of(data_copy, "cbeci_power", "2021-01-15"), "twh_upper")
    assert "100.0" in message and "110.404" in message and "below" in message


def test_period_end_before_period_start(data_copy):
    set_cell(data_copy, "flows", "rus_bitriver", "period_end", "2021-04")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "rus_bitriver"), "period_end")
    assert "before it starts" in message


# --- farm locations ------------------------------------------------------------------------


def test_farm_coordinates_outside_their_country(data_copy):
    # Bratsk (Russia) put on Hut 8's Medicine Hat site (Canada).
    set_cell(data_copy, "farms", "hut8_medicine_hat", "lat", "56.1325")
    set_cell(data_copy, "farms", "hut8_medicine_hat", "lon", "101.61417")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "hut8_medicine_hat"), "lat")
    assert "not inside CAN" in message and "56.1325" in message


def test_swapped_lat_and_lon(data_copy):
    set_cell(data_copy, "farms", "bitriver_bratsk", "lat", "10.1")
    set_cell(data_copy, "farms", "bitriver_bratsk", "lon", "56.1325")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bitriver_bratsk"), "lat")
    assert "not inside RUS" in message


def test_latitude_out_of_range(data_copy):
    set_cell(data_copy, "farms", "bitriver_bratsk", "lat", "156.1")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bitriver_bratsk"), "lat")
    assert "90" in message


def test_lat_without_lon(data_copy):
    set_cell(data_copy, "farms", "bitriver_bratsk", "lon", "")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bitriver_bratsk"), "lon")
    assert "both lat and lon" in message


def test_coordinates_with_precision_none(data_copy):
    set_cell(data_copy, "farms", "bitriver_bratsk", "coord_precision", "none")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bitriver_bratsk"), "coord_precision")
    assert "'none'" in message and "coordinates are given" in message


def test_no_coordinates_with_a_precision(data_copy):
    set_cell(data_copy, "farms", "bit_cluster", "coord_precision", "city_centroid")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bit_cluster"), "coord_precision")
    assert "no coordinates" in message


# --- file format ---------------------------------------------------------------------------


def test_row_with_too_many_fields(data_copy):
    path = data_copy / "flows.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].rstrip("\n") + ",one too many\n"  # line 6
    path.write_text("".join(lines), encoding="utf-8")
    message = only_problem(data_copy, "flows.csv", 6, None)
    assert "malformed CSV" in message and "Expected 19 fields" in message and "saw 20" in message


def _unterminate_a_quote(data_copy: Path, line: int) -> None:
    # cbeci_power.csv has no quotes at all, so this one opens a field that never closes.
    path = data_copy / "cbeci_power.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(",", ',"', 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_unterminated_quote_is_reported(data_copy):
    _unterminate_a_quote(data_copy, 100)
    problems = find_problems(data_copy)
    assert {(problem.file, problem.column) for problem in problems} == {("cbeci_power.csv", None)}
    assert len(problems) == 1 and "malformed CSV" in problems[0].message


def test_unterminated_quote_names_its_line(data_copy):
    _unterminate_a_quote(data_copy, 100)
    only_problem(data_copy, "cbeci_power.csv", 100, None)


def test_empty_file(data_copy):
    (data_copy / "events.csv").write_bytes(b"")
    message = only_problem(data_copy, "events.csv", None, None)
    assert "empty" in message and "event_id" in message  # says which header is expected


def test_missing_file(data_copy):
    (data_copy / "farms.csv").unlink()
    message = only_problem(data_copy, "farms.csv", None, None)
    assert "missing" in message


def test_file_not_utf8(data_copy):
    path = data_copy / "events.csv"
    path.write_bytes(path.read_bytes().replace("China formally bans".encode(), b"China \xff formally bans"))
    message = only_problem(data_copy, "events.csv", None, None)
    assert "UTF-8" in message


def test_missing_column(data_copy):
    edit_table(data_copy, "flows", lambda frame: frame.drop(columns=["source_ids"]))
    message = only_problem(data_copy, "flows.csv", 1, "source_ids")
    assert "missing" in message


def test_unknown_extra_column(data_copy):
    edit_table(data_copy, "flows", lambda frame: frame.assign(colour="red"))
    message = only_problem(data_copy, "flows.csv", 1, "colour")
    assert "unknown column" in message


def test_misspelt_column(data_copy):
    edit_table(data_copy, "farms", lambda frame: frame.rename(columns={"coord_precision": "coord_precison"}))
    problems = find_problems(data_copy)
    assert where(problems) == {("farms.csv", 1, "coord_precison"), ("farms.csv", 1, "coord_precision")}
    messages = {problem.column: problem.message for problem in problems}
    assert "misspelt" in messages["coord_precison"] and "missing" in messages["coord_precision"]


def test_non_numeric_machines(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "lots")
    problems = find_problems(data_copy)
    assert where(problems) == {("flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "machines")}
    assert all("whole number" in problem.message and "'lots'" in problem.message for problem in problems)


def test_fractional_machines(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "80000.5")
    problems = find_problems(data_copy)
    assert where(problems) == {("flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "machines")}
    assert all("whole number" in problem.message for problem in problems)


def test_uncoercible_value_is_reported_once(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "lots")
    assert len(find_problems(data_copy)) == 1


def test_negative_machines(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "-5")
    problems = find_problems(data_copy)
    # The flow is part of Kazakhstan's complete total, which now does not add up either.
    assert ("flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "machines") in where(problems)
    assert any(">= 0" in problem.message for problem in problems if problem.file == "flows.csv")


def test_duplicate_flow_id(data_copy):
    set_cell(data_copy, "flows", "kaz_bit_mining", "flow_id", "kaz_bitfufu")
    problems = find_problems(data_copy)
    first = line_of(data_copy, "flows", "kaz_bitfufu")
    assert where(problems) == {("flows.csv", first, "flow_id"), ("flows.csv", first + 1, "flow_id")}
    assert all("duplicate" in problem.message and "kaz_bitfufu" in problem.message for problem in problems)


def test_bad_id_format(data_copy):
    set_cell(data_copy, "events", "china_formal_ban", "event_id", "China Mining Ban")
    edited = (data_copy / "events.csv").read_text().splitlines()
    line = next(number for number, text in enumerate(edited, start=1) if text.startswith("China Mining Ban,"))
    message = only_problem(data_copy, "events.csv", line, "event_id")
    assert "lower_snake_case" in message


@pytest.mark.parametrize(
    ("table", "key", "column", "value", "wanted"),
    [
        ("flows", "kaz_bitfufu", "period_start", "2021/06", "YYYY-MM"),
        ("flows", "kaz_bitfufu", "period_end", "2021-13", "YYYY-MM"),
        ("sources", "rarehippo_ft_copy", "accessed", "24/11/2026", "YYYY-MM-DD"),
        ("events", "china_formal_ban", "date", "May 2021", "YYYY-MM"),
        ("farms", "bitriver_bratsk", "as_of", "2021-3", "YYYY"),
    ],
)
def test_bad_date_format(data_copy, table, key, column, value, wanted):
    set_cell(data_copy, table, key, column, value)
    message = only_problem(data_copy, f"{table}.csv", line_of(data_copy, table, key), column)
    assert wanted in message and value in message


@pytest.mark.parametrize("value", ["yes", "True", "1"])
def test_parts_complete_not_true_or_false(data_copy, value):
    set_cell(data_copy, "flow_totals", "total_usa", "parts_complete", value)
    message = only_problem(data_copy, "flow_totals.csv", line_of(data_copy, "flow_totals", "total_usa"), "parts_complete")
    assert "true, false" in message and repr(value) in message


def test_value_outside_a_vocabulary(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "confidence", "certain")
    message = only_problem(data_copy, "flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "confidence")
    assert "must be one of" in message and "several_sources" in message and "certain" in message


def test_required_cell_left_empty(data_copy):
    set_cell(data_copy, "farms", "bit_cluster", "operator", "")
    message = only_problem(data_copy, "farms.csv", line_of(data_copy, "farms", "bit_cluster"), "operator")
    assert "must not be empty" in message


# --- several problems at once --------------------------------------------------------------


def test_every_format_problem_in_every_file_is_reported(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "lots")
    set_cell(data_copy, "flows", "rus_bitriver", "destination_iso3", "XXZ")
    set_cell(data_copy, "farms", "bit_cluster", "as_of", "last year")
    set_cell(data_copy, "sources", "rarehippo_ft_copy", "accessed", "yesterday")
    (data_copy / "events.csv").write_bytes(b"")
    (data_copy / "electricity.csv").unlink()
    assert where(find_problems(data_copy)) == {
        ("flows.csv", line_of(data_copy, "flows", "kaz_bitfufu"), "machines"),
        ("flows.csv", line_of(data_copy, "flows", "rus_bitriver"), "destination_iso3"),
        ("farms.csv", line_of(data_copy, "farms", "bit_cluster"), "as_of"),
        ("sources.csv", line_of(data_copy, "sources", "rarehippo_ft_copy"), "accessed"),
        ("events.csv", None, None),
        ("electricity.csv", None, None),
    }


def _break_four_rules(data_dir: Path) -> set[tuple[str, int, str]]:
    """Break one cross-table rule in each of four files; return where the problems must be."""
    set_cell(data_dir, "flows", "rus_bitriver", "farm_id", "bitriver_atlantis")
    set_cell(data_dir, "farms", "hut8_medicine_hat", "lat", "56.1325")
    set_cell(data_dir, "farms", "hut8_medicine_hat", "lon", "101.61417")
    set_share(data_dir, "2021-08", "USA", "30.4")
    set_cell(data_dir, "events", "china_formal_ban", "source_ids", "ft_exiled_machines;no_such_source")
    return {
        ("flows.csv", line_of(data_dir, "flows", "rus_bitriver"), "farm_id"),
        ("farms.csv", line_of(data_dir, "farms", "hut8_medicine_hat"), "lat"),
        ("hashrate_share.csv", line_of(data_dir, "hashrate_share", "2021-08"), "share_pct"),
        ("events.csv", line_of(data_dir, "events", "china_formal_ban"), "source_ids"),
    }


def test_every_cross_table_problem_in_every_file_is_reported(data_copy):
    expected = _break_four_rules(data_copy)
    assert where(find_problems(data_copy)) == expected


# --- the check command ---------------------------------------------------------------------


def test_check_command_passes_the_bundled_data():
    result = run(["-m", "rigflows", "check", str(DATA_DIR)])
    assert result.returncode == 0, result.stderr
    assert "all tables valid" in result.stdout
    assert result.stderr.strip() == ""


def test_check_command_lists_every_problem(data_copy):
    expected = _break_four_rules(data_copy)
    result = run(["-m", "rigflows", "check", str(data_copy)])
    assert result.returncode == 1
    assert f"{len(expected)} problem(s)" in result.stderr
    for file, line, column in expected:
        assert f"{file}, line {line}, column {column}: " in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_check_command_reports_a_missing_file(data_copy):
    (data_copy / "farms.csv").unlink()
    result = run(["-m", "rigflows", "check", str(data_copy)])
    assert result.returncode == 1
    assert "farms.csv: file is missing" in result.stderr


def test_check_command_on_a_missing_directory(tmp_path):
    missing = tmp_path / "no_such_dir"
    result = run(["-m", "rigflows", "check", str(missing)])
    assert result.returncode == 1
    assert f"{missing}: not a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_command_reads_the_directory_from_the_environment(data_copy):
    (data_copy / "farms.csv").unlink()
    result = run(["-m", "rigflows", "check"], env={"RIGFLOWS_DATA_DIR": str(data_copy)})
    assert result.returncode == 1
    assert "farms.csv: file is missing" in result.stderr


# --- the app refuses broken data -----------------------------------------------------------


def test_create_app_raises_data_error_listing_the_problems(data_copy):
    import app  # builds the app on the bundled data first, which must work too

    expected = _break_four_rules(data_copy)
    with pytest.raises(DataError) as raised:
        app.create_app(data_dir=data_copy)
    assert where(raised.value.problems) == expected
    report = raised.value.report()
    assert f"({len(expected)} problem(s))" in report
    for file, line, column in expected:
        assert f"{file}, line {line}, column {column}: " in report


def test_app_does_not_start_on_broken_data(data_copy):
    set_cell(data_copy, "flows", "kaz_bitfufu", "machines", "lots")
    (data_copy / "grid_reports.csv").unlink()
    result = run(["app.py"], env={"RIGFLOWS_DATA_DIR": str(data_copy)})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert "The data is not valid (2 problem(s))" in result.stderr
    assert "grid_reports.csv: file is missing" in result.stderr
    assert f"flows.csv, line {line_of(data_copy, 'flows', 'kaz_bitfufu')}, column machines: expected a whole number, got 'lots'" in result.stderr


def test_app_lists_every_problem_on_start(data_copy):
    expected = _break_four_rules(data_copy)
    result = run(["app.py"], env={"RIGFLOWS_DATA_DIR": str(data_copy)})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    for file, line, column in expected:
        assert f"{file}, line {line}, column {column}: " in result.stderr


def test_flow_to_a_farm_or_total_in_another_country_is_reported(data_copy):
    def move_bit_cluster_to_kazakhstan(frame):
        frame.loc[frame["flow_id"] == "rus_bit_cluster", "destination_iso3"] = "KAZ"
        return frame

    edit_table(data_copy, "flows", move_bit_cluster_to_kazakhstan)
    problems = [p for p in find_problems(data_copy) if p.file == "flows.csv"]
    line = line_of(data_copy, "flows", "rus_bit_cluster")
    assert {(p.line, p.column) for p in problems} >= {(line, "farm_id"), (line, "total_id")}
    moved = [p for p in problems if p.line == line and "goes to" in p.message]
    assert len(moved) == 2 and all("KAZ" in p.message and "RUS" in p.message for p in moved)


def test_a_broken_file_does_not_hide_cross_table_problems_in_the_others(data_copy):
    # events.csv cannot be read at all, and a flow names a source that does not exist:
    # the user sees both at once instead of fixing the data in two rounds.
    (data_copy / "events.csv").write_text("")
    set_cell(data_copy, "flows", "usa_bit_digital", "source_ids", "no_such_source")
    found = where(find_problems(data_copy))
    assert ("events.csv", None, None) in found
    assert ("flows.csv", line_of(data_copy, "flows", "usa_bit_digital"), "source_ids") in found
