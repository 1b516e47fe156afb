"""The destination map: one metric per country, flagged and count-less countries marked, farms on top.

A country with no row is simply not drawn, so it shows as grey land and reads "no data":
drawing it as 0 would claim a measurement nobody made. For the same reason a flagged zero
(CBECI's post-ban China gap) is not coloured as zero but drawn like a count-less country.
"""

from __future__ import annotations

import math
import re
from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache

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
    TEXT_COLOUR,
    date_label,
    escape,
    filters_text,
    floats,
    legend_key,
    figure_from_dicts,
    sources_text,
    themed_layout,
    wrap,
)
from rigflows.rows import named_rows
from rigflows.select import BOUND_WORDS
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
#: How the map draws land: countries in white outline on "no data" grey, nothing else. The
#: page's topojson holds only land and countries (tools/trim_topojson.py): every other layer off.
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
    "showocean": False,
    "showrivers": False,
    "showsubunits": False,
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
    lon0, lon1, lat0, lat1 = WORLD
    if extent is not None:
        lon0, lon1, lat0, lat1 = extent
        lon_pad = max((lon1 - lon0) * _VIEW_PAD, (_MIN_LON_SPAN - (lon1 - lon0)) / 2, 0)
        lat_pad = max((lat1 - lat0) * _VIEW_PAD, (_MIN_LAT_SPAN - (lat1 - lat0)) / 2, 0)
        lon0, lon1 = max(lon0 - lon_pad, -180.0), min(lon1 + lon_pad, 180.0)
        lat0, lat1 = max(lat0 - lat_pad, _LAT_LIMITS[0]), min(lat1 + lat_pad, _LAT_LIMITS[1])
    lon0, lon1, lat0, lat1 = (round(value, 2) for value in (lon0, lon1, lat0, lat1))
    geo = {
        **_GEO_STYLE,
        "projection": {"type": "natural earth", "rotation": {"lon": round((lon0 + lon1) / 2, 2)}},
        "lonaxis": {"range": [lon0, lon1]},
        "lataxis": {"range": [lat0, lat1]},
    }
    # plotly puts `center` in the middle of the plot: the latitude drawn halfway up the view's
    # box, which the projection's curve puts off the middle latitude.
    _, _, y0, y1 = _view_box(geo)
    geo["center"] = {"lon": geo["projection"]["rotation"]["lon"], "lat": round(_latitude_at((y0 + y1) / 2), 2)}
    return geo


def _latitude_at(y: float) -> float:
    """The latitude the natural earth projection draws at height `y` (bisection: y grows with it)."""
    low, high = -90.0, 90.0
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (middle, high) if _natural_earth(0, middle, 0)[1] < y else (low, middle)
    return (low + high) / 2


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
    #: (lon, lat) of each country a label may name: where plotly puts its `locations` too.
    anchors: dict[str, tuple[float, float]]


def map_overlay(
    farms: pd.DataFrame | None,
    lines: pd.DataFrame | None = None,
    extent: tuple[float, float, float, float] | None = None,
    anchors: dict[str, tuple[float, float]] | None = None,
) -> MapOverlay:
    """`select.flow_lines` (China → country, widths in machines) and `select.farm_markers`
    (None or empty when the overlay is off) as traces, the view of `extent` (`geo_view`), and
    the countries' `anchors` for the labels of the top destinations (none without them)."""
    traces = []
    if lines is not None and not lines.empty:
        traces += _flow_line_traces(lines)
    if farms is not None and not farms.empty:
        traces += _farm_traces(farms)
    dashed = lines is not None and "layer" in lines and bool((lines["layer"] == "not received").any())
    return MapOverlay(traces, dashed, geo_view(extent), anchors or {})


