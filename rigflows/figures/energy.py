"""The energy chart: modelled mining load per country over time, against reported loads and grid events.

The model line is drawn with its range so it is never read as a measurement; reported figures
sit on the same axis (GW) so a reader can see where the model and the grid operators disagree.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rigflows.figures.style import (
    CATEGORY_COLOURS,
    ENERGY_HEIGHT,
    FOOTER_WRAP,
    MEDIUM_BELOW,
    NARROW_ENERGY_HEIGHT,
    NARROW_FOOTER_WRAP,
    SOURCE_LINE,
    TEXT_COLOUR,
    date_label,
    escape,
    filters_text,
    floats,
    named_rows,
    rgba,
    sources_text,
    themed_figure,
    wrap,
)
from rigflows.models import METHOD_NOTE, VERSION_LABELS, describe_assumptions
from rigflows.state import ViewState

#: Marker shape per grid event kind (colour is taken by the country's dashed line).
EVENT_SYMBOLS = {"rationing": "triangle-down", "cut_off": "x", "blackout": "star", "cap": "square", "permit": "diamond"}
_EVENT_COLOUR = "#333333"
#: Heights of the event marker rows and of the axis, as multiples of the highest value drawn.
_EVENT_ROWS = (1.1, 1.2, 1.3)
_AXIS_TOP = 1.4
_REPORT_SYMBOLS = {"mining_load": "diamond", "capacity": "square"}
_REPORT_KINDS = {"mining_load": "Reported mining load", "capacity": "Reported capacity"}
_FLAGS = {
    "vpn_distorted": "Share flagged: likely inflated by VPN/proxy use",
    "measurement_gap": "CBECI shows 0% (measurement gap), so no estimate",
}


def build_energy_figure(
    series: pd.DataFrame, reported: pd.DataFrame, events: pd.DataFrame, state: ViewState, *, colour_order: list[str] | None = None, source_line: str = SOURCE_LINE, method: str = METHOD_NOTE
) -> go.Figure:
    """Lines and ranges from `select.energy_series`, markers from `select.reported_loads`,
    event marks from `select.grid_events`, and a line at `state.month`. `method` is the
    method text with the data's figures (`select.method_text`), shown on the note's hover.

    `colour_order` lists every country the chart may ever show, so a country keeps its colour
    whatever else is selected; without it colours follow the countries in this figure.

    The frames are small, so each trace is cut from whole columns with numpy masks: pandas'
    groupby and row filters cost far more than the drawing here.
    """
    colours = country_colours(series, reported, events, order=colour_order)
    top = _top(series, reported)
    dates = [month_date(value) for value in [*series["month"], *reported["date_start"], *events["date_start"], state.month]]
    heights = _event_heights(events, top, max(dates) - min(dates))
    own = not state.is_default_model
    traces = [
        *_model_traces(series, colours, "your assumptions" if own else "model estimate"),
        *(_default_traces(series, colours) if own else []),
        *_flagged_traces(series, colours),
        *_reported_traces(reported, colours),
        *_event_traces(events, heights),
    ]

    selected = _axis_date(state.month)
    selected_line = {"type": "line", "xref": "x", "yref": "paper", "x0": selected, "x1": selected, "y0": 0, "y1": 1, "line": {"color": TEXT_COLOUR, "width": 1.5}}
    selected_label = {
        "text": f"Selected: {date_label(state.month)}", "xref": "x", "yref": "paper", "x": selected, "y": 1, "xanchor": "left", "yanchor": "bottom",
        "xshift": 3, "showarrow": False, "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.8)",
    }
    gap_shading, gap_labels = _gap_marks(series)
    layout = {
        "shapes": [*gap_shading, *_event_lines(events, heights, colours), selected_line],
        "annotations": [*gap_labels, selected_label],
        "xaxis": {"title": {"text": "Month"}, "type": "date", "tickformat": "%b %Y", "automargin": True},
        "yaxis": {"title": {"text": "Power (GW)"}, "range": [0, top * _AXIS_TOP], "tickformat": ",", "automargin": True},
        "legend": {"font": {"size": 12}, "tracegroupgap": 4},
        "hovermode": "closest",
    }
    clipped = bool(np.nanmax(floats(series["load_gw_high"]), initial=0) > top * _AXIS_TOP)
    band = "Band: fleet efficiency from the best machine CCAF lists by then to a fleet of S9-era machines" + (" (wider than shown; see hover)" if clipped else "")
    assumptions = f"{escape(describe_assumptions(state.efficiency, state.pue, state.shares))} Dotted: the default model.<br>" if own else ""
    note = (
        f"Model: share of hashrate × CBECI network power; not measured. {band}.<br>"
        f"{escape(version_note(series))}.<br>{assumptions}"
        "Dashed lines: grid events (hover for details). Hover this note for the method.",
        wrap(method, 90),
    )
    ends = _line_ends(series, colours, top * _AXIS_TOP)
    layout["annotations"] = [*layout["annotations"], *_end_labels(ends, _PLOT_PX)]
    narrow_layout = {"showlegend": False, "xaxis": {"range": _room_for_labels(dates, [month_date(end["month"]) for end in ends])}}
    return themed_figure(
        traces,
        layout,
        "Bitcoin mining load: model estimate vs reported figures (GW)",
        subtitle=filters_text(state),
        height=ENERGY_HEIGHT,
        footer=[note],
        footer_wrap=FOOTER_WRAP - 12,
        axis_space=56,
        source_line=source_line,
        narrow={
            "below": MEDIUM_BELOW,  # the legend would leave a tablet too narrow a plot
            "height": NARROW_ENERGY_HEIGHT,
            "footer_wrap": NARROW_FOOTER_WRAP - 9,  # the footer starts at the plot area, right of the y axis
            "layout": narrow_layout,
            "annotations": [*gap_labels, selected_label, *_end_labels(ends, _NARROW_PLOT_PX, two_lines=True)],
            "footer": [line for line in (_symbol_key(reported, events), note) if line],
        },
    )


#: Rough plot-area heights (figure minus title, axis and footer), wide and narrow, to keep
#: line-end labels a line apart.
_PLOT_PX = 200
_NARROW_PLOT_PX = 170
_LABEL_GAP_PX = 15


def _line_ends(series: pd.DataFrame, colours: dict[str, str], axis_top: float) -> list[dict]:
    """Each country's last estimate: where its line ends, for a label there."""
    gap = (series["flag"] == "measurement_gap").to_numpy()
    load = np.where(gap, np.nan, floats(series["load_gw"]))
    iso3, months, countries = (series[column].to_numpy(dtype=object) for column in ("iso3", "month", "country"))
    ends = []
    for code in sorted(set(iso3)):
        at = np.flatnonzero((iso3 == code) & ~np.isnan(load))
        if at.size:
            last = at[np.argmax([month_date(month) for month in months[at]])]
            ends.append({"country": countries[last], "month": months[last], "value": float(load[last]), "colour": colours[code], "share": float(load[last]) / axis_top})
    return ends


