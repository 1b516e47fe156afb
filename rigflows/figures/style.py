"""What every chart shares: colour-blind-safe palettes, a system font, title, key and source line.

Charts leave the app as PNGs in articles, so everything a reader needs (title, units, key,
sources) is drawn inside the figure rather than in the page around it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sequential

from rigflows.countries import country_name
from rigflows.state import ViewState

#: System fonts only: no web-font download, and the PNG export looks like the screen.
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
TEXT_COLOUR = "#222222"
MUTED_TEXT = "#555555"

#: Okabe-Ito: categorical colours that stay distinct for the common colour-vision deficiencies.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}
#: Order for countries and other categories: the first four differ most in hue and lightness.
#: Okabe-Ito without its yellow, which is too faint for thin lines on white.
CATEGORY_COLOURS = [OKABE_ITO[name] for name in ("blue", "orange", "green", "purple", "vermillion", "sky_blue", "black")]
#: Viridis from light (low) to dark (high): perceptually even and readable in greyscale. Given
#: as [position, colour] stops, the form plotly's validation would turn a colour list into.
SEQUENTIAL = [[position / (len(sequential.Viridis) - 1), colour] for position, colour in enumerate(sequential.Viridis[::-1])]
#: Land with no value for the metric: "no data", deliberately not a colour of the scale.
NO_DATA_GREY = "#e3e3e3"
#: Something reported without a number (a destination with no count, an unknown node).
NEUTRAL_GREY = "#a3a3a3"
FLAG_OUTLINE = "#1a1a1a"

#: The source line of a figure built without its data's sources (`select.source_line` names
#: the producers behind a drawn chart); it names no data of its own.
SOURCE_LINE = "Sources: see the sources panel"

#: Heights of each chart, wide and narrow (the page sets the width; cards take the chart's height).
MAP_HEIGHT = 720
MEDIUM_MAP_HEIGHT = 560
NARROW_MAP_HEIGHT = 470
SANKEY_HEIGHT = 680
NARROW_SANKEY_HEIGHT = 980
ENERGY_HEIGHT = 480
NARROW_ENERGY_HEIGHT = 700

_LINE_PX = 16
_FOOTER_FONT = 11
#: plotly's "plotly_white" template as plain JSON, resolved once: named in a layout, plotly would
#: deep-copy and re-validate all of it for every figure (~10 ms each time).
_TEMPLATE = pio.templates["plotly_white"].to_plotly_json()


def rgba(hex_colour: str, alpha: float) -> str:
    """'#0072B2', 0.4 → 'rgba(0,114,178,0.4)': translucent versions of the palette."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def escape(text: object) -> str:
    """Data text made safe for plotly's pseudo-HTML (a note saying '<5%' must not become a tag)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=4096)  # the same notes and descriptions in every view
def wrap(text: object, width: int = 70) -> str:
    """Escaped text broken into hover-sized lines, so long notes do not run off the screen."""
    return "<br>".join(textwrap.wrap(escape(text), width)) if pd.notna(text) else ""


def floats(column: pd.Series) -> np.ndarray:
    """Plain floats with NaN: nullable Float64/Int64 columns carry pd.NA, which plotly rejects."""
    numbers = column if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


@lru_cache(maxsize=4096)  # hovers ask for the same few dozen months over and over
def date_label(value: str) -> str:
    """'2021-08' → 'Aug 2021', '2021-08-05' → '5 Aug 2021' (readers, not ISO parsers)."""
    stamp = pd.Timestamp(value)
    return stamp.strftime("%b %Y") if len(value) == 7 else f"{stamp.day} {stamp.strftime('%b %Y')}"


def period_label(period_ends: Iterable[str]) -> str:
    """'to Nov 2021' from the flows' `period_end` months: the machine counts are cumulative."""
    months = sorted(str(month) for month in period_ends if isinstance(month, str))
    return f"to {date_label(months[-1][:7])}" if months else ""


def sources_text(producers: tuple[str, ...]) -> str:
    """'Source: Financial Times', 'Sources: Financial Times; Reuters': who a hover's number comes
    from, named as the chart's source line names them (a row's `source_names`, from
    `select.credited_producers`: a press copy credited to its original)."""
    names = producers if isinstance(producers, tuple) else ()
    if not names:
        return "Source: not given"
    return escape(("Source: " if len(names) == 1 else "Sources: ") + "; ".join(names))


def filters_text(state: ViewState) -> str:
    """The filters in words, for the subtitle: an exported PNG must say what it is limited to."""
    parts = []
    if state.countries:
        parts.append("Countries: " + ", ".join(country_name(code) for code in state.countries))
    if state.firms:
        parts.append("Firms: " + ", ".join(state.firms))
    return escape(" · ".join(parts))