def build_choropleth_figure(
    map_rows: pd.DataFrame,
    farms: pd.DataFrame | None,
    state: ViewState,
    *,
    period: str = "",
    lines: pd.DataFrame | None = None,
    source_line: str = SOURCE_LINE,
    extent: tuple[float, float, float, float] | None = None,
    anchors: dict[str, tuple[float, float]] | None = None,
    shown: dict[str, str] | None = None,
) -> go.Figure:
    """Choropleth of `select.map_rows` for `state.metric`, with `select.farm_markers` on top.

    `farms` is None (or empty) when the farm overlay is off. `period` names the span the
    machine counts cover ('to Nov 2021', see `style.period_label`); it is used only for the
    "machines" metric, which has no month. `lines` (`select.flow_lines`) draws China → country
    lines with widths in machines. `extent` is the view (`geo_view`): the world when None.
    The top destinations carry a label at their `anchors` (`geo.CountryGeometry.anchor`), with
    their machines as `shown` (`select.received_machines`, "at least N") for "machines".
    """
    overlay = map_overlay(farms, lines, extent, anchors)
    figure = choropleth_dict(map_countries(map_rows, state.metric), overlay, state, period=period, source_line=source_line, shown=shown)
    return figure_from_dicts(figure["data"], figure["layout"])


def choropleth_dict(
    countries: list[MapCountry], overlay: MapOverlay, state: ViewState, *, period: str = "", source_line: str = SOURCE_LINE, shown: dict[str, str] | None = None
) -> dict:
    """The map of `countries` (`map_countries`) under `overlay`, as plain figure JSON: what a
    month changes is built here, what it shares (the overlay's traces and view) is reused."""
    valued = [country for country in countries if country.valued]
    unvalued = [country for country in countries if not country.valued]
    flagged = [country for country in countries if country.status == "flagged"]
    traces = [*_value_traces(valued, state.metric), *_neutral_traces(unvalued), *_flag_traces(flagged), *overlay.traces]
    labelled = [country for country in sorted(valued, key=lambda country: -country.value) if country.iso3 in overlay.anchors][:LABELLED]

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
    _fit_heights(layout, overlay.geo)
    if labelled:
        traces.append(_label_trace(labelled, state.metric, overlay, flagged, shown or {}, layout, index=len(traces)))
    return {"data": traces, "layout": layout}


#: The top destinations that carry their value on the map, largest first.
LABELLED = 3
#: How the map's labels word a bound ("at least N" → "≥N"): short enough for a phone.
_BOUND_SIGNS = {"at_least": "≥", "at_most": "≤", "about": "~"}
#: Per metric, a label's value with its unit.
_LABEL_UNITS = {
    "share": lambda value: f"{value:.2f}% of hashrate",
    "load": lambda value: f"{value:.2f} GW",
    "strain": lambda value: f"{value:.2f}% of demand",
}
#: The labels' font sizes (px) wide and on a phone, and their invisible marker, which sets
#: their distance from the country's anchor as plotly places text: further for a flagged
#: country, whose ⚠ sign sits on the anchor.
_LABEL_FONT = 12
_NARROW_LABEL_FONT = 11
_LABEL_MARKER_PX = 8
_FLAGGED_LABEL_MARKER_PX = 20
#: The ⚠ sign's box (px) around its anchor: 16 px text.
_SIGN_PX = 18
#: Plot widths (px) at which labels are placed: each width variant's narrowest common chart,
#: as the page lays it out (wider charts spread the countries further apart).
_PLACEMENT_WIDTHS = {"wide": 800, "medium": 520, "narrow": 290}
#: Where a label may sit around its anchor, most wanted first.
_POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right", "top left", "bottom right", "bottom left")


def label_text(country: MapCountry, metric: str, shown: dict[str, str]) -> str:
    """'<b>Russia</b><br>≥N machines': the country and its value as the data words it."""
    if metric == "machines":
        value = shown.get(country.iso3, f"{country.value:,.0f}")
        for qualifier, sign in _BOUND_SIGNS.items():
            value = value.replace(BOUND_WORDS[qualifier], sign)
        value += " machines"
    else:
        value = _LABEL_UNITS[metric](country.value)
    flag = "⚠ " if country.status == "flagged" else ""
    return f"<b>{escape(country.country)}</b><br>{flag}{value}"


