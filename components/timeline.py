"""The event timeline card: the events of `rigflows.timeline` by month, synced to the month and
scoped by the country filter.

The month never reaches the server: assets/timeline.js marks the selected month as the slider
moves (Play included), and a click, tap or key press on an event sets the slider to the event's
month, which redraws every view through the page's own clientside path (assets/views.js), and
opens the event's month in the panel under the timeline: every event of that month in words
(what was reported, when, by whom), so a phone or a keyboard reaches what a tooltip would say.
Only a country change (or "every country's events") asks the server, for the card's body.
"""

from __future__ import annotations

from functools import lru_cache

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.figures.timeline import month_status, month_statuses, month_words, scope_words, timeline_months
from rigflows.select import vocabulary
from rigflows.state import clean_state
from rigflows.timeline import events_for, source_credits, timeline_events


#: Events listed per month, in the timeline and in the panel; the rest are counted ("…and 12
#: more"). The bundled data has at most 4 in a month; a page of thousands of events would be
#: slow to draw and to use (every component costs each redraw).
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


def _more(group: dict) -> list[html.Li]:
    """The line that counts a month's events past MAX_LISTED_PER_MONTH, if any."""
    more = len(group["events"]) - len(group["listed"])
    return [html.Li(f"…and {more:,} more event{'s' if more != 1 else ''} this month, not listed here (the data API has them all).", className="timeline-more")] if more else []


def month_class(month: str, selected: str) -> str:
    """A month block's class: the selected month, or before or after it (assets/timeline.js
    computes the same as the month moves)."""
    where = "is-selected" if month == selected else "is-past" if month < selected else "is-future"
    return f"timeline-month {where}"


def description_id(event_id: str) -> str:
    """The plain id of an event's description in the panel, which its button points at
    (`aria-describedby`), so a screen reader says it with the button."""
    return f"timeline-description-{event_id}"


def _beyond(dataset: Dataset) -> str:
    return f"After the data's last month ({month_words(dataset.months[-1])}): listed, not shown in the views."


def _event_button(event: dict, group: dict) -> html.Button:
    return html.Button(
        [html.Span(event["title"], className="timeline-event-title"), html.Span(event["meta"], className="timeline-event-meta")],
        id={"type": ids.TIMELINE_EVENT, "event": event["id"], "month": group["index"] if group["index"] is not None else -1, "at": group["month"]},
        className=f"timeline-event timeline-kind-{event['kind'].replace(' ', '-')}",
        title=event["description"],
        n_clicks=0,
        # One wildcard (aria-*) prop per component: Dash serialises several in a per-process order,
        # and two instances must serve the same bytes (tests/test_serving.py).
        **{"aria-describedby": description_id(event["id"])},
    )


def _block(dataset: Dataset, group: dict, month: str) -> html.Section:
    count = len(group["events"])
    return html.Section(
        id={"type": ids.TIMELINE_MONTH, "month": group["month"]},
        className=month_class(group["month"], month),
        children=[
            html.H3([group["label"], html.Span(f"{count}", className="timeline-count", title=f"{count} event{'s' if count != 1 else ''}")], className="timeline-month-label"),
            *([] if group["index"] is not None else [html.P(_beyond(dataset), className="timeline-beyond")]),
            html.Ul([*(html.Li(_event_button(event, group)) for event in group["listed"]), *_more(group)]),
        ],
    )


def _detail(event: dict, picked: str | None) -> html.Li:
    return html.Li(
        id={"type": ids.TIMELINE_DETAIL, "event": event["id"]},
        className="timeline-detail is-picked" if event["id"] == picked else "timeline-detail",
        children=[
            html.H4(event["title"]),
            html.P(event["meta"], className="timeline-detail-meta"),
            html.P(event["description"], id=description_id(event["id"])),
            html.P("Sources:", className="timeline-detail-sources-label"),
            html.Ul([html.Li(credit) for credit in event["credits"]], className="timeline-detail-sources"),
        ],
    )


