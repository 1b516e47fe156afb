"""The bundled data reconciles with what the sources reported.

The FT figures (205,000, 87,849, 87,200, 430,000, 2,000,000) are typed in as the reported facts;
everything they are compared with (sums of flows, child totals, remainders) is computed from the
tables. Rows are found by what they are (country, seller, receiver, cited source), not by row
position.
"""

from __future__ import annotations

import pandas as pd
import pytest

from rigflows.schema import OTHER_COUNTRIES, SCHEMAS
from rigflows.select import derived_remainders

# The FT's figures (November 2021), as the press copies quote them.
FT_RUSSIA = 205_000
FT_KAZAKHSTAN = 87_849
FT_USA = 87_200
FT_TRACKED = 430_000
FT_LEFT_CHINA = 2_000_000
ARCANE_STORAGE = 700_000
# CBECI's mining map for August 2021, as the press reported it.
AUG_2021_SHARES = {"USA": 35.4, "KAZ": 18.1, "RUS": 11.23}

FT_ARTICLE = "ft_exiled_machines"
CITING_TABLES = [name for name in SCHEMAS if name != "sources"]


# --- helpers -------------------------------------------------------------------------------


def country_total(dataset, iso3: str) -> pd.Series:
    totals = dataset.flow_totals[dataset.flow_totals["iso3"] == iso3]
    assert len(totals) == 1, f"expected one total for {iso3}, found {len(totals)}"
    return totals.iloc[0]


def total(dataset, total_id: str) -> pd.Series:
    rows = dataset.flow_totals[dataset.flow_totals["total_id"] == total_id]
    assert len(rows) == 1, total_id
    return rows.iloc[0]


def flows_of(dataset, total_id: str) -> pd.DataFrame:
    return dataset.flows[dataset.flows["total_id"] == total_id]


def children_of(dataset, total_id: str) -> pd.DataFrame:
    return dataset.flow_totals[dataset.flow_totals["parent_id"] == total_id]


def one_flow(dataset, seller: str, receiver: str) -> pd.Series:
    flows = dataset.flows
    rows = flows[flows["seller"].str.contains(seller, regex=False) & flows["receiver"].str.contains(receiver, regex=False)]
    assert len(rows) == 1, f"expected one flow {seller} → {receiver}, found {len(rows)}"
    return rows.iloc[0]


def tracked_total(dataset) -> pd.Series:
    """The total the country totals are part of (the FT's 'over 430,000' tracked)."""
    parents = set(dataset.flow_totals.dropna(subset=["iso3"])["parent_id"])
    assert len(parents) == 1, parents
    return total(dataset, parents.pop())


def ids(value) -> list[str]:
    """A `source_ids` tuple or a single `source_id`, as a list."""
    return list(value) if isinstance(value, tuple) else [] if pd.isna(value) else [value]


def cited(frame: pd.DataFrame) -> pd.Series:
    """The source ids each row cites (source_ids or source_id), as lists."""
    column = "source_ids" if "source_ids" in frame else "source_id"
    return frame[column].map(ids)


# --- FT totals -----------------------------------------------------------------------------


def test_russia_total_is_the_sum_of_its_flows(dataset):
    russia = country_total(dataset, "RUS")
    parts = flows_of(dataset, russia["total_id"])
    assert russia["machines"] == FT_RUSSIA
    assert russia["qualifier"] == "at_least"  # 'at least 205,000'
    assert russia["parts_complete"]
    assert parts["machines"].sum() == FT_RUSSIA
    assert sorted(parts["receiver"]) == ["Bit Cluster", "BitRiver"]
    by_receiver = parts.set_index("receiver")
    assert by_receiver.loc["BitRiver", "machines"] == 200_000
    assert by_receiver.loc["Bit Cluster", "machines"] == 5_000
    assert by_receiver.loc["Bit Cluster", "qualifier"] == "at_least"  # 'more than 5,000'
    assert by_receiver.loc["Bit Cluster", "machines_low"] == 5_000


def test_kazakhstan_total_is_the_sum_of_its_flows(dataset):
    kazakhstan = country_total(dataset, "KAZ")
    parts = flows_of(dataset, kazakhstan["total_id"])
    assert kazakhstan["machines"] == FT_KAZAKHSTAN
    assert kazakhstan["parts_complete"]
    assert parts["machines"].sum() == FT_KAZAKHSTAN
    by_seller = parts.set_index("seller")["machines"]
    assert by_seller[by_seller.index.str.startswith("Bitfufu")].tolist() == [80_000]
    assert by_seller[by_seller.index.str.startswith("BIT Mining")].tolist() == [7_849]