def _end_labels(ends: list[dict], plot_px: int, *, two_lines: bool = False) -> list[dict]:
    """OWID-style labels at the lines' ends, 'Russia 0.62 GW', nudged apart so none overlap;
    on a phone the value goes under the name, so the label is half as wide."""
    placed: list[float] = []
    labels = []
    gap = _LABEL_GAP_PX * (2 if two_lines else 1)
    for end in sorted(ends, key=lambda end: end["share"]):
        at = end["share"] * plot_px
        y = max(at, placed[-1] + gap) if placed else at
        placed.append(y)
        labels.append(
            {
                "text": f"<b>{escape(end['country'])}</b>{'<br>' if two_lines else ' '}{end['value']:.2f} GW", "align": "left", "xref": "x", "yref": "y", "x": _axis_date(end["month"]), "y": end["value"],
                "xanchor": "left", "yanchor": "middle", "xshift": 4, "yshift": y - at, "showarrow": False,
                "font": {"size": 11, "color": end["colour"]}, "bgcolor": "rgba(255,255,255,0.85)",
            }
        )
    return labels


def _room_for_labels(dates: list[pd.Timestamp], line_ends: list[pd.Timestamp]) -> list[str]:
    """A narrow chart's x range: the data, and room right of the last line end for its label
    (a third of the chart's width)."""
    first, last = min(dates), max(dates)
    end = max([last, *(line_end + (line_end - first) * 0.5 for line_end in line_ends)])
    return [first.isoformat(), end.isoformat()]


