"""What the reader did, as plain events, and the one pure function that applies them to a ViewState.

Callbacks parse what a component sent (click data, a slider index, a checklist) into one of
these events at the edge, then call `apply`: every rule about how the view reacts lives here,
unit-tested without Dash. Events name values; `apply` checks them against the vocabulary of
the dataset, so an event naming an unknown country or month changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rigflows.state import FLAGS, METRICS, ViewState, Vocabulary, keep_model, next_month, toggle_country, toggle_firm


@dataclass(frozen=True)
class Reset:
    """"Reset all filters": the default view."""


@dataclass(frozen=True)
class OpenLink:
    """The reader opened a link or went back: the URL's state replaces the view."""

    state: ViewState


@dataclass(frozen=True)
class ClickCountry:
    """A click on a country (map), its flow line (map) or its Sankey node."""

    iso3: str


@dataclass(frozen=True)
class ClickFirm:
    """A click on a firm's Sankey node."""

    firm: str


@dataclass(frozen=True)
class Tick:
    """The play button's step to the next month."""


@dataclass(frozen=True)
class SetMetric:
    metric: str


@dataclass(frozen=True)
class SetMonth:
    month: str


@dataclass(frozen=True)
class SetFilters:
    """The country and firm dropdowns (already cleaned by `state.clean_state`)."""

    countries: tuple[str, ...]
    firms: tuple[str, ...]


@dataclass(frozen=True)
class SetToggles:
    """The checklist of overlays: the `state.FLAGS` fields that are on; the others are off."""

    on: frozenset[str]


@dataclass(frozen=True)
class SetModel:
    """The grid-strain calculator's assumptions (already checked by `state.set_model`)."""

    model: ViewState


Event = Reset | OpenLink | ClickCountry | ClickFirm | Tick | SetMetric | SetMonth | SetFilters | SetToggles | SetModel


def apply(event: Event, state: ViewState, vocabulary: Vocabulary) -> ViewState:
    """The view after `event`. Pure: the same event on the same state always gives the same view."""
    match event:
        case Reset():
            return ViewState(month=vocabulary.default_month)
        case OpenLink(state=linked):
            return linked
        case ClickCountry(iso3=iso3) if iso3 in vocabulary.countries:
            return toggle_country(state, iso3)
        case ClickFirm(firm=firm) if firm in vocabulary.firms:
            return toggle_firm(state, firm)
        case Tick():
            return next_month(state, vocabulary.months)
        case SetMetric(metric=metric) if metric in METRICS:
            return replace(state, metric=metric)
        case SetMonth(month=month) if month in vocabulary.months:
            return replace(state, month=month)
        case SetFilters(countries=countries, firms=firms):
            return replace(state, countries=tuple(countries), firms=tuple(firms))
        case SetToggles(on=on):
            # Turning the energy overlay on shows the farms where they matter: on the strain map.
            metric = "strain" if "show_farms" in on and not state.show_farms else state.metric
            return replace(state, **{name: name in on for name in FLAGS}, metric=metric)
        case SetModel(model=model):
            return keep_model(state, model)
    return state
