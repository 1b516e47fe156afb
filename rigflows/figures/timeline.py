"""The event timeline as plain data: months with their events, stacked, for the page to draw.

Not a plotly figure: a timeline of 26 titled events over two and a half years has no room for
its labels on a 390 px axis, so each month is a block of stacked event labels that the page lays
out as a grid (several columns on a desktop, one on a phone), and nothing overlaps by
construction. A month outside the data's months (the slider's range) is listed, but its events
cannot move the views there: `index` is None.
"""

from __future__ import annotations

import pandas as pd

from rigflows.alttext import and_join
from rigflows.countries import country_name
from rigflows.figures.style import date_label
from rigflows.rows import named_rows
from rigflows.select import ORIGIN


def timeline_months(events: pd.DataFrame, months: list[str]) -> list[dict]:
    """One entry per month with events, oldest first: its label, its index among `months` (the
    slider's value that shows it, or None) and its events in `events`' order."""
    index = {month: position for position, month in enumerate(months)}
    by_month: dict[str, list[dict]] = {}
    for row in named_rows(events[["month", "event_id", "title", "kind", "country", "date", "description", "source_ids"]]):
        if isinstance(row.month, str):  # as a groupby, a row with no month is left out
            by_month.setdefault(row.month, []).append({
                "id": row.event_id,
                "title": row.title,
                "meta": " · ".join(part for part in (row.kind, row.country, date_label(row.date)) if part),
                "kind": row.kind,
                "description": row.description,
                "source_ids": row.source_ids,
            })
    return [{"month": month, "label": date_label(month), "index": index.get(month), "events": by_month[month]} for month in sorted(by_month)]


def month_status(groups: list[dict], month: str) -> str:
    """Where the selected month sits among the events, for the line above the timeline."""
    here = next((group for group in groups if group["month"] == month), None)
    if here:
        count = len(here["events"])
        return f"{date_label(month)}: {count} event{'s' if count != 1 else ''} (highlighted)."
    later = next((group for group in groups if group["month"] > month), None)
    return f"{date_label(month)}: no event listed." + (f" Next: {later['label']}." if later else "")


def month_statuses(groups: list[dict], months: list[str]) -> dict[str, str]:
    """`month_status` of every month the slider can show: the page looks it up as the month moves."""
    return {month: month_status(groups, month) for month in months}


def scope_words(countries: tuple[str, ...], shown: int, total: int, show_all: bool) -> tuple[str, str]:
    """(heading, detail) saying which events a country filter lists: 'Events for Kazakhstan and
    China's ban', '19 of 26 events: those in Kazakhstan, and those that concern every country...'."""
    if not countries:
        return f"All {total} events", ""
    names = [country_name(code) for code in countries]
    places, origin = and_join(names), country_name(ORIGIN)
    scope = and_join(names + [f"{origin}'s ban"]) if ORIGIN not in countries else places
    if show_all:
        return f"All {total} events", f"Every country's, not only the {shown} for {scope}."
    return f"Events for {scope}", f"{shown} of {total} events: those in {places}, and those that concern every country (in {origin}, where the machines came from, or network-wide)."