def test_us_total_has_no_typed_in_breakdown(dataset):
    """No flow restates the US total: its 87,200 are a remainder the app computes."""
    usa = country_total(dataset, "USA")
    assert usa["machines"] == FT_USA and usa["qualifier"] == "exact"
    assert not usa["parts_complete"]
    assert flows_of(dataset, usa["total_id"]).empty
    assert not (dataset.flows["machines"] == FT_USA).any()
    remainder = derived_remainders(dataset).set_index("total_id").loc[usa["total_id"]]
    assert remainder["machines"] == FT_USA and remainder["bound"] == "exact" and remainder["shown"] == "87,200"


def test_complete_totals_equal_their_parts(dataset):
    complete = dataset.flow_totals[dataset.flow_totals["parts_complete"]]
    assert set(complete["iso3"]) == {"RUS", "KAZ"}
    for row in complete.itertuples():
        parts = pd.concat([flows_of(dataset, row.total_id)["machines"], children_of(dataset, row.total_id)["machines"]])
        assert parts.notna().all() and parts.sum() == row.machines, row.total_id


def test_ranks_follow_the_ft(dataset):
    ranks = {iso3: country_total(dataset, iso3)["rank"] for iso3 in ("RUS", "KAZ", "USA", "CAN")}
    assert ranks == {"RUS": 1, "KAZ": 2, "USA": 3, "CAN": 4}
    counts = [country_total(dataset, iso3)["machines"] for iso3 in ("RUS", "KAZ", "USA")]
    assert counts == sorted(counts, reverse=True)


def test_canada_is_rank_4_with_no_count(dataset):
    canada = country_total(dataset, "CAN")
    assert canada["rank"] == 4
    assert pd.isna(canada["machines"]) and canada["qualifier"] == "unknown"
    assert not canada["parts_complete"]
    assert flows_of(dataset, canada["total_id"]).empty  # Hut 8's new machines are not this total
    assert canada["parent_id"] == tracked_total(dataset)["total_id"]


@pytest.mark.parametrize("iso3", ["PRY", "VEN"])
def test_paraguay_and_venezuela_totals_have_no_count(dataset, iso3):
    country = country_total(dataset, iso3)
    assert pd.isna(country["machines"]) and country["qualifier"] == "unknown"
    assert pd.isna(country["rank"])  # after Canada, in an order the sources do not give
    assert country["parent_id"] == tracked_total(dataset)["total_id"]
    assert flows_of(dataset, country["total_id"]).empty  # plans and requests are not counted


def test_tracked_total(dataset):
    tracked = tracked_total(dataset)
    root = total(dataset, tracked["parent_id"])
    assert tracked["machines"] == FT_TRACKED and tracked["qualifier"] == "at_least"
    assert root["machines"] == FT_LEFT_CHINA and root["qualifier"] == "at_least"  # 'more than 2m'
    assert pd.isna(root["parent_id"])
    assert set(children_of(dataset, tracked["total_id"])["iso3"]) == {"RUS", "KAZ", "USA", "CAN", "PRY", "VEN"}
    assert children_of(dataset, root["total_id"])["total_id"].tolist() == [tracked["total_id"]]
    counted = children_of(dataset, tracked["total_id"])["machines"].dropna().sum()
    assert counted == FT_RUSSIA + FT_KAZAKHSTAN + FT_USA == 380_049
    assert counted < FT_TRACKED


def test_derived_remainders(dataset):
    remainders = derived_remainders(dataset).set_index("total_id")
    tracked = tracked_total(dataset)
    root = total(dataset, tracked["parent_id"])
    country_totals = children_of(dataset, tracked["total_id"])["machines"].dropna().sum()
    assert set(remainders.index) == {tracked["total_id"], root["total_id"], country_total(dataset, "USA")["total_id"]}
    assert remainders.loc[tracked["total_id"], "machines"] == FT_TRACKED - country_totals == 49_951
    assert remainders.loc[root["total_id"], "machines"] == FT_LEFT_CHINA - FT_TRACKED == 1_570_000
    # 'more than 2m' − 'over 430,000', and 'over 430,000' − (at least 205,000 + ...): bounds, not counts.
    assert remainders.loc[root["total_id"], "shown"] == "about 1.57 million"
    assert remainders.loc[tracked["total_id"], "shown"] == "about 50,000"
    assert "at most ~50,000" in remainders.loc[tracked["total_id"], "note"]
    assert "430,000" in remainders.loc[tracked["total_id"], "note"] and "380,049" in remainders.loc[tracked["total_id"], "note"]
    assert remainders.loc[tracked["total_id"], "label"] == tracked["remainder_label"]
    assert remainders.loc[root["total_id"], "label"] == root["remainder_label"]
    assert pd.notna(tracked["remainder_label"]) and pd.notna(root["remainder_label"])
    assert set(remainders["confidence"]) == {"model_estimate"}
    assert (remainders["of_total"] - remainders["accounted"] == remainders["machines"]).all()


