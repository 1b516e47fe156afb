"""The energy chart: modelled mining load per country over time, against reported loads and grid events.

The model line is drawn with its range so it is never read as a measurement; reported figures
sit on the same axis (GW) so a reader can see where the model and the grid operators disagree.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rigflows.figures.style import (
    CATEGORY_COLOURS,
    ENERGY_HEIGHT,
    TEXT_COLOUR,
    date_label,
    escape,
    filters_text,
    floats,
    rgba,
    sources_text,
    themed,
    wrap,
)
from rigflows.models import METHOD_NOTE
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


def build_energy_figure(series: pd.DataFrame, reported: pd.DataFrame, events: pd.DataFrame, state: ViewState) -> go.Figure:
    """Lines and ranges from `select.energy_series`, markers from `select.reported_loads`,
    event marks from `select.grid_events`, and a line at `state.month`.
    """
    colours = country_colours(series, reported, events)
    figure = go.Figure()
    for iso3, rows in series.groupby("iso3", sort=True):
        _add_model(figure, rows, colours[iso3])
    _add_flagged(figure, series, colours)
    for iso3, rows in reported.groupby("iso3", sort=True):
        _add_reported(figure, rows, colours[iso3])

    top = _top(series, reported)
    dates = [month_date(value) for value in [*series["month"], *reported["date_start"], *events["date_start"], state.month]]
    _add_events(figure, events, colours, top, max(dates) - min(dates))
    selected = month_date(state.month)
    figure.add_shape(type="line", xref="x", yref="paper", x0=selected, x1=selected, y0=0, y1=1, line={"color": TEXT_COLOUR, "width": 1.5})
    figure.add_annotation(
        text=f"Selected: {date_label(state.month)}", xref="x", yref="paper", x=selected, y=1, xanchor="left", yanchor="bottom",
        xshift=3, showarrow=False, font={"size": 11}, bgcolor="rgba(255,255,255,0.8)",
    )
    figure.update_layout(
        xaxis={"title": {"text": "Month"}, "type": "date", "tickformat": "%b %Y", "automargin": True},
        yaxis={"title": {"text": "Power (GW)"}, "range": [0, top * _AXIS_TOP], "tickformat": ",", "automargin": True},
        legend={"font": {"size": 12}, "tracegroupgap": 4},
        hovermode="closest",
    )
    clipped = bool(np.nanmax(floats(series["load_gw_high"]), initial=0) > top * _AXIS_TOP)
    band = "Band: CBECI lower–upper bound" + (" (wider than shown; see hover)" if clipped else "")
    note = (
        f"Model: share of hashrate × CBECI network power; not measured. {band}.<br>"
        "Dashed lines: grid events (hover for details). Hover this note for the method.",
        wrap(METHOD_NOTE, 90),
    )
    return themed(
        figure,
        "Bitcoin mining load: model estimate vs reported figures (GW)",
        subtitle=filters_text(state),
        height=ENERGY_HEIGHT,
        footer=[note],
        axis_space=56,
    )


def country_colours(*frames: pd.DataFrame) -> dict[str, str]:
    """One Okabe-Ito colour per country, by ISO-3 order, shared by its line, markers and events."""
    codes = sorted(set().union(*(set(frame["iso3"]) for frame in frames)))
    return {code: CATEGORY_COLOURS[position % len(CATEGORY_COLOURS)] for position, code in enumerate(codes)}


def month_date(value: str) -> pd.Timestamp:
    """A month ('2021-08') as its middle (the CBECI values are monthly means); a day as itself."""
    return pd.Timestamp(f"{value}-15") if len(value) == 7 else pd.Timestamp(value)


def _top(series: pd.DataFrame, reported: pd.DataFrame) -> float:
    """Highest estimate or reported figure: the axis is scaled to these, not to CBECI's upper
    bound, which can be several times the estimate and would flatten every line."""
    values = np.concatenate([floats(series["load_gw"]), floats(reported["value_gw"]), floats(reported["high_gw"])])
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size and values.max() > 0 else 1.0


def _add_model(figure: go.Figure, rows: pd.DataFrame, colour: str) -> None:
    """Band (low, then high filled down to it) and the estimate line, as one legend group."""
    country = escape(rows["country"].iloc[0])
    gap = (rows["flag"] == "measurement_gap").to_numpy()
    x = [month_date(month) for month in rows["month"]]
    load, low, high = (np.where(gap, np.nan, floats(rows[column])) for column in ("load_gw", "load_gw_low", "load_gw_high"))
    group = f"model-{rows['iso3'].iloc[0]}"
    common = {"x": x, "mode": "lines", "legendgroup": group, "showlegend": False, "hoverinfo": "skip", "line": {"width": 0}}
    figure.add_trace(go.Scatter(y=low, name=f"{country} range, low", **common))
    figure.add_trace(go.Scatter(y=high, name=f"{country} range, high", fill="tonexty", fillcolor=rgba(colour, 0.18), **common))
    hover = [
        _model_hover(country, month, value, lower, upper, share, flag)
        for month, value, lower, upper, share, flag in zip(rows["month"], load, low, high, floats(rows["share_pct"]), rows["flag"])
    ]
    figure.add_trace(
        go.Scatter(
            x=x, y=load, mode="lines", name=f"{country} (model estimate)", legendgroup=group,
            line={"color": colour, "width": 2.2}, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        )
    )


def _model_hover(country: str, month: str, value: float, low: float, high: float, share: float, flag) -> str:
    lines = [f"<b>{country}, {date_label(month)}</b>"]
    if not math.isnan(value):
        lines.append(f"Model estimate: {value:.2f} GW (range {low:.2f}–{high:.2f})")
    lines.append(f"Share of hashrate: {share:.2f}%")
    if isinstance(flag, str):
        lines.append("⚠ " + _FLAGS.get(flag, escape(flag)))
    lines.append("Model, not measured: share × CBECI network power")
    return "<br>".join(lines)


def _add_flagged(figure: go.Figure, series: pd.DataFrame, colours: dict[str, str]) -> None:
    """Open rings on months whose share CBECI flags as VPN-distorted: the estimate is suspect."""
    rows = series[series["flag"] == "vpn_distorted"]
    if rows.empty:
        return
    figure.add_trace(
        go.Scatter(
            x=[month_date(month) for month in rows["month"]],
            y=floats(rows["load_gw"]),
            mode="markers",
            name="⚠ Share flagged (VPN/proxy)",
            marker={"symbol": "circle-open", "size": 9, "color": [colours[code] for code in rows["iso3"]], "line": {"width": 2}},
            hoverinfo="skip",
        )
    )


def _add_reported(figure: go.Figure, rows: pd.DataFrame, colour: str) -> None:
    """Reported loads and capacities with their ranges as error bars.

    `select.reported_loads` draws a range-only report at its midpoint (`value_gw`); the raw
    `value` column says whether the source gave a single figure, so the hover can say it did not.
    """
    value, low, high = (floats(rows[column]) for column in ("value_gw", "low_gw", "high_gw"))
    single = ~np.isnan(floats(rows["value"]))
    keep = ~np.isnan(value)
    if not keep.any():
        return
    rows, value, low, high, single = rows[keep], value[keep], low[keep], high[keep], single[keep]
    has_range = ~np.isnan(low) & ~np.isnan(high)
    figure.add_trace(
        go.Scatter(
            x=[month_date(date) for date in rows["date_start"]],
            y=value,
            mode="markers",
            name=f"{escape(rows['country'].iloc[0])} (reported)",
            marker={"color": colour, "size": 10, "symbol": [_REPORT_SYMBOLS.get(kind, "circle") for kind in rows["kind"]], "line": {"color": TEXT_COLOUR, "width": 1}},
            error_y={"type": "data", "array": np.where(has_range, high - value, np.nan), "arrayminus": np.where(has_range, value - low, np.nan), "color": colour, "thickness": 1.5, "width": 5},
            customdata=[_report_hover(*args) for args in zip(rows.itertuples(), value, low, high, single)],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )


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


def _add_events(figure: go.Figure, events: pd.DataFrame, colours: dict[str, str], top: float, span: pd.Timedelta) -> None:
    """A dashed line per event in its country's colour, up to a marker whose shape is its kind.

    Labels live in the hover (and the legend names the kind): events cluster in the same
    months, so printed labels would overlap. Markers closer than 2.5% of the time axis are
    staggered over three rows above the data so each stays visible and hoverable.
    """
    when = [month_date(date) for date in events["date_start"]]
    lane_last: list[pd.Timestamp | None] = [None] * len(_EVENT_ROWS)
    heights = []
    for date in when:
        free = [lane for lane, last in enumerate(lane_last) if last is None or date - last > span * 0.025]
        lane = free[0] if free else len(heights) % len(_EVENT_ROWS)
        lane_last[lane] = date
        heights.append(top * _EVENT_ROWS[lane])
    events = events.assign(x=when, y=heights)
    for event in events.itertuples():
        figure.add_shape(
            type="line", xref="x", yref="y", x0=event.x, x1=event.x, y0=0, y1=event.y,
            line={"color": colours[event.iso3], "width": 1, "dash": "dash"}, opacity=0.7,
        )
    kinds = [kind for kind in EVENT_SYMBOLS if kind in set(events["kind"])] + sorted(set(events["kind"]) - set(EVENT_SYMBOLS))
    for kind in kinds:
        rows = events[events["kind"] == kind]
        figure.add_trace(
            go.Scatter(
                x=rows["x"],
                y=rows["y"],
                mode="markers",
                name=f"Grid event: {kind.replace('_', '-')}",
                marker={"symbol": EVENT_SYMBOLS.get(kind, "circle"), "size": 11, "color": _EVENT_COLOUR, "line": {"color": _EVENT_COLOUR, "width": 1.5}},
                customdata=[_event_hover(event) for event in rows.itertuples()],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )


def _event_hover(event) -> str:
    lines = [f"<b>{escape(event.title)}</b>", f"{event.kind.replace('_', '-').capitalize()}, {_place(event)}, {_when(event)}"]
    if isinstance(event.description, str):
        lines.append(wrap(event.description))
    lines.append(sources_text(event.source_ids))
    return "<br>".join(lines)