def legend_key(items: Iterable[tuple[str, str]]) -> str:
    """A one-line key of coloured squares for traces with no legend (map greys, Sankey links)."""
    return "   ".join(f"<span style='color:{colour}'>■</span> {label}" for colour, label in items)


TITLE_WRAP = 48
#: A chart narrower than this (px) is drawn in its narrow variant (assets/widths.js picks it).
NARROW_BELOW = 560
MEDIUM_BELOW = 900
#: Characters per line of the title and the footer, wide and narrow: the footer's 11 px font
#: fits ~110 characters in a 700 px chart (a tablet) and ~52 in a 340 px one (a phone).
NARROW_TITLE_WRAP = 34
FOOTER_WRAP = 110
NARROW_FOOTER_WRAP = 52
#: Room above a narrow chart's title for the modebar, which plotly draws over the top right.
_MODEBAR_PX = 30
_TAG = re.compile(r"<[^>]*>")


@lru_cache(maxsize=4096)  # a filter's 87 map frames wrap the same footers and hovers again
def wrap_html(text: str, width: int) -> str:
    """Plotly pseudo-HTML broken into lines of at most `width` visible characters.

    Tags never count and are never split, and existing <br> breaks are kept: footers carry
    coloured keys (<span style=...>) that textwrap would cut in half.
    """
    lines = []
    for segment in text.split("<br>"):
        line, length = "", 0
        for word in re.findall(r"(?:<[^>]*>|[^\s<])+", segment):
            visible = len(_TAG.sub("", word).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
            if line and length + 1 + visible > width:
                lines.append(line)
                line, length = word, visible
            else:
                line, length = (f"{line} {word}", length + 1 + visible) if line else (word, visible)
        lines.append(line)
    return "<br>".join(lines)


def figure_from_dicts(traces: list[dict], layout: dict) -> go.Figure:
    """A go.Figure of plain trace and layout dicts, made in one step without plotly's validation.

    Validating every property (and the whole template) costs ten times more than building the
    dicts, which matters in a filter callback. The dicts are therefore written in the form
    validation would produce, and tests/test_figures.py checks each builder's output against
    plotly's validation instead: a misspelt property fails there, not here.
    """
    return go.Figure(data=traces, layout=layout, _validate=False)


def themed_figure(traces: list[dict], layout: dict, title: str, **theme) -> go.Figure:
    """`traces` under `themed_layout(layout, title, ...)`, as a go.Figure."""
    return figure_from_dicts(traces, themed_layout(layout, title, **theme))


def themed_layout(
    layout: dict,
    title: str,
    *,
    subtitle: str = "",
    height: int,
    footer: Iterable[str | tuple[str, str]] = (),
    axis_space: int = 0,
    source_line: str = SOURCE_LINE,
    narrow: dict | None = None,
    footer_wrap: int = FOOTER_WRAP,
    medium: dict | None = None,
) -> dict:
    """`layout` with title, font, template, height and the bottom block (footer lines, then the
    source line) added to `layout`, after any annotations of its own, and its narrow variant.

    A footer line may be (text, hover text) for detail too long to print. `source_line` names
    the chart's sources (`select.source_line`), so an exported PNG credits what it draws. The bottom margin
    is computed from the footer so the lines never overlap the plot; `axis_space` is the room
    needed under the plot area (the x axis's ticks and title).

    `narrow` describes the chart below `NARROW_BELOW` px (a phone): optional "height",
    "footer", "footer_wrap", "axis_space", "annotations" (the chart's own, replacing `layout`'s), "layout" (any
    other layout changes), "data" ({trace index: changes}) and "append" (traces added after). Title and footer are re-wrapped
    for the width, and the title moves below the modebar; "below" moves the line. `medium`
    is a plain layout change for charts between that and `MEDIUM_BELOW` px (a tablet). Both go
    to `layout.meta.variants`, narrowest first, which assets/widths.js applies by the chart's width.
    """
    footer = list(footer)
    wide = _frame(title, subtitle, footer, source_line, axis_space, TITLE_WRAP, footer_wrap, 0)
    narrow = narrow or {}
    small = _frame(title, subtitle, narrow.get("footer", footer), source_line, narrow.get("axis_space", axis_space), NARROW_TITLE_WRAP, narrow.get("footer_wrap", NARROW_FOOTER_WRAP), _MODEBAR_PX)
    theme = {
        "template": _TEMPLATE,
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOUR},
        "title": {**wide["title"], "x": 0, "xref": "paper", "xanchor": "left", "y": 1, "yref": "container", "yanchor": "top", "font": {"size": 17}},
        "height": height,
        "margin": {"l": 20, "r": 20, "t": wide["top"], "b": wide["bottom"]},
        "colorway": CATEGORY_COLOURS,
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 12}, "align": "left", "bgcolor": "white", "bordercolor": MUTED_TEXT},
        "paper_bgcolor": "white",
    }
    narrow_layout = {
        **narrow.get("layout", {}),
        "title": {**small["title"], "font": {"size": 15}},
        "margin": {"t": small["top"], "b": small["bottom"], **narrow.get("layout", {}).get("margin", {})},
        "annotations": [*narrow.get("annotations", layout.get("annotations", ())), *small["annotations"]],
    }
    if "height" in narrow:
        narrow_layout["height"] = narrow["height"]
    variants = [{"below": narrow.get("below", NARROW_BELOW), "layout": narrow_layout, "data": {str(index): patch for index, patch in narrow.get("data", {}).items()}, "append": narrow.get("append", [])}]
    if medium:
        variants.append({"below": MEDIUM_BELOW, "layout": medium, "data": {}})
    meta = {"variants": variants}
    return {**layout, **theme, "meta": meta, "annotations": [*layout.get("annotations", ()), *wide["annotations"]]}


