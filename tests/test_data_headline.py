"""The headline view matches the reporting: machines relocated from China, as the FT ranked them.

The FT figures are typed in as the reported facts; what they are compared with is what the app
draws (map rows, flow lines, Sankey, CSV), computed from the bundled data. Orders of new machines,
machines in transit and plans must never be counted as received.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import edit_table
from rigflows.dataset import find_problems
from rigflows.select import export_table, flow_lines, map_rows, sankey_links, unquantified_reports
from rigflows.state import ViewState

# The FT (November 2021), as the press copies quote it: Russia "at least 205,000", Kazakhstan
# 87,849, the US "a little less than Kazakhstan" 87,200, Canada fourth with no count.
FT_RELOCATED = {"RUS": 205_000, "KAZ": 87_849, "USA": 87_200}
FT_RANKING = ["RUS", "KAZ", "USA", "CAN"]
DEFAULT = ViewState()


def test_the_default_map_shows_the_fts_relocated_machines(dataset):
    rows = map_rows(dataset, DEFAULT).set_index("iso3")
    assert {iso3: rows.loc[iso3, "value"] for iso3 in FT_RELOCATED} == FT_RELOCATED
    assert rows.loc["RUS", "low"] == 205_000 and math.isnan(rows.loc["RUS", "high"])  # "at least"
    assert rows.loc["CAN", "status"] == "no count" and math.isnan(rows.loc["CAN", "value"])


def test_the_default_map_ranks_destinations_as_the_ft_did(dataset):
    rows = map_rows(dataset, DEFAULT).set_index("iso3")
    counted = rows["value"].dropna().sort_values(ascending=False)
    assert list(counted.index) == FT_RANKING[:3]
    ranks = dataset.flow_totals.dropna(subset=["rank"]).sort_values("rank")["iso3"].tolist()
    assert ranks == FT_RANKING
    assert any("rank 4" in line for line in rows.loc["CAN", "details"])


def test_flow_lines_carry_the_same_relocated_counts(dataset):
    lines = flow_lines(dataset, DEFAULT).set_index("iso3")
    assert lines["machines"].to_dict() == FT_RELOCATED
    assert set(lines["layer"]) == {"received"}
    assert "at least 205,000" in lines.loc["RUS", "text"]


def test_the_sankey_brings_each_destination_its_relocated_count(dataset):
    links = sankey_links(dataset, DEFAULT)
    into = links[links["target_column"] == 1].groupby("target")["machines"].sum()
    assert into[["Russia", "Kazakhstan", "United States"]].tolist() == list(FT_RELOCATED.values())
    assert "Canada" not in set(links["source"]) | set(links["target"])
    assert set(links["kind"]) == {"relocation", "remainder"}


def test_the_csv_holds_the_relocated_counts_as_quoted(dataset):
    table = export_table(dataset, DEFAULT)
    map_part = table[table["view"] == "map"].set_index("iso3")
    assert {iso3: map_part.loc[iso3, "value"] for iso3 in FT_RELOCATED} == FT_RELOCATED
    assert map_part.loc["RUS", "value_as_reported"] == "at least 205,000"
    sankey = table[table["view"] == "sankey"]
    assert not sankey["kind"].isin(["order", "in_transit", "plan_or_request"]).any()
    untracked = sankey[sankey["to"] == "Tracked, destination not attributed"]
    assert untracked["value_as_reported"].tolist() == ["about 50,000"]


def test_orders_and_machines_in_transit_are_their_own_layer(dataset):
    state = ViewState(show_orders=True)
    rows = map_rows(dataset, state).set_index("iso3")
    assert {iso3: rows.loc[iso3, "value"] for iso3 in FT_RELOCATED} == FT_RELOCATED  # never added
    links = sankey_links(dataset, state)
    orders = links[links["kind"] == "order"]
    assert set(orders.loc[orders["source_column"] == 0, "source"]) == {"Bitmain", "MicroBT"}
    marathon = orders[orders["target"] == "Marathon Digital Holdings"].iloc[0]
    assert marathon["machines"] == 30_000 and "delivery Jan 2022 – Jun 2022" in marathon["note"]
    transit = links[links["kind"] == "in_transit"]
    assert transit["shown"].tolist() == ["about 1,000", "about 1,000"]
    lines = flow_lines(dataset, state)
    assert set(lines.loc[lines["layer"] == "not received", "iso3"]) == {"USA", "CAN"}


def test_plans_are_listed_never_drawn(dataset):
    for state in (DEFAULT, ViewState(show_orders=True)):
        drawn = sankey_links(dataset, state)
        assert not ({"Paraguay", "Venezuela"} & (set(drawn["source"]) | set(drawn["target"])))
    listed = " ".join(unquantified_reports(dataset, DEFAULT)["what"])
    assert "15,500" in listed and "about 7,000" in listed


@pytest.mark.parametrize("seller_type", ["manufacturer", "mining_firm"])
def test_check_refuses_an_order_counted_as_machines_received(data_copy, seller_type):
    """Someone re-adds Marathon's 30,000 as machines relocated to the US: check says no."""

    def as_received(frame: pd.DataFrame) -> pd.DataFrame:
        row = frame["flow_id"] == "usa_bitmain_marathon"
        frame.loc[row, ["kind", "seller_type", "delivery_start", "delivery_end"]] = ["relocation", seller_type, "", ""]
        return frame

    edit_table(data_copy, "flows", as_received)
    problems = [problem for problem in find_problems(data_copy) if problem.file == "flows.csv"]
    assert problems, "an order re-added as a relocation was accepted"
    assert any(problem.column in {"kind", "total_id"} for problem in problems)


def test_check_refuses_a_plan_in_a_received_total(data_copy):
    edit_table(data_copy, "flows", lambda frame: frame.assign(total_id=frame["total_id"].where(frame["flow_id"] != "pry_digital_assets", "total_paraguay")))
    problems = find_problems(data_copy)
    assert any(problem.file == "flows.csv" and problem.column == "total_id" and "plan_or_request" in problem.message for problem in problems)