def test_only_the_us_total_is_a_country_remainder(dataset):
    """Russia and Kazakhstan are fully itemised; the US has no breakdown at all."""
    remainders = derived_remainders(dataset)
    country = remainders.dropna(subset=["iso3"])
    assert country["iso3"].tolist() == ["USA"]


def test_storage_estimate_is_a_separate_root(dataset):
    totals = dataset.flow_totals
    storage = totals[cited(totals).map(lambda sources: "arcane_crypto_estimate" in sources)]
    assert len(storage) == 1
    storage = storage.iloc[0]
    assert storage["machines"] == ARCANE_STORAGE and storage["qualifier"] == "about"
    assert pd.isna(storage["parent_id"])
    assert storage["confidence"] == "model_estimate"
    assert children_of(dataset, storage["total_id"]).empty and flows_of(dataset, storage["total_id"]).empty


def test_only_the_reported_totals_exist(dataset):
    roots = dataset.flow_totals[dataset.flow_totals["parent_id"].isna()]
    assert sorted(roots["machines"].tolist()) == [ARCANE_STORAGE, FT_LEFT_CHINA]
    assert len(dataset.flow_totals) == 2 + 1 + 6  # two roots, the tracked total, six countries


# --- flows ---------------------------------------------------------------------------------


def test_no_flow_is_a_total_or_a_remainder(dataset):
    flows = dataset.flows
    labels = set(dataset.flow_totals["label"]) | set(dataset.flow_totals["remainder_label"].dropna())
    text = flows[["flow_id", "seller", "receiver"]]
    for word in ("total", "remainder", "not attributed", "not tracked", "other"):
        assert not text.apply(lambda column: column.str.lower().str.contains(word, regex=False)).any().any(), word
    assert not flows["receiver"].isin(labels).any() and not flows["seller"].isin(labels).any()
    assert not flows["flow_id"].isin(dataset.flow_totals["total_id"]).any()
    assert set(flows["destination_iso3"]) <= set(dataset.flow_totals["iso3"].dropna())


def test_flows_agree_with_their_total_and_farm(dataset):
    flows, totals, farms = dataset.flows, dataset.flow_totals.set_index("total_id"), dataset.farms.set_index("farm_id")
    for flow in flows.dropna(subset=["total_id"]).itertuples():
        assert totals.loc[flow.total_id, "iso3"] == flow.destination_iso3, flow.flow_id
    for flow in flows.dropna(subset=["farm_id"]).itertuples():
        assert farms.loc[flow.farm_id, "iso3"] == flow.destination_iso3, flow.flow_id


def test_flow_counts_match_their_qualifier(dataset):
    flows = dataset.flows
    unknown = flows["qualifier"] == "unknown"
    assert flows.loc[unknown, "machines"].isna().all()
    assert flows.loc[~unknown, "machines"].notna().all()
    assert flows.loc[flows["machines_low"].notna(), "qualifier"].eq("at_least").all()


@pytest.mark.parametrize(("receiver", "iso3", "machines"), [("Doctor Miner", "VEN", 7_000), ("Digital Assets", "PRY", 15_500)])
def test_plans_and_requests(dataset, receiver, iso3, machines):
    flow = dataset.flows[dataset.flows["receiver"] == receiver]
    assert len(flow) == 1
    flow = flow.iloc[0]
    assert flow["kind"] == "plan_or_request" and flow["confidence"] == "plan_or_request"
    assert flow["destination_iso3"] == iso3 and flow["machines"] == machines
    assert pd.isna(flow["total_id"])  # a plan is not a shipment: it is in no total


def test_every_plan_is_graded_as_a_plan(dataset):
    flows = dataset.flows
    plans = flows["kind"] == "plan_or_request"
    assert plans.sum() == 2
    assert (flows.loc[plans, "confidence"] == "plan_or_request").all()
    assert (flows.loc[~plans, "confidence"] != "plan_or_request").all()