_SYMBOL_TEXT = {"triangle-down": "▼", "x": "✖", "star": "★", "square": "■", "diamond": "◆", "circle": "●"}


def _symbol_key(reported: pd.DataFrame, events: pd.DataFrame) -> str:
    """The legend as one line of text, for a phone: shapes of reports and of grid events."""
    parts = [f"{_SYMBOL_TEXT[_REPORT_SYMBOLS.get(kind, 'circle')]} {_REPORT_KINDS.get(kind, escape(kind)).lower()}" for kind in dict.fromkeys(reported["kind"])]
    kinds = [kind for kind in EVENT_SYMBOLS if kind in set(events["kind"])] + sorted(set(events["kind"]) - set(EVENT_SYMBOLS))
    if kinds:
        parts.append("grid events: " + ", ".join(f"{_SYMBOL_TEXT[EVENT_SYMBOLS.get(kind, 'circle')]} {escape(kind.replace('_', '-'))}" for kind in kinds))
    return "Colour = country. " + "; ".join(parts) if parts else ""


#: How a measurement-gap month is named on the chart and in its hover.
GAP_LABEL = "CBECI measurement gap"
GAP_HOVER = "⚠ CBECI measurement-gap month: China's hashrate is missing from the shares, so this estimate is overstated"


def gap_spans(series: pd.DataFrame) -> list[tuple[str, str]]:
    """Runs of consecutive measurement-gap months in the series, as (first, last) months."""
    if "gap_month" not in series:
        return []
    months = sorted(set(series.loc[series["gap_month"].astype(bool), "month"]))
    spans: list[tuple[str, str]] = []
    for month in months:
        if spans and pd.Period(month) == pd.Period(spans[-1][1]) + 1:
            spans[-1] = (spans[-1][0], month)
        else:
            spans.append((month, month))
    return spans


def _gap_marks(series: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """A grey band over each run of measurement-gap months, labelled at its top."""
    shapes, labels = [], []
    for first, last in gap_spans(series):
        start, end = pd.Period(first).start_time.isoformat(), (pd.Period(last) + 1).start_time.isoformat()
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0, "y1": 1, "fillcolor": "rgba(0,0,0,0.08)", "line": {"width": 0}, "layer": "below"})
        labels.append(
            {
                "text": f"⚠ {GAP_LABEL}: shares overstated", "xref": "x", "yref": "paper", "x": start, "y": 0, "xanchor": "right", "yanchor": "bottom",
                "textangle": -90, "showarrow": False, "font": {"size": 10}, "hovertext": GAP_HOVER,
            }
        )
    return shapes, labels


def version_note(series: pd.DataFrame) -> str:
    """Which CBECI model version each stretch of months follows, e.g. 'Network power: CBECI 2023
    revision, Jan 2021 – Jan 2022; CBECI v1 (pre-2023 model), Sep 2019 – Dec 2020'."""
    if "version_drawn" not in series or series.empty:
        return "Network power: CBECI v1 (pre-2023 model)"
    spans = series.groupby("version_drawn")["month"].agg(["min", "max"]).sort_values("min", ascending=False)
    parts = [f"{VERSION_LABELS.get(version, version)}, {date_label(span['min'])} – {date_label(span['max'])}" for version, span in spans.iterrows()]
    return "Network power: " + "; ".join(parts)