def _details(dataset: Dataset, groups: list[dict], month: str, picked: str | None) -> html.Section:
    """The panel under the timeline: each month's events in words, the shown month's visible."""
    shown = any(group["month"] == month for group in groups)
    return html.Section(
        id=ids.TIMELINE_DETAILS,
        className="timeline-details",
        **{"aria-live": "polite"},
        children=[
            html.P("No event in this month. Pick an event above to read what was reported, when and by whom.", id=ids.TIMELINE_DETAILS_EMPTY, hidden=shown, className="timeline-details-empty"),
            *[
                html.Div(
                    id={"type": ids.TIMELINE_DETAILS_MONTH, "month": group["month"]},
                    hidden=group["month"] != month,
                    children=[
                        html.H3(f"{group['label']}: what was reported"),
                        *([] if group["index"] is not None else [html.P(_beyond(dataset), className="timeline-beyond")]),
                        html.Ul([*(_detail(event, picked) for event in group["listed"]), *_more(group)], className="timeline-details-list"),
                    ],
                )
                for group in groups
            ],
        ],
    )


@lru_cache(maxsize=256)
def timeline_body(dataset: Dataset, countries: tuple[str, ...], month: str, show_all: bool = False, picked: str | None = None) -> list:
    """What a country filter changes: the line saying which events are listed, the month's
    status, the month blocks and the panel, with `month` marked and `picked` highlighted.
    Cached like the charts: a filter a worker has answered before costs only its sending."""
    def count(scope: tuple[str, ...]) -> int:
        return sum(len(group["events"]) for group in _months(dataset, scope))

    groups = _months(dataset, () if show_all else countries)
    heading, detail = scope_words(countries, count(countries), count(()), show_all)
    return [
        html.P([html.Strong(heading), f" {detail}" if detail else ""], id=ids.TIMELINE_SCOPE, className="timeline-scope"),
        html.P(month_status(groups, month), id=ids.TIMELINE_STATUS, className="timeline-status", **{"aria-live": "polite"}),
        dcc.Store(id=ids.TIMELINE_STATUSES, data=month_statuses(groups, dataset.months)),
        html.Div([_block(dataset, group, month) for group in groups], id=ids.TIMELINE, className="timeline"),
        _details(dataset, groups, month, picked),
    ]


def timeline_card(dataset: Dataset, countries: tuple[str, ...], month: str) -> html.Section:
    """The card for a view's countries, with `month` marked as the page opens."""
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
            html.Div(timeline_body(dataset, countries, month), id=ids.TIMELINE_BODY),
            dcc.Store(id=ids.TIMELINE_PICKED),
        ],
    )


def register_timeline_callbacks(app, dataset: Dataset) -> None:
    """The body on a country change (server); the rest in the browser (assets/timeline.js)."""
    vocab = vocabulary(dataset)

    @app.callback(
        Output(ids.TIMELINE_BODY, "children"),
        Output(ids.TIMELINE_ALL_BOX, "hidden"),
        Input(ids.COUNTRIES, "value"),
        Input(ids.TIMELINE_ALL, "value"),
        State(ids.MONTH, "value"),
        State(ids.TIMELINE_PICKED, "data"),
        prevent_initial_call=True,
    )
    def scope(countries, show_all, month_index, picked):
        month = vocab.months[month_index] if isinstance(month_index, int) and 0 <= month_index < len(vocab.months) else None
        state, _ = clean_state(vocab, None, month, countries)
        picked_id = picked.get("event") if isinstance(picked, dict) else None
        every = isinstance(show_all, list) and ids.SHOW_ALL_EVENTS in show_all
        return timeline_body(dataset, state.countries, state.month, every, picked_id if isinstance(picked_id, str) else None), not state.countries

    app.clientside_callback(
        ClientsideFunction("rigflowsTimeline", "pick"),
        Output(ids.MONTH, "value", allow_duplicate=True),
        Output(ids.TIMELINE_PICKED, "data"),
        Input({"type": ids.TIMELINE_EVENT, "event": ALL, "month": ALL, "at": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("rigflowsTimeline", "mark"),
        Output({"type": ids.TIMELINE_MONTH, "month": ALL}, "className"),
        Output(ids.TIMELINE_STATUS, "children"),
        Output({"type": ids.TIMELINE_DETAILS_MONTH, "month": ALL}, "hidden"),
        Output({"type": ids.TIMELINE_DETAIL, "event": ALL}, "className"),
        Output(ids.TIMELINE_DETAILS_EMPTY, "hidden"),
        Input(ids.MONTH, "value"),
        Input(ids.TIMELINE_PICKED, "data"),
        State(ids.SETTINGS, "data"),
        State(ids.TIMELINE_STATUSES, "data"),
        prevent_initial_call=True,
    )