@pytest.mark.parametrize(
    ("seller", "receiver", "iso3", "machines", "ordered", "delivery"),
    [
        # Marathon ordered 30,000 S19j Pro in August 2021 for delivery January-June 2022.
        ("Bitmain", "Marathon", "USA", 30_000, "2021-08", ("2022-01", "2022-06")),
        # Hut 8's update of 28 June 2021: a staged order, deliveries under way, end not stated.
        ("MicroBT", "Hut 8", "CAN", 24_000, "2021-06", ("2021-06", None)),
    ],
)
def test_orders_of_new_machines_are_orders_with_their_delivery(dataset, seller, receiver, iso3, machines, ordered, delivery):
    flow = one_flow(dataset, seller, receiver)
    assert flow["kind"] == "order" and flow["seller_type"] == "manufacturer"
    assert flow["destination_iso3"] == iso3 and flow["machines"] == machines
    assert flow["period_start"] == ordered
    assert (flow["delivery_start"], None if pd.isna(flow["delivery_end"]) else flow["delivery_end"]) == delivery
    assert pd.isna(flow["total_id"])


def test_bit_digitals_machines_were_in_transit(dataset):
    flow = one_flow(dataset, "Bit Digital", "Bit Digital")
    assert flow["kind"] == "in_transit" and flow["machines"] == 1_000 and flow["qualifier"] == "about"
    assert "still waiting to be released from the docks" in flow["note"]
    assert pd.isna(flow["total_id"])


def test_only_relocations_are_machines_received(dataset):
    """Orders, machines in transit and plans are never part of a received total."""
    flows = dataset.flows
    assert set(flows.loc[flows["total_id"].notna(), "kind"]) == {"relocation"}
    assert set(flows.loc[flows["seller_type"] == "manufacturer", "kind"]) == {"order"}


# --- sources -------------------------------------------------------------------------------


@pytest.mark.parametrize("table", CITING_TABLES)
def test_every_row_cites_an_existing_source(dataset, table):
    known = set(dataset.sources["source_id"])
    citations = cited(dataset.tables[table])
    assert len(citations) > 0
    assert citations.map(len).gt(0).all()
    unknown = {source for sources in citations for source in sources} - known
    assert not unknown


def test_every_source_is_cited_or_is_an_original(dataset):
    citing = {source for table in CITING_TABLES for sources in cited(dataset.tables[table]) for source in sources}
    originals = set(dataset.sources["original_id"].dropna())
    assert set(dataset.sources["source_id"]) - citing - originals == set()


def test_every_source_has_producer_title_and_kind(dataset):
    sources = dataset.sources
    for column in ("source_id", "producer", "title", "kind"):
        assert sources[column].notna().all() and (sources[column].str.strip() != "").all(), column
    assert sources["source_id"].is_unique


def test_sources_have_owid_style_origin_fields(dataset):
    sources = dataset.sources
    assert {"producer", "title", "published", "url", "accessed", "licence"} <= set(sources.columns)
    with_url = sources[sources["url"].notna()]
    assert len(with_url) > 0
    assert with_url["accessed"].notna().all(), with_url.loc[with_url["accessed"].isna(), "source_id"].tolist()
    # Accessed after it was published (dates compare as text: both are YYYY[-MM[-DD]]).
    dated = sources.dropna(subset=["published", "accessed"])
    assert (dated["published"] <= dated["accessed"]).all()


def test_the_ft_article_is_an_unread_original(dataset):
    ft = dataset.sources.set_index("source_id").loc[FT_ARTICLE]
    assert ft["kind"] == "original_report" and ft["producer"] == "Financial Times"
    assert pd.isna(ft["url"]) and pd.isna(ft["accessed"])  # could not be read


def test_press_copies_point_to_an_original(dataset):
    sources = dataset.sources.set_index("source_id")
    linked = sources[sources["original_id"].notna()]
    assert (linked["kind"] == "press_copy").all()
    originals = sources.loc[linked["original_id"]]
    assert originals["kind"].isin(["original_report", "company_release", "official_document"]).all()
    assert originals["original_id"].isna().all()  # an original is not a copy of something else
    ft_copies = sources[sources.index.str.endswith("_ft_copy")]
    assert len(ft_copies) > 0
    assert (ft_copies["kind"] == "press_copy").all() and (ft_copies["original_id"] == FT_ARTICLE).all()


def test_press_copies_next_to_their_original_name_it(dataset):
    # Where a row cites an original and copies, each copy is a copy of one of those originals.
    sources = dataset.sources.set_index("source_id")
    originals = set(sources.index[sources["kind"].isin(["original_report", "company_release", "official_document"])])
    for table in ("flows", "flow_totals"):
        for row_sources in cited(dataset.tables[table]):
            row_originals = originals & set(row_sources)
            if not row_originals:
                continue
            for source in row_sources:
                if sources.loc[source, "kind"] == "press_copy":
                    assert sources.loc[source, "original_id"] in row_originals, (table, source)