def country_colours(*frames: pd.DataFrame, order: list[str] | None = None) -> dict[str, str]:
    """One Okabe-Ito colour per country, shared by its line, markers and events: by position
    in `order` when given (stable across views), else by ISO-3 order of the countries drawn."""
    drawn = sorted(set().union(*(set(frame["iso3"]) for frame in frames)))
    codes = list(order) + [code for code in drawn if code not in order] if order else drawn
    return {code: CATEGORY_COLOURS[position % len(CATEGORY_COLOURS)] for position, code in enumerate(codes) if code in drawn}


def month_date(value: str) -> pd.Timestamp:
    """A month ('2021-08') as its middle (the CBECI values are monthly means); a day as itself."""
    return pd.Timestamp(f"{value}-15") if len(value) == 7 else pd.Timestamp(value)


@lru_cache(maxsize=4096)  # the same few dozen months, in every country's line
def _axis_date(value: str) -> str:
    """`month_date` as ISO text ('2021-08-15T00:00:00'), exactly what plotly's JSON would carry
    for the Timestamp: plotly copies trace data twice per figure, and text copies far faster."""
    return month_date(value).isoformat()


def _top(series: pd.DataFrame, reported: pd.DataFrame) -> float:
    """Highest estimate or reported figure: the axis is scaled to these, not to CBECI's upper
    bound, which can be several times the estimate and would flatten every line."""
    values = np.concatenate([floats(series["load_gw"]), floats(reported["value_gw"]), floats(reported["high_gw"])])
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size and values.max() > 0 else 1.0


def _default_traces(series: pd.DataFrame, colours: dict[str, str]) -> list[dict]:
    """Per country, the default model as a thin dotted line, for comparison with the reader's."""
    gap = (series["flag"] == "measurement_gap").to_numpy()
    default = np.where(gap, np.nan, floats(series["default_gw"]))
    iso3 = series["iso3"].to_numpy(dtype=object)
    countries = series["country"].to_numpy(dtype=object)
    x = np.array([_axis_date(month) for month in series["month"]], dtype=object)
    traces = []
    for code in sorted(set(iso3)):
        at = iso3 == code
        traces.append(
            {
                "type": "scatter", "x": x[at].tolist(), "y": default[at], "mode": "lines", "name": f"{escape(countries[at][0])} (default model)",
                "legendgroup": f"model-{code}", "line": {"color": colours[code], "width": 1.2, "dash": "dot"},
                "hovertemplate": f"{escape(countries[at][0])}, default model: %{{y:.2f}} GW<extra></extra>",
            }
        )
    return traces


def _model_traces(series: pd.DataFrame, colours: dict[str, str], label: str = "model estimate") -> list[dict]:
    """Per country: the band (low, then high filled down to it) and the estimate line, as one
    legend group. A measurement gap leaves a hole, not CBECI's 0."""
    gap = (series["flag"] == "measurement_gap").to_numpy()
    load, low, high = (np.where(gap, np.nan, floats(series[column])) for column in ("load_gw", "load_gw_low", "load_gw_high"))
    countries = series["country"].to_numpy(dtype=object)
    x = np.array([_axis_date(month) for month in series["month"]], dtype=object)
    in_gap = series["gap_month"].astype(bool).to_numpy() if "gap_month" in series else np.zeros(len(series), dtype=bool)
    hover = np.array(
        [
            _model_hover(escape(country), month, value, lower, upper, share, flag, gap_month, label)
            for country, month, value, lower, upper, share, flag, gap_month in zip(countries, series["month"], load, low, high, floats(series["share_pct"]), series["flag"], in_gap)
        ],
        dtype=object,
    )
    iso3 = series["iso3"].to_numpy(dtype=object)
    traces = []
    for code in sorted(set(iso3)):
        at = iso3 == code
        country, colour, group = escape(countries[at][0]), colours[code], f"model-{code}"
        common = {"type": "scatter", "x": x[at].tolist(), "mode": "lines", "legendgroup": group, "showlegend": False, "hoverinfo": "skip", "line": {"width": 0}}
        traces += [
            {**common, "y": low[at], "name": f"{country} range, low"},
            {**common, "y": high[at], "name": f"{country} range, high", "fill": "tonexty", "fillcolor": rgba(colour, 0.18)},
            {
                "type": "scatter", "x": common["x"], "y": load[at], "mode": "lines", "name": f"{country} ({label})", "legendgroup": group, "showlegend": False,
                "line": {"color": colour, "width": 2.2}, "customdata": hover[at].tolist(), "hovertemplate": "%{customdata}<extra></extra>",
            },
        ]
    return traces


