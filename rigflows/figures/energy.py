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
    figure_from_dicts,
    escape,
    filters_text,
    floats,
    rgba,
    sources_text,
    themed_layout,
    wrap,
)
from rigflows.models import METHOD_NOTE, VERSION_LABELS, describe_assumptions
from rigflows.rows import named_rows
from rigflows.state import ViewState

#: Marker shape per grid event kind (colour is taken by the country's dashed line).
EVENT_SYMBOLS = {"rationing": "triangle-down", "cut_off": "x", "blackout": "star", "cap": "square", "permit": "diamond"}
_EVENT_COLOUR = "#333333"
#: The load axis's top, as a multiple of the highest value drawn (room for nudged line labels).
_AXIS_TOP = 1.25
#: Grid events sit in a strip of their own above the load panel, one row per marker that would
#: otherwise touch its neighbour, so markers never cover lines, labels or each other, and the
#: "Selected" label above the strip never covers a marker. Rows are spaced for the narrowest
#: plot each layout is drawn at: the wide one from a 900 px chart less its legend, the narrow
#: one down to a 360 px phone (wider plots only spread the markers further apart).
_WIDE_MIN_PLOT_PX = 560
_NARROW_MIN_PLOT_PX = 250
#: Centre-to-centre room (px) a marker needs from the next one in its row, and a row's height.
_MARKER_ROOM_PX = 16
_ROW_PX = 18
#: The load panel's height (px, about what the wide and narrow layouts give it) and the gap
#: above it: the strip's rows are added to the figure's height, so the panel keeps its size.
_PANEL_PX = 220
_STRIP_GAP_PX = 12
_REPORT_SYMBOLS = {"mining_load": "diamond", "capacity": "square"}
_REPORT_KINDS = {"mining_load": "Reported mining load", "capacity": "Reported capacity"}
_FLAGS = {
    "vpn_distorted": "Share flagged: likely inflated by VPN/proxy use",
    "measurement_gap": "CBECI shows 0% (measurement gap), so no estimate",
}


def build_energy_figure(series: pd.DataFrame, reported: pd.DataFrame, events: pd.DataFrame, state: ViewState, **options) -> go.Figure:
    """`energy_dict` as a go.Figure."""
    figure = energy_dict(series, reported, events, state, **options)
    return figure_from_dicts(figure["data"], figure["layout"])


