"""Filters that guide: each filter's options narrowed by the other, with counts, and an empty
result that says why. Expectations are worked by hand from data/flows.csv and data/farms.csv."""

from __future__ import annotations

from rigflows.select import country_choices, empty_reason, firm_choices
from rigflows.state import ViewState


def test_a_country_narrows_the_firms_to_those_with_flows_or_farms_there(dataset):
    # Kazakhstan: Bitfufu and BIT Mining shipped there; Enegix and Xive run farms there.
    assert firm_choices(dataset, ViewState(countries=("KAZ",))) == [
        ("BIT Mining (NYSE: BTCM)", "BIT Mining (NYSE: BTCM) (1 flow)"),
        ("Bitfufu (BitFuFu)", "Bitfufu (BitFuFu) (1 flow)"),
        ("Enegix", "Enegix (1 farm)"),
        ("Xive", "Xive (1 farm)"),
    ]


def test_a_firm_narrows_the_countries_with_its_counts(dataset):
    # BitRiver: received the FT's 200,000 and The9's machines in Russia; runs the Bratsk farm.
    assert country_choices(dataset, ViewState(firms=("BitRiver",))) == [("RUS", "Russia (2 flows, 1 farm)")]
    # Hut 8: MicroBT's order to Canada, two Alberta farms.
    assert country_choices(dataset, ViewState(firms=("Hut 8 Mining",))) == [("CAN", "Canada (1 flow, 2 farms)")]


def test_without_the_other_filter_every_option_is_offered_with_its_counts(dataset):
    firms = dict(firm_choices(dataset, ViewState()))
    assert firms["BitRiver"] == "BitRiver (2 flows, 1 farm)"
    assert firms["Bitmain"] == "Bitmain (1 flow)"
    assert "not identified" not in {name.lower() for name in firms}
    countries = dict(country_choices(dataset, ViewState()))
    assert countries["KAZ"] == "Kazakhstan (2 flows, 2 farms)"
    assert countries["RUS"] == "Russia (3 flows, 2 farms)"  # BitRiver, Bit Cluster, The9 → BitRiver
    # A country with hashrate data only stays on offer: its map and energy views have data.
    assert countries["CHN"] == "China (no flows or farms reported)"


def test_a_chosen_option_stays_on_offer_and_says_it_has_nothing_there(dataset):
    state = ViewState(countries=("KAZ",), firms=("Bitmain",))
    assert ("Bitmain", "Bitmain (none in the selected countries)") in firm_choices(dataset, state)
    assert ("KAZ", "Kazakhstan (none for the selected firms)") in country_choices(dataset, state)


def test_an_empty_combination_says_why_and_a_matching_one_says_nothing(dataset):
    reason = empty_reason(dataset, ViewState(countries=("KAZ",), firms=("Bitmain",)))
    assert reason is not None and "Bitmain" in reason and "Kazakhstan" in reason
    assert "hashrate" not in reason
    assert empty_reason(dataset, ViewState(countries=("RUS",), firms=("BitRiver",))) is None
    assert empty_reason(dataset, ViewState(firms=("Bitmain",))) is None
    assert empty_reason(dataset, ViewState(countries=("DEU",))) is None


def test_an_empty_combination_never_claims_a_country_lacks_hashrate_data(dataset):
    """Kazakhstan has hashrate data: with a firm that has nothing there, the energy chart says
    the filters have nothing in common, not that the data is missing."""
    from rigflows.render import energy_figure, energy_key

    assert (dataset.hashrate_share["iso3"] == "KAZ").any()
    figure = energy_figure(dataset, energy_key(ViewState(countries=("KAZ",), firms=("Bitmain",)))).figure
    text = " ".join(annotation["text"] for annotation in figure["layout"]["annotations"])
    assert "hashrate data" not in text and "Bitmain" in text
