"""The event timeline card: every event of `rigflows.timeline`, by month, synced to the month.

Drawn once per page (the events do not depend on the view). The month never reaches the server:
assets/timeline.js marks the selected month as the slider moves (Play included), and a click on
an event sets the slider to the event's month, which redraws every view through the page's own
clientside path (assets/views.js).
"""

from __future__ import annotations

from functools import lru_cache

from dash import ALL, ClientsideFunction, Input, Output, State, dcc, html

from components import ids
from rigflows.dataset import Dataset
from rigflows.figures.timeline import month_status, month_words, month_statuses, timeline_months
from rigflows.select import source_line
from rigflows.timeline import timeline_events


@lru_cache(maxsize=4)
def _months(dataset: Dataset) -> list[dict]:
    return timeline_months(timeline_events(dataset), dataset.months)


def month_class(month: str, selected: str) -> str:
    """A month block's class: the selected month, or before or after it (assets/timeline.js
    computes the same as the month moves)."""
    where = "is-selected" if month == selected else "is-past" if month < selected else "is-future"
    return f"timeline-month {where}"


def _event_button(dataset: Dataset, event: dict, group: dict) -> html.Button:
    movable = group["index"] is not None
    tooltip = f"{event['description']}\n{source_line(dataset, event['source_ids'])}"
    if not movable:
        tooltip += f"\nAfter the data's last month ({month_words(dataset.months[-1])}): the views cannot move there."
    return html.Button(
        [html.Span(event["title"], className="timeline-event-title"), html.Span(event["meta"], className="timeline-event-meta")],
        id={"type": ids.TIMELINE_EVENT, "event": event["id"], "month": group["index"] if movable else -1},
        className=f"timeline-event timeline-kind-{event['kind'].replace(' ', '-')}",
        title=tooltip,
        disabled=not movable,
        n_clicks=0,
    )


def timeline_card(dataset: Dataset, month: str) -> html.Section:
    """The card, with `month` marked as the page opens."""
    groups = _months(dataset)
    blocks = [
        html.Section(
            id={"type": ids.TIMELINE_MONTH, "month": group["month"]},
            className=month_class(group["month"], month),
            children=[
                html.H3([group["label"], html.Span(f"{len(group['events'])}", className="timeline-count", title=f"{len(group['events'])} events")], className="timeline-month-label"),
                *([] if group["index"] is not None else [html.P(f"After the data's last month ({month_words(dataset.months[-1])}): listed, not shown in the views.", className="timeline-beyond")]),
                html.Ul([html.Li(_event_button(dataset, event, group)) for event in group["events"]]),
            ],
        )
        for group in groups
    ]
    return html.Section(
        className="card card-timeline",
        children=[
            html.H2("What happened when"),
            html.P("The ban and what followed, with the grid's cut-offs, blackouts, caps and permits. Click an event to move every view to its month; Play walks through them. Hover an event for what was reported and by whom.", className="card-intro"),
            html.P(month_status(groups, month), id=ids.TIMELINE_STATUS, className="timeline-status", **{"aria-live": "polite"}),
            dcc.Store(id=ids.TIMELINE_STATUSES, data=month_statuses(groups, dataset.months)),
            html.Div(blocks, id=ids.TIMELINE, className="timeline"),
        ],
    )


def register_timeline_callbacks(app) -> None:
    """Both in the browser (assets/timeline.js): no request to the server."""
    app.clientside_callback(
        ClientsideFunction("rigflowsTimeline", "jump"),
        Output(ids.MONTH, "value", allow_duplicate=True),
        Input({"type": ids.TIMELINE_EVENT, "event": ALL, "month": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("rigflowsTimeline", "mark"),
        Output({"type": ids.TIMELINE_MONTH, "month": ALL}, "className"),
        Output(ids.TIMELINE_STATUS, "children"),
        Input(ids.MONTH, "value"),
        State(ids.SETTINGS, "data"),
        State(ids.TIMELINE_STATUSES, "data"),
        prevent_initial_call=True,
    )
