"""The load model's assumptions in the URL: absent means the default model; bad values fall back
with a notice, and controls that do not set the model keep it."""

from __future__ import annotations

from rigflows.state import ViewState, Vocabulary, clean_state, keep_model, parse_query

VOCAB = Vocabulary(months=("2021-07", "2021-08"), countries=frozenset({"KAZ"}), firms=frozenset())


def test_the_revised_cbeci_level_is_the_default_and_v1_is_chosen_by_url():
    assert ViewState().cbeci == "revised_2023"
    state, notices = parse_query("?metric=load&cbeci=v1", VOCAB)
    assert notices == [] and state.cbeci == "v1"
    assert state.to_query(VOCAB.default_month) == "?metric=load&cbeci=v1"
    assert parse_query(state.to_query(), VOCAB)[0] == state


def test_an_unknown_cbeci_version_falls_back_with_a_notice():
    state, notices = parse_query("?cbeci=v9", VOCAB)
    assert state.cbeci == "revised_2023"
    assert len(notices) == 1 and "v9" in notices[0] and "revision" in notices[0]


def test_a_control_change_keeps_the_model_from_the_url():
    from_url = parse_query("?cbeci=v1", VOCAB)[0]
    from_controls, _ = clean_state(VOCAB, metric="strain", month="2021-07")
    assert keep_model(from_controls, from_url) == ViewState(metric="strain", month="2021-07", cbeci="v1")


def test_the_energy_charts_cache_key_keeps_the_readers_assumptions():
    from rigflows.render import energy_key, map_key

    state = ViewState(metric="load", cbeci="v1", efficiency=34.0, pue=1.1)
    for key in (energy_key(state), map_key(state)):
        assert (key.cbeci, key.efficiency, key.pue) == ("v1", 34.0, 1.1)


def test_the_calculator_sets_or_clears_the_model_and_refuses_nonsense():
    from rigflows.state import set_model

    vocab = Vocabulary(months=("2021-08",), countries=frozenset(), firms=frozenset(), efficiency_range=(29.55, 765.69))
    start = ViewState(metric="load", efficiency=34.0, pue=1.1)
    assert set_model(start, vocab, "v1", 98, 1.2) == (ViewState(metric="load", cbeci="v1", efficiency=98.0, pue=1.2), [])
    assert set_model(start, vocab, None, "", None) == (ViewState(metric="load"), [])  # cleared: the default model
    state, notices = set_model(start, vocab, "revised_2023", {"x": 1}, 9)
    assert state == ViewState(metric="load") and len(notices) == 2


def test_export_names_carry_the_readers_assumptions():
    assert ViewState(metric="load", month="2021-10").slug() == "load_2021-10"
    assert ViewState(metric="load", month="2021-10", cbeci="v1", efficiency=34.0, pue=1.1).slug() == "load_2021-10_cbeci-v1_eff34_pue1.1"