def test_every_ft_figure_cites_the_ft(dataset):
    for total_id, sources in zip(dataset.flow_totals["total_id"], cited(dataset.flow_totals)):
        assert FT_ARTICLE in sources, total_id
    ft_copies = set(dataset.sources.loc[dataset.sources["original_id"] == FT_ARTICLE, "source_id"])
    for flow_id, sources in zip(dataset.flows["flow_id"], cited(dataset.flows)):
        if ft_copies & set(sources):
            # The original before its copies; an order cites the buyer's own release first.
            assert FT_ARTICLE in sources and sources.index(FT_ARTICLE) < min(sources.index(copy) for copy in ft_copies & set(sources)), flow_id


# --- CBECI hashrate shares -----------------------------------------------------------------


def test_hashrate_share_covers_sep_2019_to_jan_2022(dataset):
    shares = dataset.hashrate_share
    months = [str(period) for period in pd.period_range("2019-09", "2022-01", freq="M")]
    assert len(months) == 29
    assert dataset.months == months
    assert shares.groupby("month").size().eq(10).all()
    assert len(shares) == 29 * 10
    countries = shares.groupby("month")["iso3"].apply(frozenset)
    assert countries.nunique() == 1  # the same ten every month
    assert OTHER_COUNTRIES in countries.iloc[0]


def test_monthly_shares_sum_to_about_100(dataset):
    sums = dataset.hashrate_share.groupby("month")["share_pct"].sum()
    assert ((sums - 100).abs() <= 1).all(), sums[(sums - 100).abs() > 1]


@pytest.mark.parametrize("iso3", ["DEU", "IRL"])
def test_germany_and_ireland_are_flagged_vpn_distorted_every_month(dataset, iso3):
    rows = dataset.hashrate_share[dataset.hashrate_share["iso3"] == iso3]
    assert sorted(rows["month"]) == dataset.months
    assert (rows["flag"] == "vpn_distorted").all()
    assert rows["cbeci_label"].str.endswith("*").all()  # CBECI's asterisk


def test_only_cbeci_asterisks_are_flagged_vpn_distorted(dataset):
    shares = dataset.hashrate_share
    flagged = shares["flag"] == "vpn_distorted"
    assert (flagged == shares["cbeci_label"].str.endswith("*")).all()
    assert set(shares.loc[flagged, "iso3"]) == {"DEU", "IRL"}


def test_china_measurement_gap(dataset):
    shares = dataset.hashrate_share
    gaps = shares[shares["flag"] == "measurement_gap"]
    assert sorted(zip(gaps["iso3"], gaps["month"])) == [("CHN", "2021-07"), ("CHN", "2021-08")]
    assert (gaps["share_pct"] == 0).all() and (gaps["hashrate_ehs"] == 0).all()
    china = shares[shares["iso3"] == "CHN"].set_index("month")["share_pct"]
    assert sorted(china.index[china == 0]) == ["2021-07", "2021-08"]  # China's only zeros are the gap
    assert china["2021-06"] > 0 and china["2021-09"] > 0


def test_august_2021_shares_match_press_reports(dataset):
    august = dataset.hashrate_share[dataset.hashrate_share["month"] == "2021-08"].set_index("iso3")["share_pct"]
    for iso3, share in AUG_2021_SHARES.items():
        assert august[iso3] == pytest.approx(share, abs=0.005), iso3
    assert august.idxmax() == "USA"


# --- electricity ---------------------------------------------------------------------------


def test_electricity_covers_every_country_named(dataset):
    covered = set(dataset.electricity["iso3"])
    named = (
        set(dataset.flows["destination_iso3"])
        | set(dataset.farms["iso3"])
        | set(dataset.hashrate_share["iso3"])
        | set(dataset.flow_totals["iso3"].dropna())
        | set(dataset.grid_reports["iso3"])
    ) - {OTHER_COUNTRIES}
    assert named - covered == set()
    assert {"CHN", "RUS", "KAZ", "USA", "CAN", "PRY", "VEN"} <= named


def test_electricity_has_every_year_for_every_country(dataset):
    years = dataset.electricity.groupby("iso3")["year"].apply(lambda column: sorted(column.tolist()))
    assert all(year_list == list(range(2015, 2022)) for year_list in years), years
    assert (dataset.electricity["source_id"] == "owid_energy_2022").all()
