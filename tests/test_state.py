"""ViewState: URL round trips, and hostile or malformed values falling back with notices."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rigflows.state import MAX_ITEMS, ViewState, Vocabulary, clean_state, next_month, parse_query, toggle_country, toggle_firm

VOCAB = Vocabulary(months=("2021-07", "2021-08", "2021-09"), countries=frozenset({"KAZ", "RUS", "USA"}), firms=frozenset({"BitRiver", "Bit Cluster"}))


#: Every parsed state carries a month: the vocabulary's default, the latest month unless given.
DEFAULT = ViewState(month=VOCAB.default_month)


def test_default_state_has_an_empty_query():
    assert VOCAB.default_month == "2021-09"  # the latest month of VOCAB
    assert ViewState().to_query() == "" and DEFAULT.to_query(VOCAB.default_month) == ""
    assert parse_query("", VOCAB) == (DEFAULT, [])
    chosen = Vocabulary(months=VOCAB.months, countries=VOCAB.countries, firms=VOCAB.firms, default_month="2021-08")
    assert parse_query("", chosen)[0].month == "2021-08"
    assert ViewState(month="2021-07").to_query("2021-08") == "?month=2021-07"


def test_full_state_round_trips_through_the_url():
    state = ViewState(metric="strain", month="2021-08", countries=("RUS", "KAZ"), firms=("Bit Cluster", "BitRiver"), show_farms=True, show_remainders=False, show_orders=True)
    parsed, notices = parse_query(state.to_query(), VOCAB)
    assert notices == []
    assert parsed == state


def test_unknown_values_are_dropped_with_a_notice_each():
    state, notices = parse_query("?metric=bogus&month=1999-01&country=KAZ,ZZZ&firm=<script>&farms=maybe&colour=red", VOCAB)
    assert state == ViewState(month=VOCAB.default_month, countries=("KAZ",))
    joined = " ".join(notices)
    for fragment in ("metric", "1999-01", "ZZZ", "<script>", "farms", "colour"):
        assert fragment in joined
    assert len(notices) == 6


def test_too_many_items_are_refused_not_truncated():
    countries = ",".join(["KAZ"] * (MAX_ITEMS + 1))
    state, notices = parse_query(f"?country={countries}", VOCAB)
    assert state.countries == ()
    assert any("at most" in notice for notice in notices)


def test_callback_values_of_the_wrong_type_fall_back():
    state, notices = clean_state(VOCAB, metric=42, month=["2021-08"], countries={"a": 1}, firms="BitRiver", show_farms="yes")
    assert state == ViewState(month=VOCAB.default_month, firms=("BitRiver",))
    assert len(notices) == 3


def test_clicks_toggle_filters_and_play_wraps_around():
    state = toggle_country(ViewState(), "KAZ")
    assert state.countries == ("KAZ",)
    assert toggle_country(state, "KAZ").countries == ()
    assert toggle_firm(ViewState(), "BitRiver").firms == ("BitRiver",)
    assert next_month(ViewState(month="2021-08"), VOCAB.months).month == "2021-09"
    assert next_month(ViewState(month="2021-09"), VOCAB.months).month == "2021-07"


def test_slug_names_what_the_view_shows():
    assert ViewState(metric="share", month="2021-08", countries=("KAZ", "RUS")).slug() == "share_2021-08_KAZ-RUS"
    assert ViewState(firms=("Bit Cluster",)).slug() == "machines_Bit-Cluster"
    # The browser names downloads from the filter part and the metric and month it shows.
    assert ViewState(metric="share", countries=("KAZ", "RUS"), firms=("Bit Cluster",)).filter_slug() == "_KAZ-RUS_Bit-Cluster"
    assert ViewState(metric="load").filter_slug() == ""


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_query_string_parses_to_a_valid_state(query):
    state, _ = parse_query(query, VOCAB)
    assert state.metric in {"machines", "share", "load", "strain"}
    assert state.month in VOCAB.months
    assert set(state.countries) <= VOCAB.countries
    assert set(state.firms) <= VOCAB.firms


def test_shares_round_trip_and_nonsense_is_refused():
    state, notices = parse_query("?share=KAZ:2021-08:18", VOCAB)
    assert notices == [] and state.shares == (("KAZ", "2021-08", 18.0),)
    assert parse_query(state.to_query(VOCAB.default_month), VOCAB)[0] == state
    for bad in ("KAZ:2021-08:100.5", "ATA:2021-08:5", "KAZ:2019-01:5", "KAZ;2021-08;5", "KAZ:2021-08:60,RUS:2021-08:60"):
        state, notices = parse_query(f"?share={bad}", VOCAB)
        assert state.shares == () and len(notices) == 1, bad


def test_the_model_settings_are_described_once_for_file_names_and_for_words():
    state = ViewState(efficiency=34.0, pue=1.25, cbeci="v1")
    assert state.model_changes() == [
        ("cbeci-v1", "network power CBECI v1 (pre-2023 model)"),
        ("eff34", "fleet efficiency 34 J/TH"),
        ("pue1.25", "overhead 1.25"),
    ]
    assert state.filter_slug() == "_cbeci-v1_eff34_pue1.25"
    assert ViewState().model_changes() == []