def energy_dict(
    series: pd.DataFrame,
    reported: pd.DataFrame,
    events: pd.DataFrame,
    state: ViewState,
    *,
    colour_order: list[str] | None = None,
    source_line: str = SOURCE_LINE,
    method: str = METHOD_NOTE,
    marked_months: list[str] | None = None,
) -> dict:
    """The energy chart as plain figure JSON (the server's path: plotly's objects would copy
    and walk it twice for nothing). Lines and ranges from `select.energy_series`, markers from `select.reported_loads`,
    event marks from `select.grid_events`, and a line at `state.month`. `method` is the
    method text with the data's figures (`select.method_text`), shown on the note's hover.

    `marked_months` (months inside the span the chart draws) each get a month mark, hidden
    but the selected month's (`month_marks`), so another month is shown without a redraw.

    `colour_order` lists every country the chart may ever show, so a country keeps its colour
    whatever else is selected; without it colours follow the countries in this figure.

    The frames are small, so each trace is cut from whole columns with numpy masks: pandas'
    groupby and row filters cost far more than the drawing here.
    """
    colours = country_colours(series, reported, events, order=colour_order)
    top = _top(series, reported)
    dates = [*drawn_dates(series, reported, events), month_date(state.month)]
    ends = _line_ends(series, colours, top * _AXIS_TOP)
    wide_range = _padded_range(dates)
    narrow_range = _room_for_labels(dates, [month_date(end["month"]) for end in ends])
    event_dates = [month_date(value) for value in events["date_start"]]
    wide_rows, narrow_rows = _event_rows(event_dates, wide_range, _WIDE_MIN_PLOT_PX), _event_rows(event_dates, narrow_range, _NARROW_MIN_PLOT_PX)
    wide_strip, narrow_strip = _strip(wide_rows), _strip(narrow_rows)
    own = not state.is_default_model
    traces = [
        *_model_traces(series, colours, "your assumptions" if own else "model estimate"),
        *(_default_traces(series, colours) if own else []),
        *_flagged_traces(series, colours),
        *_reported_traces(reported, colours),
    ]
    first_event = len(traces)
    traces += _event_traces(events, wide_rows)

    lines, wide_labels, narrow_labels = month_marks(marked_months or [state.month], state.month, wide_range, narrow_range)
    gap_shading, gap_labels = _gap_marks(series)
    layout = {
        "shapes": [*gap_shading, *_event_lines(events, wide_rows, wide_strip, colours), *lines],
        "annotations": [*gap_labels, *wide_labels],
        "xaxis": {"title": {"text": "Month"}, "type": "date", "tickformat": "%b %Y", "automargin": True, "range": [wide_range[0].isoformat(), wide_range[1].isoformat()]},
        "yaxis": {"title": {"text": "Power (GW)"}, "range": [0, top * _AXIS_TOP], "tickformat": ",", "automargin": True, "domain": wide_strip["panel"]},
        **({"yaxis2": _strip_axis(wide_strip)} if wide_rows else {}),
        "legend": {"font": {"size": 12}, "tracegroupgap": 4},
        "hovermode": "closest",
    }
    clipped = bool(np.nanmax(floats(series["load_gw_high"]), initial=0) > top * _AXIS_TOP)
    band = "Band: fleet efficiency from the best machine CCAF lists by then to a fleet of S9-era machines" + (" (wider than shown; see hover)" if clipped else "")
    assumptions = f"{escape(describe_assumptions(state.efficiency, state.pue, state.shares))} Dotted: the default model.<br>" if own else ""
    note = (
        f"Model: share of hashrate × CBECI network power; not measured. {band}.<br>"
        f"{escape(version_note(series))}.<br>{assumptions}"
        "Grid events: the markers in the top strip, with dashed lines down to their dates (hover for details). Hover this note for the method.",
        wrap(method, 90),
    )
    layout["annotations"] = [*layout["annotations"], *_end_labels(ends, _PLOT_PX)]
    narrow_layout = {
        "showlegend": False,
        "xaxis": {"range": [narrow_range[0].isoformat(), narrow_range[1].isoformat()]},
        "yaxis": {"domain": narrow_strip["panel"]},
        **({"yaxis2": _strip_axis(narrow_strip)} if narrow_rows else {}),
        "shapes": [*gap_shading, *_event_lines(events, narrow_rows, narrow_strip, colours), *lines],
    }
    narrow_data = {first_event + index: {"y": y} for index, y in enumerate(_event_rows_by_kind(events, narrow_rows))}
    layout = themed_layout(
        layout,
        "Bitcoin mining load: model estimate vs reported figures (GW)",
        subtitle=filters_text(state),
        height=ENERGY_HEIGHT + wide_strip["px"],
        footer=[note],
        footer_wrap=FOOTER_WRAP - 12,
        axis_space=56,
        source_line=source_line,
        narrow={
            "below": MEDIUM_BELOW,  # the legend would leave a tablet too narrow a plot
            "height": NARROW_ENERGY_HEIGHT + narrow_strip["px"],
            "footer_wrap": NARROW_FOOTER_WRAP - 9,  # the footer starts at the plot area, right of the y axis
            "layout": narrow_layout,
            "data": narrow_data,
            "annotations": [*gap_labels, *narrow_labels, *_end_labels(ends, _NARROW_PLOT_PX, two_lines=True)],
            "footer": [line for line in (_symbol_key(reported, events), note) if line],
        },
    )
    # How the page tells the month marks from the other shapes and labels (assets/views.js, showMark).
    layout["meta"]["mark_prefix"] = MARK_PREFIX
    return {"data": traces, "layout": layout}


def drawn_dates(series: pd.DataFrame, reported: pd.DataFrame, events: pd.DataFrame) -> list[pd.Timestamp]:
    """The dates the chart draws besides its selected month: with it, they set the time span."""
    return [month_date(value) for value in [*series["month"], *reported["date_start"], *events["date_start"]]]


#: The name of a month mark's line and labels: "month-mark 2021-08".
MARK_PREFIX = "month-mark "