def _label_trace(labelled: list[MapCountry], metric: str, overlay: MapOverlay, flagged: list[MapCountry], shown: dict[str, str], layout: dict, *, index: int) -> dict:
    """The top destinations' labels (trace `index` of the figure), placed apart from each other
    at each width.

    plotly places scattergeo text by position words only, so the placement is worked out here
    for each width variant (`_place_labels`) and the phone's and tablet's go to their variants
    in `layout`: a label that fits nowhere at a width is left out there (its country keeps its
    hover)."""
    texts = [label_text(country, metric, shown) for country in labelled]
    points = [overlay.anchors[country.iso3] for country in labelled]
    signs = [overlay.anchors[country.iso3] for country in flagged if country.iso3 in overlay.anchors]
    markers = [_FLAGGED_LABEL_MARKER_PX if country.status == "flagged" else _LABEL_MARKER_PX for country in labelled]
    legend = [trace["name"] for trace in overlay.traces if trace.get("showlegend", True) is not False]
    narrow, medium = layout["meta"]["variants"]
    plot = {
        "wide": (layout["height"], layout["margin"], _LABEL_FONT),
        "medium": (medium["layout"]["height"], layout["margin"], _LABEL_FONT),
        "narrow": (narrow["layout"]["height"], {**layout["margin"], **narrow["layout"]["margin"]}, _NARROW_LABEL_FONT),
    }
    placed = {}
    for width, (height, margin, font) in plot.items():
        size = (_PLACEMENT_WIDTHS[width], height - margin["t"] - margin["b"])
        placed[width] = _place_labels(points, texts, markers, signs, overlay.geo, size, font, legend)
    trace = {
        "type": "scattergeo",
        "mode": "markers+text",
        "lon": [lon for lon, _ in points],
        "lat": [lat for _, lat in points],
        "text": [text if position else "" for text, position in zip(texts, placed["wide"])],
        "textposition": [position or "middle center" for position in placed["wide"]],
        "textfont": {"size": _LABEL_FONT, "color": TEXT_COLOUR, "shadow": _HALO},
        "marker": {"size": markers, "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        "hoverinfo": "skip",
        "showlegend": False,
        "name": "Top destinations",
    }
    for variant, width in ((narrow, "narrow"), (medium, "medium")):
        variant["data"] = {**variant.get("data", {}), str(index): {
            "text": [text if position else "" for text, position in zip(texts, placed[width])],
            "textposition": [position or "middle center" for position in placed[width]],
            "textfont": {"size": _NARROW_LABEL_FONT if width == "narrow" else _LABEL_FONT},
        }}
    return trace


#: A white halo, so a label reads on the darkest colour of the scale.
_HALO = "-1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff"


def _place_labels(
    points: list[tuple[float, float]],
    texts: list[str],
    markers: list[int],
    signs: list[tuple[float, float]],
    geo: dict,
    size: tuple[float, float],
    font: int,
    legend: list[str] = (),
) -> list[str | None]:
    """A position (`_POSITIONS`) for each label, or None where none fits: inside the plot,
    clear of the labels placed before it (larger first), of the flagged countries' ⚠ signs and
    of the legend (its entries `legend`), and inside the map's frame (plotly clips what the map
    draws to it).

    Pixel positions follow plotly's fit of the view's lon/lat box into the plot area with the
    natural earth projection (`_projected`); box sizes are estimated from the text, generously.
    The placement depends on the texts' shapes only (characters per line), so the months of a
    filter whose labels keep their lengths share one (`_placement`)."""
    shapes = tuple(_text_shape(text) for text in texts)
    return list(_placement(tuple(map(tuple, points)), shapes, tuple(markers), tuple(map(tuple, signs)), _view(geo), tuple(size), font, tuple(legend)))


@lru_cache(maxsize=4096)  # the same few labels in every month and width
def _text_shape(text: str) -> tuple[int, int]:
    """(the longest line's visible characters, the number of lines) of a label."""
    lines = text.split("<br>")
    return max(len(_TAG.sub("", line)) for line in lines), len(lines)


_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=4096)
def _placement(points: tuple, shapes: tuple, markers: tuple, signs: tuple, view: tuple, size: tuple, font: int, legend: tuple) -> tuple[str | None, ...]:
    """`_place_labels` of hashable parts (`view`: `_view` of the map's geo layout)."""
    project, frame = _projected(view, size)
    taken = [_box(*project(lon, lat), _SIGN_PX, _SIGN_PX, "middle center", 0) for lon, lat in signs]
    if legend:  # the legend's box, at the plot's bottom left (`_LEGEND`)
        width = 48 + max(len(name) for name in legend) * font * 0.62
        bottom = size[1] * (1 - _LEGEND["y"])
        taken.append((size[0] * _LEGEND["x"], bottom - 22 * len(legend) - 8, size[0] * _LEGEND["x"] + width, bottom))
    out = []
    for (lon, lat), (characters, lines), marker in zip(points, shapes, markers):
        x, y = project(lon, lat)
        radius = (marker / 2) / 0.8 + 1  # plotly's offset of text from its marker
        width = characters * font * 0.62 + 4
        height = (lines - 1) * font * 1.3 + font * 1.25
        chosen = None
        for position in _POSITIONS:
            box = _box(x, y, width, height, position, radius)
            inside = box[0] >= frame[0] + 2 and box[1] >= frame[1] + 2 and box[2] <= frame[2] - 2 and box[3] <= frame[3] - 2
            if inside and not any(_overlap(box, other) for other in taken):
                chosen = position
                taken.append(box)
                break
        out.append(chosen)
    return tuple(out)


