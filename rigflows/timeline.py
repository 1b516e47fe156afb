"""The event timeline's rows: the ban and its consequences (`events.csv`) and the grid events
(`grid_reports.csv`: rationing, cut-offs, blackouts, caps, permits), one row per happening.

The two tables overlap: the same cut-off is often both a timeline event and a grid report.
Rule: a grid report is the same happening as an event when both name the same country, the
same date and the same sources; it is then folded into that event (which keeps its title and
takes the grid report's kind, e.g. "cut off"), so the timeline lists it once. Every other grid
event is a row of its own.

With a country filter the timeline lists that country's events and those that concern every
destination (`concerns_every_country`): China's, where the machines came from (the ban, its
machine market), and the network-wide ones that name no country (the hashrate's fall, the FT's
report).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from rigflows.countries import country_name
from rigflows.dataset import Dataset
from rigflows.schema import GRID_EVENT_KINDS
from rigflows.select import ORIGIN, sources_with_originals

TIMELINE_COLUMNS = ["event_id", "date", "month", "iso3", "country", "kind", "title", "description", "source_ids", "also"]


def _sources(ids: tuple[str, ...]) -> frozenset[str]:
    return frozenset(ids)


@lru_cache(maxsize=4)
def timeline_events(dataset: Dataset) -> pd.DataFrame:
    """Every event of the timeline, oldest first (ties in the tables' order). Once per dataset:
    a country filter's events are cut from it (`events_for`).

    `month` is YYYY-MM; `kind` is the event's kind in words; `also` lists the ids of the grid
    reports folded into the row. The events do not depend on the view: the page draws them once.
    """
    events = dataset.events
    reports = dataset.grid_reports
    reports = reports[reports["kind"].isin(GRID_EVENT_KINDS)]
    same = {(row.iso3, row.date, _sources(row.source_ids)): row.event_id for row in events.itertuples() if isinstance(row.iso3, str)}
    folded: dict[str, list] = {}
    rows = []
    for report in reports.itertuples():
        match = same.get((report.iso3, report.date_start, _sources(report.source_ids)))
        if match:
            folded.setdefault(match, []).append(report)
            continue
        rows.append({
            "event_id": report.report_id, "date": report.date_start, "iso3": report.iso3, "kind": report.kind, "title": report.title,
            "description": report.description, "source_ids": report.source_ids, "also": [],
        })
    for event in events.itertuples():
        reported = folded.get(event.event_id, [])
        rows.append({
            "event_id": event.event_id, "date": event.date, "iso3": event.iso3 if isinstance(event.iso3, str) else "",
            # A folded grid report says what kind of grid event it was (cut off, not just "grid").
            "kind": reported[0].kind if reported else event.kind, "title": event.title, "description": event.description,
            "source_ids": event.source_ids, "also": [report.report_id for report in reported],
        })
    frame = pd.DataFrame(rows, columns=[column for column in TIMELINE_COLUMNS if column not in ("month", "country")])
    frame["kind"] = frame["kind"].str.replace("_", " ")
    frame["month"] = frame["date"].str[:7]
    frame["country"] = frame["iso3"].map(lambda code: country_name(code) if code else "")
    # Stable: events of one date keep their table's order (grid reports first, as listed above).
    return frame.sort_values("date", kind="stable").reset_index(drop=True)[TIMELINE_COLUMNS]


def concerns_every_country(iso3: str) -> bool:
    """An event in China (the machines' origin) or naming no country (network-wide) concerns
    every destination, whatever the country filter."""
    return iso3 in (ORIGIN, "")


def events_for(events: pd.DataFrame, countries: tuple[str, ...]) -> pd.DataFrame:
    """The rows of `timeline_events` a country filter shows: the countries' own events and those
    that concern every country; every row when no country is selected."""
    if not countries:
        return events
    keep = events["iso3"].isin(countries) | events["iso3"].map(concerns_every_country)
    return events[keep].reset_index(drop=True)


@lru_cache(maxsize=1024)
def source_credits(dataset: Dataset, source_ids: tuple[str, ...]) -> tuple[str, ...]:
    """An event's sources by name, in the sources table's order: 'Producer: “Title” (published)';
    a press copy names its original's producer (the original is listed too). Kept: every
    country filter that lists the event names them again."""
    sources = sources_with_originals(dataset, source_ids)
    producers = dict(zip(dataset.sources["source_id"], dataset.sources["producer"]))
    credits = []
    for source in sources.itertuples():
        credit = f"{source.producer}: \u201c{source.title}\u201d" + (f" ({source.published})" if isinstance(source.published, str) else "")
        if isinstance(source.original_id, str) and source.original_id in producers:
            credit += f"; original: {producers[source.original_id]}"
        credits.append(credit)
    return tuple(credits)