def month_marks(months: list[str], shown: str | None, wide_range: tuple[pd.Timestamp, pd.Timestamp], narrow_range: tuple[pd.Timestamp, pd.Timestamp]) -> tuple[list[dict], list[dict], list[dict]]:
    """A line and a label (one for each time axis, wide and narrow) at each of `months`, all
    hidden but `shown`'s (`show_mark`). Plotly.js redraws a change of opacity on its own, where
    a moved line replots the whole chart: the page shows another month in a few ms
    (assets/widths.js)."""
    lines, wide, narrow = [], [], []
    for month in months:
        at, name = _axis_date(month), MARK_PREFIX + month
        lines.append({"type": "line", "name": name, "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1, "line": {"color": TEXT_COLOUR, "width": 1.5}})
        wide.append({**_selected_label(month, wide_range), "name": name})
        narrow.append({**_selected_label(month, narrow_range), "name": name})
    shown_name = None if shown is None else MARK_PREFIX + shown
    return tuple([{**item, "opacity": 1 if item["name"] == shown_name else 0} for item in items] for items in (lines, wide, narrow))


def show_mark(figure: dict, month: str | None) -> dict:
    """`figure` (plain JSON) with `month`'s mark shown and every other month mark hidden (None:
    all hidden), in its wide layout and each width variant's; what assets/views.js does."""
    name = None if month is None else MARK_PREFIX + month

    def shown(layout: dict) -> dict:
        return {
            **layout,
            **{
                part: [{**item, "opacity": 1 if item["name"] == name else 0} if str(item.get("name", "")).startswith(MARK_PREFIX) else item for item in layout[part]]
                for part in ("shapes", "annotations")
                if part in layout
            },
        }

    layout = shown(figure["layout"])
    if "variants" in layout.get("meta", {}):
        layout["meta"] = {**layout["meta"], "variants": [{**variant, "layout": shown(variant["layout"])} for variant in layout["meta"]["variants"]]}
    return {**figure, "layout": layout}


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


def _room_for_labels(dates: list[pd.Timestamp], line_ends: list[pd.Timestamp]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A narrow chart's x range: the data, and room right of the last line end for its label
    (a third of the chart's width)."""
    first, last = min(dates), max(dates)
    end = max([last, *(line_end + (line_end - first) * 0.5 for line_end in line_ends)])
    return first, end


def _padded_range(dates: list[pd.Timestamp]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The wide chart's x range: the data with a margin, so markers at either end show whole
    (and the event rows, spaced in pixels, know where each date lands)."""
    first, last = min(dates), max(dates)
    margin = max(last - first, pd.Timedelta(days=60)) * 0.03
    return first - margin, last + margin


def _event_rows(dates: list[pd.Timestamp], x_range: tuple[pd.Timestamp, pd.Timestamp], plot_px: int) -> list[int]:
    """Each event's row in the strip (0 at the bottom): in date order, the lowest row whose last
    marker is at least `_MARKER_ROOM_PX` to its left on a plot `plot_px` wide, else a new row."""
    px_per_day = plot_px / max((x_range[1] - x_range[0]) / pd.Timedelta(days=1), 1)
    last_in_row: list[float] = []
    rows = [0] * len(dates)
    for index in sorted(range(len(dates)), key=lambda position: dates[position]):
        at = (dates[index] - x_range[0]) / pd.Timedelta(days=1) * px_per_day
        free = [row for row, last in enumerate(last_in_row) if at - last >= _MARKER_ROOM_PX]
        row = free[0] if free else len(last_in_row)
        if row == len(last_in_row):
            last_in_row.append(at)
        last_in_row[row] = at
        rows[index] = row
    return rows


def _strip(rows: list[int]) -> dict:
    """The plot's split for `rows`: the load panel's and the strip's domains (fractions of the
    plot's height), the strip's row count and the pixels it adds to the figure."""
    count = max(rows) + 1 if rows else 0
    if not count:
        return {"panel": [0, 1], "strip": None, "rows": 0, "px": 0}
    strip_px = count * _ROW_PX
    total = _PANEL_PX + _STRIP_GAP_PX + strip_px
    return {"panel": [0, _PANEL_PX / total], "strip": [(_PANEL_PX + _STRIP_GAP_PX) / total, 1], "rows": count, "px": _STRIP_GAP_PX + strip_px}


def _strip_axis(strip: dict) -> dict:
    """The strip's own y axis: one unit per row, no ticks, titled so the rows read as events."""
    return {
        "domain": strip["strip"], "range": [-0.5, strip["rows"] - 0.5], "anchor": "x", "showgrid": False, "zeroline": False,
        "showticklabels": False, "fixedrange": True, "title": {"text": "Events", "font": {"size": 11}}, "automargin": True,
    }


def _selected_label(month: str, x_range: tuple[pd.Timestamp, pd.Timestamp]) -> dict:
    """'Selected: Jan 2022' above the plot, where no event marker is (they stay in their strip),
    on the side of the line with room: to its left in the last third of the axis."""
    at = month_date(month)
    late = (at - x_range[0]) > (x_range[1] - x_range[0]) * 0.66
    return {
        "text": f"Selected: {date_label(month)}", "xref": "x", "yref": "paper", "x": _axis_date(month), "y": 1, "xanchor": "right" if late else "left", "yanchor": "bottom",
        "xshift": -3 if late else 3, "showarrow": False, "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.8)",
    }


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
    """A grey band over each run of measurement-gap months, labelled up its left edge (short
    enough to stay in the load panel; the hover says what the gap does)."""
    shapes, labels = [], []
    for first, last in gap_spans(series):
        start, end = pd.Period(first).start_time.isoformat(), (pd.Period(last) + 1).start_time.isoformat()
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": start, "x1": end, "y0": 0, "y1": 1, "fillcolor": "rgba(0,0,0,0.08)", "line": {"width": 0}, "layer": "below"})
        labels.append(
            {
                "text": f"⚠ {GAP_LABEL}", "xref": "x", "yref": "paper", "x": start, "y": 0, "xanchor": "right", "yanchor": "bottom",
                "textangle": -90, "showarrow": False, "font": {"size": 10}, "hovertext": GAP_HOVER,
            }
        )
    return shapes, labels


def version_note(series: pd.DataFrame) -> str:
    """Which CBECI model version each stretch of months follows, e.g. 'Network power: CBECI 2023
    revision, Jan 2021 – Jan 2022; CBECI v1 (pre-2023 model), Sep 2019 – Dec 2020'."""
    if "version_drawn" not in series or series.empty:
        return "Network power: CBECI v1 (pre-2023 model)"
    spans: dict[str, tuple[str, str]] = {}  # version → (first month, last month): a groupby took ~4 ms
    for version, month in zip(series["version_drawn"], series["month"]):
        if isinstance(version, str):
            first, last = spans.get(version, (month, month))
            spans[version] = (min(first, month), max(last, month))
    parts = [f"{VERSION_LABELS.get(version, version)}, {date_label(first)} – {date_label(last)}" for version, (first, last) in sorted(spans.items(), key=lambda item: item[1][0], reverse=True)]
    return "Network power: " + "; ".join(parts)


def country_colours(*frames: pd.DataFrame, order: list[str] | None = None) -> dict[str, str]:
    """One Okabe-Ito colour per country, shared by its line, markers and events: by position
    in `order` when given (stable across views), else by ISO-3 order of the countries drawn."""
    drawn = sorted(set().union(*(set(frame["iso3"]) for frame in frames)))
    codes = list(order) + [code for code in drawn if code not in order] if order else drawn
    return {code: CATEGORY_COLOURS[position % len(CATEGORY_COLOURS)] for position, code in enumerate(codes) if code in drawn}


@lru_cache(maxsize=4096)  # the same few dozen months, a few hundred times a chart
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
    lines.append(sources_text(row.source_names))
    return "<br>".join(lines)


def _place(row) -> str:
    return escape(row.country + (f" ({row.region})" if isinstance(row.region, str) else ""))


def _when(row) -> str:
    end = row.date_end if isinstance(row.date_end, str) and row.date_end != row.date_start else None
    return date_label(row.date_start) + (f" – {date_label(end)}" if end else "")


def _event_lines(events: pd.DataFrame, rows: list[int], strip: dict, colours: dict[str, str]) -> list[dict]:
    """A dashed line per event in its country's colour, from the axis up to its marker's row."""
    if not rows:
        return []
    bottom, top = strip["strip"]
    return [
        {
            "type": "line", "xref": "x", "yref": "paper", "x0": _axis_date(date), "x1": _axis_date(date), "y0": 0, "y1": bottom + (top - bottom) * (row + 0.5) / strip["rows"],
            "line": {"color": colours[iso3], "width": 1, "dash": "dash"}, "opacity": 0.7, "layer": "below",
        }
        for date, row, iso3 in zip(events["date_start"], rows, events["iso3"])
    ]


def _event_kinds(events: pd.DataFrame) -> list[str]:
    """The kinds of `events`, in the order of their traces: `EVENT_SYMBOLS`'s, then any other."""
    kinds = set(events["kind"])
    return [kind for kind in EVENT_SYMBOLS if kind in kinds] + sorted(kinds - set(EVENT_SYMBOLS))


def _event_rows_by_kind(events: pd.DataFrame, rows: list[int]) -> list[np.ndarray]:
    """Each event trace's rows in the strip (`_event_traces`' y): a width variant moves only these."""
    kinds, y = events["kind"].to_numpy(dtype=object), np.array(rows, dtype=float)
    return [y[kinds == kind] for kind in _event_kinds(events)]


def _event_traces(events: pd.DataFrame, rows: list[int]) -> list[dict]:
    """One marker trace per event kind, its shape the kind's symbol, in the events' strip."""
    kinds = events["kind"].to_numpy(dtype=object)
    x = np.array([_axis_date(date) for date in events["date_start"]], dtype=object)
    y = np.array(rows, dtype=float)
    hover = np.array([_event_hover(event) for event in named_rows(events)], dtype=object)
    traces = []
    for kind in _event_kinds(events):
        at = kinds == kind
        traces.append(
            {
                "type": "scatter",
                "x": x[at].tolist(),
                "y": y[at],
                "mode": "markers",
                "yaxis": "y2",
                "cliponaxis": False,
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
    lines.append(sources_text(event.source_names))
    return "<br>".join(lines)