def _box(x: float, y: float, width: float, height: float, position: str, radius: float) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a text block placed at `position` around (x, y)."""
    vertical, horizontal = position.split()
    left = x - width / 2 if horizontal == "center" else x + radius if horizontal == "right" else x - radius - width
    top = y - height / 2 if vertical == "middle" else y + radius if vertical == "bottom" else y - radius - height
    return left, top, left + width, top + height


def _overlap(first: tuple, second: tuple, gap: float = 3) -> bool:
    return first[0] < second[2] + gap and second[0] < first[2] + gap and first[1] < second[3] + gap and second[1] < first[3] + gap


def _natural_earth(lon: float, lat: float, centre: float) -> tuple[float, float]:
    """d3's natural earth projection (plotly's "natural earth"), rotated to `centre`, y up."""
    offset = lon - centre
    lam = math.radians(offset - 360 if offset > 180 else offset + 360 if offset < -180 else offset)
    phi = math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)))
    return x, y


def _view(geo: dict) -> tuple[float, float, float, float, float]:
    """The view of a map's `geo` layout as (lon0, lon1, lat0, lat1, centre longitude): hashable."""
    return (*geo["lonaxis"]["range"], *geo["lataxis"]["range"], geo["projection"]["rotation"]["lon"])


def _view_box(geo: dict) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of the view's lon/lat box in the unscaled projection (its edges
    sampled along parallels and meridians, y up)."""
    return _box_of(*_view(geo))


@lru_cache(maxsize=256)  # every month of a filter has the same view
def _box_of(lon0: float, lon1: float, lat0: float, lat1: float, centre: float) -> tuple[float, float, float, float]:
    edge = [*((lon0 + (lon1 - lon0) * step / 24, lat) for step in range(25) for lat in (lat0, lat1)), *((lon, lat0 + (lat1 - lat0) * step / 12) for step in range(13) for lon in (lon0, lon1))]
    xs, ys = zip(*(_natural_earth(lon, lat, centre) for lon, lat in edge))
    return min(xs), max(xs), min(ys), max(ys)


def _projected(view: tuple[float, float, float, float, float], size: tuple[float, float]):
    """(lon, lat) → plot pixels for the `view` (`_view`) drawn in a plot of `size`, and the map's
    frame (left, top, right, bottom): the view's box is fitted into the plot and centred, as
    plotly does."""
    x0, x1, y0, y1 = _box_of(*view)
    centre = view[4]
    scale = min(size[0] / (x1 - x0), size[1] / (y1 - y0))
    left, top = (size[0] - scale * (x1 - x0)) / 2, (size[1] - scale * (y1 - y0)) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        x, y = _natural_earth(lon, lat, centre)
        return left + scale * (x - x0), top + scale * (y1 - y)

    return project, (left, top, size[0] - left, size[1] - top)


#: Plot widths (px) the map's height is fitted to, per width variant: about the widest chart of
#: each (the page's widest card; a large phone), so the map fills the card's width there and
#: leaves little white above and below it on narrower screens.
_FITTED_WIDTHS = {"wide": 1126, "medium": 760, "narrow": 340}


def _fit_heights(layout: dict, geo: dict) -> None:
    """Each width variant's height fitted to the view's shape: its margins plus the map's
    height at `_FITTED_WIDTHS`, never taller than the chart's usual height."""
    x0, x1, y0, y1 = _view_box(geo)
    aspect = (y1 - y0) / (x1 - x0)
    narrow, medium = layout["meta"]["variants"]
    wide_margin = layout["margin"]["t"] + layout["margin"]["b"]
    narrow_margin = narrow["layout"]["margin"]["t"] + narrow["layout"]["margin"]["b"]
    layout["height"] = round(min(MAP_HEIGHT, wide_margin + aspect * _FITTED_WIDTHS["wide"]))
    medium["layout"]["height"] = round(min(MEDIUM_MAP_HEIGHT, wide_margin + aspect * _FITTED_WIDTHS["medium"]))
    narrow["layout"]["height"] = round(min(NARROW_MAP_HEIGHT, narrow_margin + aspect * _FITTED_WIDTHS["narrow"]))


