"""`?embed=`: a page setting parsed in rigflows.state; a bad value falls back with a notice."""

from __future__ import annotations

from rigflows.select import vocabulary
from rigflows.state import parse_embed, parse_query


def test_embed_names_one_chart_and_is_not_part_of_the_view(dataset):
    assert parse_embed("?embed=map&country=KAZ") == ("map", [])
    assert parse_embed("?embed=Sankey") == ("sankey", [])
    assert parse_embed("?country=KAZ") == (None, [])
    state, notices = parse_query("?embed=energy&country=KAZ", vocabulary(dataset))
    assert notices == [] and state.to_query(vocabulary(dataset).default_month) == "?country=KAZ"


def test_an_unknown_embed_falls_back_to_the_full_page_with_a_notice():
    chart, notices = parse_embed("?embed=<script>")
    assert chart is None
    assert len(notices) == 1 and "embed" in notices[0] and "map, sankey, energy" in notices[0]