def _model_hover(country: str, month: str, value: float, low: float, high: float, share: float, flag, gap_month: bool, label: str) -> str:
    lines = [f"<b>{country}, {date_label(month)}</b>"]
    if not math.isnan(value):
        lines.append(f"{label.capitalize()}: {value:.2f} GW (range {low:.2f}–{high:.2f})")
    lines.append(f"Share of hashrate: {share:.2f}%")
    if isinstance(flag, str):
        lines.append("⚠ " + _FLAGS.get(flag, escape(flag)))
    elif gap_month:
        lines.append(GAP_HOVER)
    lines.append("Model, not measured" + (": share × CBECI network power" if label == "model estimate" else ": hashrate × efficiency × overhead"))
    return "<br>".join(lines)


def _flagged_traces(series: pd.DataFrame, colours: dict[str, str]) -> list[dict]:
    """Open rings on months whose share CBECI flags as VPN-distorted: the estimate is suspect."""
    flagged = (series["flag"] == "vpn_distorted").to_numpy()
    if not flagged.any():
        return []
    return [
        {
            "type": "scatter",
            "x": [_axis_date(month) for month in series["month"].to_numpy()[flagged]],
            "y": floats(series["load_gw"])[flagged],
            "mode": "markers",
            "name": "⚠ Share flagged (VPN/proxy)",
            "marker": {"symbol": "circle-open", "size": 9, "color": [colours[code] for code in series["iso3"].to_numpy()[flagged]], "line": {"width": 2}},
            "hoverinfo": "skip",
        }
    ]