_LEGEND = {"x": 0.01, "y": 0.02, "xanchor": "left", "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 12}}


#: Widest flow line (px), for the largest destination; the others scale by machines.
_LINE_MAX_PX = 9
#: Relocated machines: solid dark lines. Orders and machines in transit: dashed orange, their own layer.
_LINE_STYLE = {
    "received": {"color": "rgba(29, 35, 48, 0.55)", "dash": "solid"},
    "not received": {"color": OKABE_ITO["orange"], "dash": "dash"},
}


#: Flow lines drawn per layer, to the largest destinations: the bundled data has at most 5; a
#: line to each of hundreds would hide the map (and cost two traces each to draw).
MAX_FLOW_LINES = 15


#: Points per flow line: plotly joins points by great circles, which over the pole leave the
#: clipped map; many short steps along lon/lat keep the line on the visible map instead.
_LINE_STEPS = 40


def _flow_line_traces(lines: pd.DataFrame) -> list[dict]:
    """One line per destination (and layer) from China, width proportional to machines, to the
    MAX_FLOW_LINES largest destinations of each layer (every country keeps its shade).

    The lines take no hover or click ("skip"): a click where a line crosses a country selects
    that country, not the line's destination. Each line's hover and click sit on a small dot
    at its end, inside the destination, where selecting the destination is what a click means.
    """
    largest = float(lines["machines"].max())
    traces = []
    by_size = lines.sort_values("machines", ascending=False, kind="stable")
    drawn = by_size.groupby("layer", sort=False).head(MAX_FLOW_LINES) if "layer" in by_size else by_size.head(MAX_FLOW_LINES)
    for line in named_rows(drawn):
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
    lines.append(sources_text(row.source_names))
    return "<br>".join(lines)


def _country_trace(countries: list[MapCountry], **style) -> dict:
    """A trace drawn at `countries` (by ISO-3 code) with their hovers. The lines every hover
    ends with (the model, the sources) are written once, in the trace's template, not in each
    country's hover: a third of the JSON of the 100x data's every-month map frames, a sixth of
    the bundled data's (compressed, they repeat and cost little: 4 KB of 255)."""
    hovers = [country.hover for country in countries]
    tail = shared_tail(hovers)
    return {
        "locationmode": "ISO-3",
        "locations": [country.iso3 for country in countries],
        "hovertext": [hover[: len(hover) - len(tail)] for hover in hovers],
        "hovertemplate": "%{hovertext}" + tail + "<extra></extra>",
        "showlegend": False,
        **style,
    }


def shared_tail(hovers: list[str]) -> str:
    """The last lines ('<br>...') all of two or more hovers end with, each keeping at least its
    first line; '' when there are none, or when they hold '%{', which plotly would read as a
    placeholder of the template."""
    if len(hovers) < 2:
        return ""
    lines = [hover.split("<br>") for hover in hovers]
    shared = 0
    while all(len(each) > shared + 1 for each in lines) and len({each[-1 - shared] for each in lines}) == 1:
        shared += 1
    tail = "".join("<br>" + line for line in lines[0][len(lines[0]) - shared:]) if shared else ""
    return "" if "%{" in tail else tail


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
        [f"<b>{escape(farm.name)}</b>", f"Operator: {escape(operator)}", capacity, f"Location: {precision}", sources_text(farm.source_names)]
    )
