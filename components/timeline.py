"""The event timeline card: the events of `rigflows.timeline` by month, synced to the month and
scoped by the country filter.

The server sends the timeline as data (`timeline_data`, one Store) and assets/timeline.js draws
it: hundreds of events would be thousands of Dash components, each re-checked by dash-renderer
on every prop change of the page (a month step included). The month never reaches the server:
timeline.js marks the selected month as the slider moves (Play included), and a click, tap or
key press on an event sets the slider to the event's month, which redraws every view through the
page's own clientside path (assets/views.js), and opens the event's month in the panel under
the timeline: every event of that month in words (what was reported, when, by whom), so a phone
or a keyboard reaches what a tooltip would say. Only a country change (or "every country's
events") asks the server, for the data.
"""

from __future__ import annotations

from functools import lru_cache

from dash import ClientsideFunction, Input, Output, State, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.figures.style import date_label
from rigflows.figures.timeline import month_statuses, scope_words, timeline_months
from rigflows.select import vocabulary
from rigflows.state import clean_state
from rigflows.timeline import events_for, source_credits, timeline_events


#: Events listed per month, in the timeline and in the panel; the rest are counted ("…and 12
#: more"). The bundled data has at most 4 in a month; a page of thousands of events would be
#: slow to send, to draw and to read.
MAX_LISTED_PER_MONTH = 5


@lru_cache(maxsize=64)
def _months(dataset: Dataset, countries: tuple[str, ...]) -> list[dict]:
    """The month blocks a country filter lists, each event with its sources by name."""
    groups = timeline_months(events_for(timeline_events(dataset), countries), dataset.months)
    for group in groups:
        group["listed"] = group["events"][:MAX_LISTED_PER_MONTH]
        for event in group["listed"]:
            event["credits"] = source_credits(dataset, event["source_ids"])
    return groups


def _more(group: dict) -> str | None:
    """The line that counts a month's events past MAX_LISTED_PER_MONTH, if any."""
    more = len(group["events"]) - len(group["listed"])
    return f"…and {more:,} more event{'s' if more != 1 else ''} this month, not listed here (the data API has them all)." if more else None


def description_id(event_id: str) -> str:
    """The plain id of an event's description in the panel, which its button points at
    (`aria-describedby`), so a screen reader says it with the button."""
    return f"timeline-description-{event_id}"


@lru_cache(maxsize=256)
def timeline_data(dataset: Dataset, countries: tuple[str, ...], show_all: bool = False) -> dict:
    """What a country filter changes, as plain data for assets/timeline.js: the line saying which
    events are listed, each month's status line, and the month blocks, each with its events
    (title, kind, date, text, sources by name and the slider position that shows them: -1 after
    the data's last month) and every sentence the page shows about them. Cached like the charts."""
    def count(scope: tuple[str, ...]) -> int:
        return sum(len(group["events"]) for group in _months(dataset, scope))

    groups = _months(dataset, () if show_all else countries)
    heading, detail = scope_words(countries, count(countries), count(()), show_all)
    beyond = f"After the data's last month ({date_label(dataset.months[-1])}): listed, not shown in the views."
    return {
        "scope": {"heading": heading, "detail": detail},
        "statuses": month_statuses(groups, dataset.months),
        "empty": "No event in this month. Pick an event above to read what was reported, when and by whom.",
        "months": [
            {
                "month": group["month"],
                "label": group["label"],
                "count": len(group["events"]),
                "count_title": f"{len(group['events'])} event{'s' if len(group['events']) != 1 else ''}",
                "panel_heading": f"{group['label']}: what was reported",
                "beyond": None if group["index"] is not None else beyond,
                "index": group["index"] if group["index"] is not None else -1,
                "events": [
                    {
                        "id": event["id"], "title": event["title"], "meta": event["meta"], "kind": event["kind"].replace(" ", "-"),
                        "description": event["description"], "description_id": description_id(event["id"]), "credits": event["credits"],
                    }
                    for event in group["listed"]
                ],
                "more": _more(group),
            }
            for group in groups
        ],
    }


def timeline_card(dataset: Dataset, countries: tuple[str, ...]) -> html.Section:
    """The card for a view's countries; assets/timeline.js draws its body from the data."""
    return html.Section(
        className="card card-timeline",
        children=[
            html.H2("What happened when"),
            html.P("The ban and what followed, with the grid's cut-offs, blackouts, caps and permits. Pick an event to move every view to its month and read it below the timeline; Play walks through them.", className="card-intro"),
            html.Div(
                dcc.Checklist(id=ids.TIMELINE_ALL, options=[{"label": " Show every country's events", "value": ids.SHOW_ALL_EVENTS}], value=[], className="timeline-all"),
                id=ids.TIMELINE_ALL_BOX,
                hidden=not countries,
            ),
            dcc.Store(id=ids.TIMELINE_DATA, data=timeline_data(dataset, countries)),
            html.Div(id=ids.TIMELINE_BODY, className="timeline-body"),
            dcc.Store(id=ids.TIMELINE_PICKED),
        ],
    )


def register_timeline_callbacks(app, dataset: Dataset) -> None:
    """The data on a country change (server); the drawing, marking and picking in the browser
    (assets/timeline.js)."""
    vocab = vocabulary(dataset)

    @app.callback(
        Output(ids.TIMELINE_DATA, "data"),
        Output(ids.TIMELINE_ALL_BOX, "hidden"),
        Input(ids.COUNTRIES, "value"),
        Input(ids.TIMELINE_ALL, "value"),
        prevent_initial_call=True,
    )
    def scope(countries, show_all):
        state, _ = clean_state(vocab, None, None, countries)
        every = isinstance(show_all, list) and ids.SHOW_ALL_EVENTS in show_all
        return timeline_data(dataset, state.countries, every), not state.countries

    # Draws into the card's body: no Dash output, so a month step costs dash-renderer nothing here.
    app.clientside_callback(
        ClientsideFunction("rigflowsTimeline", "draw"),
        Input(ids.TIMELINE_DATA, "data"),
        Input(ids.MONTH, "value"),
        Input(ids.TIMELINE_PICKED, "data"),
        State(ids.SETTINGS, "data"),
    )
