"""The destination map: one metric per country, flagged and count-less countries marked, farms on top.

A country with no row is simply not drawn, so it shows as grey land and reads "no data":
drawing it as 0 would claim a measurement nobody made. For the same reason a flagged zero
(CBECI's post-ban China gap) is not coloured as zero but drawn like a count-less country.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rigflows.figures.style import (
    FLAG_OUTLINE,
    MAP_HEIGHT,
    MEDIUM_MAP_HEIGHT,
    NARROW_MAP_HEIGHT,
    NEUTRAL_GREY,
    NO_DATA_GREY,
    OKABE_ITO,
    SEQUENTIAL,
    SOURCE_LINE,
    date_label,
    escape,
    filters_text,
    floats,
    legend_key,
    named_rows,
    figure_from_dicts,
    sources_text,
    themed_layout,
    wrap,
)
from rigflows.state import METRICS, ViewState

#: Per metric: colour bar title, and how one value reads in a hover.
_UNITS = {
    "machines": ("Machines", lambda value: f"{value:,.0f} machines"),
    "share": ("% of global<br>hashrate", lambda value: f"{value:.2f}% of global hashrate"),
    "load": ("GW (model)", lambda value: f"{value:.2f} GW"),
    "strain": ("% of national<br>demand (model)", lambda value: f"{value:.2f}% of national demand"),
}
_STATUS = {
    "reported": "Reported",
    "estimate": "Model estimate, not measured",
    "flagged": "⚠ Flagged: see note below",
    "no count": "Reported destination, count not reported",
    "plan only": "Only plans or requests reported (not counted as received)",
    "not received": "Only orders of new machines or machines in transit (not counted as received)",
}
_FARM_COLOUR = OKABE_ITO["vermillion"]
#: Largest farm marker diameter (px) and the fixed size of a farm with unknown capacity.
_FARM_MAX_PX = 34
_FARM_UNKNOWN_PX = 7
_PRECISION = {"site": "at the site", "city_centroid": "city centre, not the site"}
#: How the map draws land: countries in white outline on "no data" grey, nothing else.
_GEO_STYLE = {
    "fitbounds": False,
    "showcountries": True,
    "countrycolor": "white",
    "countrywidth": 0.5,
    "showland": True,
    "landcolor": NO_DATA_GREY,
    "showcoastlines": False,
    "showframe": False,
    "showlakes": False,
    "bgcolor": "white",
}
#: The world, for a map with nothing to fit: Antarctica and the far south left out.
WORLD = (-180.0, 180.0, -57.0, 84.0)
#: Room around the drawn countries (a share of their span), the least span a view shows
#: (degrees: a small country is shown with its neighbours), and the latitudes a view keeps to.
_VIEW_PAD = 0.06
_MIN_LON_SPAN = 36.0
_MIN_LAT_SPAN = 20.0
_LAT_LIMITS = (-60.0, 85.0)


def geo_view(extent: tuple[float, float, float, float] | None) -> dict:
    """The map's geo layout for `extent` (lon0, lon1, lat0, lat1: `geo.CountryGeometry.extent` of
    what it draws), padded, never narrower than a region, centred on it.

    plotly's own `fitbounds` fits the drawn outlines, which cross the date line for Russia or
    Alaska and centre the map on the Pacific, cutting the lines from China in two; the extent
    here never crosses it, so the view spans the Atlantic like the lines.
    """
    lon0, lon1, lat0, lat1 = extent or WORLD
    lon_pad = max((lon1 - lon0) * _VIEW_PAD, (_MIN_LON_SPAN - (lon1 - lon0)) / 2, 0)
    lat_pad = max((lat1 - lat0) * _VIEW_PAD, (_MIN_LAT_SPAN - (lat1 - lat0)) / 2, 0)
    lon0, lon1 = max(lon0 - lon_pad, -180.0), min(lon1 + lon_pad, 180.0)
    lat0, lat1 = max(lat0 - lat_pad, _LAT_LIMITS[0]), min(lat1 + lat_pad, _LAT_LIMITS[1])
    lon0, lon1, lat0, lat1 = (round(value, 2) for value in (lon0, lon1, lat0, lat1))
    centre = {"lon": round((lon0 + lon1) / 2, 2), "lat": round((lat0 + lat1) / 2, 2)}
    return {
        **_GEO_STYLE,
        "projection": {"type": "natural earth", "rotation": {"lon": centre["lon"]}},
        "center": centre,
        "lonaxis": {"range": [lon0, lon1]},
        "lataxis": {"range": [lat0, lat1]},
    }


#: A country as the map draws it: its `select.map_rows` row with plain floats, whether its value
#: is coloured (`valued`) and its hover.
MapCountry = namedtuple("MapCountry", "iso3 country value low high status valued hover source_ids")


def map_countries(map_rows: pd.DataFrame, metric: str) -> list[MapCountry]:
    """`select.map_rows` as the map draws them: parsed once, so a month of a filter is drawn
    from plain tuples (rigflows.render keeps them per dataset and month for every filter)."""
    rows = map_rows.assign(value=floats(map_rows["value"]), low=floats(map_rows["low"]), high=floats(map_rows["high"]))
    countries = []
    for row in named_rows(rows):
        # A flagged zero is CBECI's measurement gap, not a real zero: no colour from the scale.
        valued = not math.isnan(row.value) and not (row.status == "flagged" and row.value == 0)
        countries.append(MapCountry(row.iso3, row.country, row.value, row.low, row.high, row.status, valued, _hover(row, metric, valued), row.source_ids))
    return countries


@dataclass(frozen=True)
class MapOverlay:
    """What a map draws over its countries in every month of a filter: flow lines, farms, and
    the geo view. Built once per filter and metric, shared by the figure of each month."""

    traces: list[dict]
    dashed_lines: bool
    geo: dict


def map_overlay(farms: pd.DataFrame | None, lines: pd.DataFrame | None = None, extent: tuple[float, float, float, float] | None = None) -> MapOverlay:
    """`select.flow_lines` (China → country, widths in machines) and `select.farm_markers`
    (None or empty when the overlay is off) as traces, and the view of `extent` (`geo_view`)."""
    traces = []
    if lines is not None and not lines.empty:
        traces += _flow_line_traces(lines)
    if farms is not None and not farms.empty:
        traces += _farm_traces(farms)
    dashed = lines is not None and "layer" in lines and bool((lines["layer"] == "not received").any())
    return MapOverlay(traces, dashed, geo_view(extent))


def build_choropleth_figure(
    map_rows: pd.DataFrame,
    farms: pd.DataFrame | None,
    state: ViewState,
    *,
    period: str = "",
    lines: pd.DataFrame | None = None,
    source_line: str = SOURCE_LINE,
    extent: tuple[float, float, float, float] | None = None,
) -> go.Figure:
    """Choropleth of `select.map_rows` for `state.metric`, with `select.farm_markers` on top.

    `farms` is None (or empty) when the farm overlay is off. `period` names the span the
    machine counts cover ('to Nov 2021', see `style.period_label`); it is used only for the
    "machines" metric, which has no month. `lines` (`select.flow_lines`) draws China → country
    lines with widths in machines. `extent` is the view (`geo_view`): the world when None.
    """
    figure = choropleth_dict(map_countries(map_rows, state.metric), map_overlay(farms, lines, extent), state, period=period, source_line=source_line)
    return figure_from_dicts(figure["data"], figure["layout"])


def choropleth_dict(countries: list[MapCountry], overlay: MapOverlay, state: ViewState, *, period: str = "", source_line: str = SOURCE_LINE) -> dict:
    """The map of `countries` (`map_countries`) under `overlay`, as plain figure JSON: what a
    month changes is built here, what it shares (the overlay's traces and view) is reused."""
    valued = [country for country in countries if country.valued]
    unvalued = [country for country in countries if not country.valued]
    flagged = [country for country in countries if country.status == "flagged"]
    traces = [*_value_traces(valued, state.metric), *_neutral_traces(unvalued), *_flag_traces(flagged), *overlay.traces]

    when = period if state.metric == "machines" else date_label(state.month) if state.month else ""
    key = [legend_key([(NO_DATA_GREY, "Light grey: no data (not zero)")] + ([(NEUTRAL_GREY, "Mid grey: reported, no number")] if unvalued else []))]
    if overlay.dashed_lines:
        key.append(legend_key([(OKABE_ITO["orange"], "Dashed: orders of new machines and machines in transit, not received (see hover)")]))
    if flagged:
        key.append("<b>⚠</b> and thick outline: flagged value (VPN/proxy distortion or measurement gap; see hover)")
    layout = {
        "geo": overlay.geo,
        "legend": _LEGEND,
        "uirevision": "map",  # keep the reader's pan and zoom while the month plays
    }
    layout = themed_layout(
        layout,
        escape(", ".join(part for part in (METRICS[state.metric], when) if part)),
        subtitle=filters_text(state),
        height=MAP_HEIGHT,
        footer=key,
        axis_space=_COLOURBAR_PX,
        source_line=source_line,
        medium={"height": MEDIUM_MAP_HEIGHT},
        narrow={"height": NARROW_MAP_HEIGHT, "data": {0: {"colorbar": {"len": 1}}} if valued else {}},
    )
    return {"data": traces, "layout": layout}


_LEGEND = {"x": 0.01, "y": 0.02, "xanchor": "left", "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12}}


#: Widest flow line (px), for the largest destination; the others scale by machines.
_LINE_MAX_PX = 9
#: Relocated machines: solid dark lines. Orders and machines in transit: dashed orange, their own layer.
_LINE_STYLE = {
    "received": {"color": "rgba(29, 35, 48, 0.55)", "dash": "solid"},
    "not received": {"color": OKABE_ITO["orange"], "dash": "dash"},
}


#: Points per flow line: plotly joins points by great circles, which over the pole leave the
#: clipped map; many short steps along lon/lat keep the line on the visible map instead.
_LINE_STEPS = 40


def _flow_line_traces(lines: pd.DataFrame) -> list[dict]:
    """One line per destination (and layer) from China, width proportional to machines.

    The lines take no hover or click ("skip"): a click where a line crosses a country selects
    that country, not the line's destination. Each line's hover and click sit on a small dot
    at its end, inside the destination, where selecting the destination is what a click means.
    """
    largest = float(lines["machines"].max())
    traces = []
    for line in named_rows(lines):
        width = max(1.0, _LINE_MAX_PX * line.machines / largest)
        style = _LINE_STYLE.get(getattr(line, "layer", "received"), _LINE_STYLE["received"])
        text = wrap(getattr(line, "text", f"China → {line.country}: {line.machines:,} machines"))
        traces.append({
            "type": "scattergeo",
            "mode": "lines",
            "lon": np.linspace(line.from_lon, line.to_lon, _LINE_STEPS).round(3).tolist(),
            "lat": np.linspace(line.from_lat, line.to_lat, _LINE_STEPS).round(3).tolist(),
            "line": {"width": width, **style},
            "hoverinfo": "skip",
            "text": text,
            "showlegend": False,
        })
        traces.append({
            "type": "scattergeo",
            "mode": "markers",
            "lon": [line.to_lon],
            "lat": [line.to_lat],
            "marker": {"size": 7, "color": style["color"], "line": {"color": "white", "width": 1}},
            # A click on the line's end selects its country, like a click on the country itself.
            "customdata": [line.iso3],
            "hovertext": [text],
            "hovertemplate": "%{hovertext}<extra></extra>",
            "showlegend": False,
        })
    return traces


def _hover(row, metric: str, value_shown: bool) -> str:
    """Country, value with unit, range, status, the row's detail lines and its sources."""
    fmt = _UNITS[metric][1]
    lines = [f"<b>{escape(row.country)}</b>"]
    if value_shown:
        lines.append(fmt(row.value))
    if value_shown and not math.isnan(row.low) and not math.isnan(row.high):
        lines.append(f"Range: {fmt(row.low)} – {fmt(row.high)}")
    lines.append(_STATUS.get(row.status, escape(row.status)))
    details = row.details if isinstance(row.details, (list, tuple, np.ndarray)) else [row.details] if isinstance(row.details, str) else []
    lines += [wrap(detail) for detail in details]
    lines.append(sources_text(row.source_ids))
    return "<br>".join(lines)


def _country_trace(countries: list[MapCountry], **style) -> dict:
    """A trace drawn at `countries` (by ISO-3 code) with their hovers."""
    return {
        "locationmode": "ISO-3",
        "locations": [country.iso3 for country in countries],
        "hovertext": [country.hover for country in countries],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "showlegend": False,
        **style,
    }


#: A horizontal colour bar under the map, so the map keeps the card's whole width.
_COLOURBAR = {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top", "len": 0.5, "thickness": 10, "tickformat": ",", "ticks": "outside"}
#: Room under the map for the colour bar, its title and its ticks.
_COLOURBAR_PX = 84


def _value_traces(countries: list[MapCountry], metric: str) -> list[dict]:
    if not countries:
        return []
    values = [country.value for country in countries]
    title = _UNITS[metric][0]
    return [
        _country_trace(
            countries,
            type="choropleth",
            name=title.replace("<br>", " "),
            z=values,
            zmin=0,
            zmax=max(max(values), 1e-9),
            colorscale=SEQUENTIAL,
            marker={"line": {"color": "white", "width": 0.5}},
            colorbar=_COLOURBAR | {"title": {"text": title.replace("<br>", " "), "side": "top", "font": {"size": 12}}},
        )
    ]


def _neutral_traces(countries: list[MapCountry]) -> list[dict]:
    """Countries that are reported (a destination, a flagged zero) but have no number to colour."""
    if not countries:
        return []
    return [
        _country_trace(
            countries,
            type="choropleth",
            name="Reported, no number",
            z=[0] * len(countries),
            colorscale=[[0, NEUTRAL_GREY], [1, NEUTRAL_GREY]],
            showscale=False,
            marker={"line": {"color": "white", "width": 0.5}},
        )
    ]


def _flag_traces(countries: list[MapCountry]) -> list[dict]:
    """Flagged countries: a thick dark outline over their fill, and a ⚠ at the centroid.

    Plotly choropleths have no hatch patterns, so the mark is an outline plus a text marker;
    scattergeo places `locations` at each country's centroid from the same topojson.
    """
    if not countries:
        return []
    outline = _country_trace(
        countries,
        type="choropleth",
        name="Flagged value",
        z=[0] * len(countries),
        colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        showscale=False,
        marker={"line": {"color": FLAG_OUTLINE, "width": 2.5}},
    )
    sign = _country_trace(
        countries,
        type="scattergeo",
        name="⚠ Flagged value (see hover)",
        mode="text",
        text=["⚠"] * len(countries),
        textfont={"size": 16, "color": FLAG_OUTLINE},
    )
    return [outline, sign]


def _farm_traces(farms: pd.DataFrame) -> list[dict]:
    """Farms sized by capacity (marker area ∝ MW); unknown capacity gets a small fixed marker."""
    capacity = floats(farms["capacity_mw"])
    known = ~np.isnan(capacity)
    hover = np.array([_farm_hover(farm, mw) for farm, mw in zip(named_rows(farms), capacity)], dtype=object)
    lat, lon = floats(farms["lat"]), floats(farms["lon"])
    traces = []
    if known.any():
        traces.append(
            {
                "type": "scattergeo",
                "name": "Mining farm (area = capacity, MW)",
                "lat": lat[known].tolist(),
                "lon": lon[known].tolist(),
                "mode": "markers",
                "marker": {
                    "size": capacity[known].tolist(),
                    "sizemode": "area",
                    "sizeref": 2.0 * max(float(capacity[known].max()), 1e-9) / _FARM_MAX_PX**2,
                    "sizemin": _FARM_UNKNOWN_PX,
                    "color": _FARM_COLOUR,
                    "opacity": 0.75,
                    "line": {"color": "white", "width": 1},
                },
                "hovertext": hover[known].tolist(),
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    if (~known).any():
        traces.append(
            {
                "type": "scattergeo",
                "name": "Mining farm, capacity unknown",
                "lat": lat[~known].tolist(),
                "lon": lon[~known].tolist(),
                "mode": "markers",
                "marker": {"size": _FARM_UNKNOWN_PX, "symbol": "circle-open", "color": _FARM_COLOUR, "line": {"width": 2}},
                "hovertext": hover[~known].tolist(),
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    return traces


def _farm_hover(farm, capacity_mw: float) -> str:
    operator = farm.operator if isinstance(farm.operator, str) else "operator not reported"
    capacity = "Capacity unknown" if math.isnan(capacity_mw) else f"Capacity: {capacity_mw:,.0f} MW"
    precision = _PRECISION.get(farm.coord_precision, escape(farm.coord_precision))
    return "<br>".join(
        [f"<b>{escape(farm.name)}</b>", f"Operator: {escape(operator)}", capacity, f"Location: {precision}", sources_text(farm.source_ids)]
    )