def _reported_traces(reported: pd.DataFrame, colours: dict[str, str]) -> list[dict]:
    """Reported loads and capacities with their ranges as error bars, one trace per country.

    `select.reported_loads` draws a range-only report at its midpoint (`value_gw`); the raw
    `value` column says whether the source gave a single figure, so the hover can say it did not.
    """
    value, low, high = (floats(reported[column]) for column in ("value_gw", "low_gw", "high_gw"))
    single = ~np.isnan(floats(reported["value"]))
    has_range = ~np.isnan(low) & ~np.isnan(high)
    above = np.where(has_range, high - value, np.nan)
    below = np.where(has_range, value - low, np.nan)
    countries = reported["country"].to_numpy(dtype=object)
    x = np.array([_axis_date(date) for date in reported["date_start"]], dtype=object)
    symbols = np.array([_REPORT_SYMBOLS.get(kind, "circle") for kind in reported["kind"]], dtype=object)
    hover = np.array([_report_hover(*report) for report in zip(named_rows(reported), value, low, high, single)], dtype=object)
    iso3 = reported["iso3"].to_numpy(dtype=object)
    traces = []
    for code in sorted(set(iso3)):
        at = (iso3 == code) & ~np.isnan(value)
        if not at.any():
            continue
        colour = colours[code]
        traces.append(
            {
                "type": "scatter",
                "x": x[at].tolist(),
                "y": value[at],
                "mode": "markers",
                "name": f"{escape(countries[at][0])} (reported)",
                "marker": {"color": colour, "size": 10, "symbol": symbols[at].tolist(), "line": {"color": TEXT_COLOUR, "width": 1}},
                "error_y": {"type": "data", "array": above[at], "arrayminus": below[at], "color": colour, "thickness": 1.5, "width": 5},
                "customdata": hover[at].tolist(),
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    return traces


def _report_hover(row, value: float, low: float, high: float, single: bool) -> str:
    lines = [f"<b>{escape(row.title)}</b>", f"{_REPORT_KINDS.get(row.kind, escape(row.kind))}, {_place(row)}, {_when(row)}"]
    if single:
        lines.append(f"{value:,.2f} GW")
    if not (math.isnan(low) or math.isnan(high)):
        lines.append(f"Range: {low:,.2f}–{high:,.2f} GW" + ("" if single else " (no single figure; drawn at the middle)"))
    lines.append("Confidence: " + escape(str(row.confidence).replace("_", " ")))
    lines.append(sources_text(row.source_ids))
    return "<br>".join(lines)


def _place(row) -> str:
    return escape(row.country + (f" ({row.region})" if isinstance(row.region, str) else ""))


def _when(row) -> str:
    end = row.date_end if isinstance(row.date_end, str) and row.date_end != row.date_start else None
    return date_label(row.date_start) + (f" – {date_label(end)}" if end else "")


def _event_heights(events: pd.DataFrame, top: float, span: pd.Timedelta) -> list[float]:
    """The height of each event's marker, on one of three rows above the data.

    Labels live in the hover (and the legend names the kind): events cluster in the same
    months, so printed labels would overlap. Markers closer than 2.5% of the time axis are
    staggered over the rows so each stays visible and hoverable.
    """
    lane_last: list[pd.Timestamp | None] = [None] * len(_EVENT_ROWS)
    heights = []
    for date in (month_date(value) for value in events["date_start"]):
        free = [lane for lane, last in enumerate(lane_last) if last is None or date - last > span * 0.025]
        lane = free[0] if free else len(heights) % len(_EVENT_ROWS)
        lane_last[lane] = date
        heights.append(top * _EVENT_ROWS[lane])
    return heights


def _event_lines(events: pd.DataFrame, heights: list[float], colours: dict[str, str]) -> list[dict]:
    """A dashed line per event in its country's colour, from the axis up to its marker."""
    return [
        {
            "type": "line", "xref": "x", "yref": "y", "x0": _axis_date(date), "x1": _axis_date(date), "y0": 0, "y1": height,
            "line": {"color": colours[iso3], "width": 1, "dash": "dash"}, "opacity": 0.7,
        }
        for date, height, iso3 in zip(events["date_start"], heights, events["iso3"])
    ]


def _event_traces(events: pd.DataFrame, heights: list[float]) -> list[dict]:
    """One marker trace per event kind, its shape the kind's symbol."""
    kinds = events["kind"].to_numpy(dtype=object)
    x = np.array([_axis_date(date) for date in events["date_start"]], dtype=object)
    y = np.array(heights, dtype=float)
    hover = np.array([_event_hover(event) for event in named_rows(events)], dtype=object)
    traces = []
    for kind in [kind for kind in EVENT_SYMBOLS if kind in set(kinds)] + sorted(set(kinds) - set(EVENT_SYMBOLS)):
        at = kinds == kind
        traces.append(
            {
                "type": "scatter",
                "x": x[at].tolist(),
                "y": y[at],
                "mode": "markers",
                "name": f"Grid event: {kind.replace('_', '-')}",
                "marker": {"symbol": EVENT_SYMBOLS.get(kind, "circle"), "size": 11, "color": _EVENT_COLOUR, "line": {"color": _EVENT_COLOUR, "width": 1.5}},
                "customdata": hover[at].tolist(),
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    return traces


def _event_hover(event) -> str:
    lines = [f"<b>{escape(event.title)}</b>", f"{event.kind.replace('_', '-').capitalize()}, {_place(event)}, {_when(event)}"]
    if isinstance(event.description, str):
        lines.append(wrap(event.description))
    lines.append(sources_text(event.source_ids))
    return "<br>".join(lines)