def _frame(title: str, subtitle: str, footer: list, source_line: str, axis_space: int, title_wrap: int, footer_wrap: int, above: int) -> dict:
    """Title, top margin, footer annotations and bottom margin for one width."""
    title_layout, top = _title_block(title, subtitle, title_wrap, above)
    annotations, bottom = _footer_block(tuple(footer), source_line, axis_space, footer_wrap)
    return {"title": title_layout, "top": top, "annotations": list(annotations), "bottom": bottom}


# Kept per text: a map's title per metric and month, and its footer, are the same in every
# filter's frames. What they return is shared: copied, never changed, by those who use it.
@lru_cache(maxsize=4096)
def _title_block(title: str, subtitle: str, title_wrap: int, above: int) -> tuple[dict, int]:
    """The title (plotly never wraps one: broken here for the width) and the top margin it needs."""
    title_lines = _title_lines(title, title_wrap)
    subtitle = wrap_html(subtitle, int(title_wrap * 1.3)) if subtitle else ""
    top = above + 38 + 22 * len(title_lines) + (18 * (subtitle.count("<br>") + 1) if subtitle else 0)
    return {"text": "<br>".join(title_lines), "subtitle": {"text": subtitle, "font": {"size": 12, "color": MUTED_TEXT}}, "pad": {"t": 22 + above}}, top


@lru_cache(maxsize=4096)
def _footer_block(footer: tuple, source_line: str, axis_space: int, footer_wrap: int) -> tuple[tuple[dict, ...], int]:
    """The footer lines and the source line as annotations under the plot, and the bottom margin."""
    lines = [line if isinstance(line, tuple) else (line, None) for line in (*footer, escape(source_line))]
    lines = [(wrap_html(text, footer_wrap), hovertext) for text, hovertext in lines]
    heights = [_LINE_PX * (text.count("<br>") + 1) for text, _ in lines]
    annotations, offset = [], -axis_space
    for (text, hovertext), line_height in zip(lines, heights):
        annotations.append(_footer_line(text, hovertext, offset))
        offset -= line_height
    return tuple(annotations), axis_space + sum(heights) + 10


@lru_cache(maxsize=1024)  # a map title per metric and month, whatever the filter
def _title_lines(title: str, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(title, width, break_long_words=False, break_on_hyphens=False)) or ("",)


def _footer_line(text: str, hovertext: str | None, yshift: int) -> dict:
    """One footer line, hung `yshift` px below the plot area's bottom edge."""
    line = {
        "text": text, "xref": "paper", "yref": "paper", "x": 0, "y": 0, "xanchor": "left", "yanchor": "top", "yshift": yshift,
        "showarrow": False, "align": "left", "font": {"size": _FOOTER_FONT, "color": MUTED_TEXT},
    }
    if hovertext is not None:
        line["hovertext"] = hovertext
    return line


def empty_figure(message: str) -> dict:
    """A blank chart that says why it is blank (a filter left nothing), instead of empty axes,
    as plain figure JSON."""
    message_annotation = {
        "text": "<br>".join(textwrap.wrap(escape(message), 60)), "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
        "showarrow": False, "font": {"size": 15, "color": MUTED_TEXT},
    }
    return {
        "data": [],
        "layout": {
            "annotations": [message_annotation],
            "template": _TEMPLATE,
            "font": {"family": FONT_FAMILY, "color": TEXT_COLOUR},
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
            "margin": {"l": 20, "r": 20, "t": 20, "b": 20},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
        },
    }
