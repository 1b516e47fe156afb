"""The flow diagram: seller → destination country → receiver, link widths in machines.

Nodes are placed explicitly (x by column, y by a fixed order) so the same data always draws
the same picture: a chart in an article must match the one a reader opens from its link.
"""

from __future__ import annotations

import re
from collections import namedtuple

import pandas as pd
import plotly.graph_objects as go

from rigflows.figures.style import (
    FOOTER_WRAP,
    MUTED_TEXT,
    NARROW_FOOTER_WRAP,
    NARROW_SANKEY_HEIGHT,
    NEUTRAL_GREY,
    OKABE_ITO,
    SANKEY_HEIGHT,
    SOURCE_LINE,
    TEXT_COLOUR,
    escape,
    figure_from_dicts,
    filters_text,
    legend_key,
    rgba,
    sources_text,
    themed_layout,
    wrap,
    wrap_html,
)
from rigflows.rows import named_rows
from rigflows.select import NOT_ITEMISED
from rigflows.state import ViewState

#: Link colour, opacity and key label per flow kind. Plans are pale and a different hue: they
#: are shown for completeness but are not machines received.
LINK_KINDS = {
    "relocation": (OKABE_ITO["blue"], 0.55, "Relocation"),
    "order": (OKABE_ITO["orange"], 0.6, "Order of new machines (not received; delivery in hover)"),
    "in_transit": (OKABE_ITO["purple"], 0.5, "In transit (not received)"),
    "remainder": (NEUTRAL_GREY, 0.45, "Remainder (derived, not attributed)"),
}
COLUMN_TITLES = ("Seller or shipper", "Destination country", "Receiving farm or operator")
#: Two to a line on a phone: shorter, so they never meet.
NARROW_COLUMN_TITLES = ("Seller or shipper", "Country", "Receiving farm or operator")
_NODE_COLOUR = "#4d4d4d"
#: Room between nodes: a label line and a count line fit beside even a thin node.
_NODE_PAD_PX = 30
_NODE_THICKNESS = 14
#: Rough plot-area height (figure minus title and footer), to turn node padding into y units.
_PLOT_PX = SANKEY_HEIGHT - 190
_NARROW_PLOT_PX = NARROW_SANKEY_HEIGHT - 260
#: Paper heights: the reconciliation bar at the bottom, the Sankey (or its two narrow
#: sections) above it, the column titles at the top.
_BAR_DOMAIN = (0.0, 0.07)
_DOMAIN = (0.2, 0.93)
_NARROW_DOMAINS = ((0.62, 0.95), (0.2, 0.53))
_DOMAIN_TOP = _DOMAIN[1]
#: Machines per link kind at each end of each node: {(label, column, "in" or "out"): {kind: machines}}.
_MachinesByKind = dict[tuple[str, int, str], dict[str, int]]
#: Colours of the reconciliation bar: the part that reached a reported country, then the
#: remainders nobody traced further (grey, lighter the less is known).
_RECONCILED_COLOURS = (OKABE_ITO["blue"], "#8c8c8c", "#bdbdbd", "#dcdcdc", "#ececec")


def build_sankey_figure(links: pd.DataFrame, state: ViewState, **options) -> go.Figure:
    """`sankey_dict` as a go.Figure."""
    figure = sankey_dict(links, state, **options)
    return figure_from_dicts(figure["data"], figure["layout"])


def sankey_dict(links: pd.DataFrame, state: ViewState, *, period: str = "", source_line: str = SOURCE_LINE) -> dict:
    """Plain figure JSON (the server's path, as `energy.energy_dict`): Sankey of `select.sankey_links` (columns source, target, source_column, target_column,
    machines, kind, confidence, source_ids, note). `period` as in the map: 'to Nov 2021'.

    Remainders that lead nowhere (machines that left China but were never traced to a
    country) are not drawn as Sankey flows, where ~1.6 million would squeeze the reported
    ones into a sliver: a bar under the Sankey reconciles them with what was traced, to scale.
    Narrow (a phone), the Sankey is two stacked sections, seller → country and country →
    receiver, so every label has half the width.
    """
    untraced = _untraced(links)
    flows = links.drop(untraced.index)
    sankey, annotations = _sankey_trace(flows, _DOMAIN, _PLOT_PX)
    sections = [_sankey_trace(flows[flows["source_column"] == column], domain, _NARROW_PLOT_PX, titles=NARROW_COLUMN_TITLES) for column, domain in zip((0, 1), _NARROW_DOMAINS)]
    traces = [sankey]
    narrow_annotations = [annotation for _, section in sections for annotation in section]
    if not untraced.empty:
        bar, parts = _reconciliation(links, untraced)
        annotations.append(_reconciliation_key(parts, "   ", FOOTER_WRAP))
        narrow_annotations.append(_reconciliation_key(parts, "<br>", NARROW_FOOTER_WRAP))
    else:
        bar = []

    present = [kind for kind in LINK_KINDS if kind in set(links["kind"])]
    caption = "Link width = number of machines."
    if "remainder" in present:
        caption += " Remainders are derived: a reported total minus the flows attributed to it (hover for the arithmetic; 'about' and 'at most' where the figures are bounds)."
    else:
        caption += " Unattributed remainders are not shown in this view."
    title = "Machines leaving China: seller → country → receiver" + (f", {period}" if period else "")
    return {"data": traces, "layout": themed_layout(
        {"shapes": bar, "annotations": annotations},
        title,
        subtitle=filters_text(state),
        height=SANKEY_HEIGHT,
        footer=[legend_key((rgba(*LINK_KINDS[kind][:2]), LINK_KINDS[kind][2]) for kind in present), caption],
        axis_space=12,
        source_line=source_line,
        narrow={
            "height": NARROW_SANKEY_HEIGHT,
            "annotations": narrow_annotations,
            "data": {0: sections[0][0]},  # same keys as the wide trace, so it replaces it
            "append": [sections[1][0]],
        },
    )}


def _untraced(links: pd.DataFrame) -> pd.DataFrame:
    """Remainder links from "Sellers not itemised" to a node no flow leaves (not a country)."""
    ends = set(links["source"])
    return links[(links["kind"] == "remainder") & (links["source"] == NOT_ITEMISED) & ~links["target"].isin(ends)]


def _sankey_trace(links: pd.DataFrame, domain: tuple[float, float], plot_px: int, *, titles: tuple[str, ...] = COLUMN_TITLES) -> tuple[dict, list[dict]]:
    """One Sankey trace of `links` in paper heights `domain`, and its annotations: the
    column titles above it and each node's count beside its label."""
    split = _machines_by_kind(links)
    nodes = _nodes(split, plot_px * (domain[1] - domain[0]))
    index = {(node.label, node.column): position for position, node in enumerate(nodes)}
    rows = named_rows(links)
    ends = [(index[(link.source, link.source_column)], index[(link.target, link.target_column)]) for link in rows]
    order = sorted(range(len(rows)), key=lambda position: (*ends[position], rows[position].kind))
    rows, ends = [rows[position] for position in order], [ends[position] for position in order]
    approximate = _approximate_nodes(rows)
    counts = _node_counts(rows)
    opaque = {"bgcolor": "white", "bordercolor": MUTED_TEXT, "font": {"color": TEXT_COLOUR}}
    kinds = [LINK_KINDS.get(link.kind, (NEUTRAL_GREY, 0.45, link.kind)) for link in rows]
    trace = {
        "type": "sankey",
        "arrangement": "fixed",  # positions are set; "snap" makes nodes draggable and swallows clicks
        "domain": {"x": [0, 1], "y": list(domain)},
        "valueformat": ",.0f",
        "valuesuffix": " machines",
        "textfont": {"size": 13, "color": TEXT_COLOUR},
        "node": {
            "label": [node.label for node in nodes],
            "x": [node.x for node in nodes],
            "y": [node.y for node in nodes],
            "sort": "input",
            "pad": _NODE_PAD_PX,
            "thickness": _NODE_THICKNESS,
            "color": [NEUTRAL_GREY if node.unknown else _NODE_COLOUR for node in nodes],
            "line": {"color": "white", "width": 0.5},
            "customdata": [_node_hover(node, split, approximate) for node in nodes],
            "hovertemplate": "%{customdata}<extra></extra>",
            "hoverlabel": opaque,
        },
        "link": {
            "source": [source for source, _ in ends],
            "target": [target for _, target in ends],
            "value": [float(link.machines) for link in rows],
            "color": [rgba(colour, alpha) for colour, alpha, _ in kinds],
            "customdata": [_link_hover(link) for link in rows],
            "hovertemplate": "%{customdata}<extra></extra>",
            "hoverlabel": opaque,
        },
    }
    if not nodes:
        return trace, []
    column_x = {node.column: node.x for node in nodes}
    last = max(column_x)
    annotations = [_column_title(titles[column], x, domain[1]) for column, x in sorted(column_x.items())]
    annotations += [_count_label(counts[(node.label, node.column)], node, node.column == last, domain) for node in nodes]
    return trace, annotations


def _node_counts(links: list) -> dict[tuple[str, int], str]:
    """Each node's machines as the data layer words them ('at least 12,345', 'about 1.57
    million'): a node fed by one link shows that link's `shown`; a node fed by several shows
    their sum, 'at least' or 'about' when any of them is so worded. `links`: rows of
    `sankey_links`, in the order they are drawn."""
    words = [_shown(link) for link in links]
    machines = [0 if pd.isna(link.machines) else link.machines for link in links]
    counts = {}
    for label_field, column_field in (("target", "target_column"), ("source", "source_column")):
        groups: dict[tuple[str, int], list[int]] = {}  # node → its links' positions, in order
        for position, link in enumerate(links):
            groups.setdefault((getattr(link, label_field), getattr(link, column_field)), []).append(position)
        for node, positions in groups.items():
            total = sum(machines[position] for position in positions)
            if node in counts and counts[node][0] >= total:
                continue
            texts = [words[position] for position in positions]
            if len(texts) == 1 and texts[0] and "+" not in texts[0]:
                text = texts[0]
            else:
                qualifier = next((word for word in ("at least", "at most", "about") if any(word in text for text in texts)), "")
                text = f"{qualifier} {total:,.0f}".strip()
            counts[node] = (total, text)
    return {key: text for key, (_, text) in counts.items()}


def _shown(link) -> str:
    """A link's count as quoted ('at least 12,345'), '' when the data gives none."""
    shown = getattr(link, "shown", "")
    return "" if pd.isna(shown) else str(shown)


def _count_label(text: str, node, last_column: bool, domain: tuple[float, float]) -> dict:
    """A node's count in a line under its label, on the label's side of the node."""
    shift = _NODE_THICKNESS / 2 + 6
    return {
        "text": escape(text), "xref": "paper", "yref": "paper", "x": node.x, "y": domain[1] - node.y * (domain[1] - domain[0]),
        "xanchor": "right" if last_column else "left", "yanchor": "top", "xshift": -shift if last_column else shift, "yshift": -8,
        "showarrow": False, "font": {"size": 11, "color": MUTED_TEXT},
    }


def _reconciliation(links: pd.DataFrame, untraced: pd.DataFrame) -> tuple[list[dict], list[tuple[str, float, str]]]:
    """The machines that left China as one bar, to scale from zero: those traced to a reported
    destination (the Sankey above), then each untraced remainder. Drawn as shapes: the app's
    plotly bundle has no bar traces."""
    traced = links[(links["source_column"] == 0) & ~links.index.isin(untraced.index)]
    shown = traced["shown"].fillna("").astype(str) if "shown" in traced else pd.Series("", index=traced.index)
    qualifier = next((word for word in ("at least", "about") if shown.str.contains(word).any()), "")
    parts = [("Traced to a destination (above)", float(traced["machines"].sum()), f"{qualifier} {traced['machines'].sum():,.0f}".strip())]
    parts += [(row.target, float(row.machines), getattr(row, "shown", "") or f"{row.machines:,.0f}") for row in named_rows(untraced)]
    total = sum(machines for _, machines, _ in parts) or 1.0
    shapes, start = [], 0.0
    for position, (_, machines, _) in enumerate(parts):
        shapes.append({
            "type": "rect", "xref": "paper", "yref": "paper", "x0": start / total, "x1": (start + machines) / total, "y0": _BAR_DOMAIN[0], "y1": _BAR_DOMAIN[1],
            "fillcolor": _RECONCILED_COLOURS[min(position, len(_RECONCILED_COLOURS) - 1)], "line": {"color": "white", "width": 1},
        })
        start += machines
    return shapes, parts


def _reconciliation_key(parts: list[tuple[str, float, str]], separator: str, width: int) -> dict:
    """The bar's key, above it: each part's colour, name and count."""
    key = wrap_html("All machines reported leaving China, to scale:<br>" + separator.join(
        f"<span style='color:{_RECONCILED_COLOURS[min(position, len(_RECONCILED_COLOURS) - 1)]}'>■</span> {escape(label)}: <b>{escape(text)}</b>" for position, (label, _, text) in enumerate(parts)
    ), width)
    return {
        "text": key, "xref": "paper", "yref": "paper", "x": 0, "y": _BAR_DOMAIN[1], "xanchor": "left", "yanchor": "bottom",
        "yshift": 2, "showarrow": False, "align": "left", "font": {"size": 11, "color": TEXT_COLOUR},
    }


def _column_title(title: str, x: float, top: float = _DOMAIN_TOP) -> dict:
    """A column's name above it, aligned so the outer ones stay inside the figure."""
    return {
        "text": f"<b>{title}</b>", "xref": "paper", "yref": "paper", "x": x, "y": top, "yshift": 6,
        "xanchor": "left" if x < 0.25 else "right" if x > 0.75 else "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 12},
    }


def node_table(links: pd.DataFrame, domain_px: float = _PLOT_PX * (_DOMAIN[1] - _DOMAIN[0])) -> pd.DataFrame:
    """One row per (label, column) in a stable order, with x and y positions.

    Order: column; named nodes, then "not identified" ones, then those reached only by derived
    remainders (both `unknown`, drawn grey); total machines descending; label. Input order never
    matters.
    """
    return pd.DataFrame(_nodes(_machines_by_kind(links), domain_px), columns=SankeyNode._fields)


#: A node as the Sankey draws it: grey (`unknown`) when not identified or reached only by remainders.
SankeyNode = namedtuple("SankeyNode", "label column total unknown x y")


def _nodes(split: _MachinesByKind, domain_px: float) -> list[SankeyNode]:
    """`node_table`'s rows, from the links' machines by kind (`_machines_by_kind`)."""
    nodes = [_node(label, column, split) for label, column in sorted({(label, column) for label, column, _ in split})]
    nodes.sort(key=lambda node: (node["column"], node["tier"], -node["total"], node["label"].lower()))
    _place(nodes, domain_px)
    return [SankeyNode(node["label"], node["column"], node["total"], node["unknown"], node["x"], node["y"]) for node in nodes]


def _machines_by_kind(links: pd.DataFrame) -> _MachinesByKind:
    """Each link counted as "out" at its source node and "in" at its target; kinds sorted."""
    split: _MachinesByKind = {}
    for side, label_field, column_field in (("out", "source", "source_column"), ("in", "target", "target_column")):
        for label, column, kind, machines in zip(links[label_field].tolist(), links[column_field].tolist(), links["kind"].tolist(), links["machines"].tolist()):
            by_kind = split.setdefault((label, column, side), {})
            by_kind[kind] = by_kind.get(kind, 0) + machines
    return {key: dict(sorted(by_kind.items())) for key, by_kind in split.items()}


def _node(label: str, column: int, split: _MachinesByKind) -> dict:
    """A node's total (machines in or out, whichever is larger) and its tier: 0 named,
    1 "not identified", 2 reached only by derived remainders."""
    incoming, outgoing = split.get((label, column, "in"), {}), split.get((label, column, "out"), {})
    tier = 2 if {*incoming, *outgoing} == {"remainder"} else 1 if "not identified" in label.lower() else 0
    total = float(max(sum(incoming.values()), sum(outgoing.values())))
    return {"label": label, "column": column, "total": total, "tier": tier, "unknown": tier > 0}


def _place(nodes: list[dict], domain_px: float) -> None:
    """Set each node's x (evenly by column) and y (the centre it would get stacked top-down in
    the list's order).

    Mirrors plotly's own scale (the fullest column fills the height) so "snap" barely moves
    anything; plotly ignores a position of exactly 0, hence the clipping to (0, 1).
    """
    if not nodes:  # a phone section with no links of its own (e.g. no seller named)
        return
    columns = sorted({node["column"] for node in nodes})
    stacks = [[node for node in nodes if node["column"] == column] for column in columns]
    pad = _NODE_PAD_PX / domain_px
    scale = min((1 - (len(stack) - 1) * pad) / max(sum(node["total"] for node in stack), 1) for stack in stacks)
    for position, stack in enumerate(stacks):
        x = position / (len(columns) - 1) if len(columns) > 1 else 0.5
        stacked = 0.0
        for row, node in enumerate(stack):
            height = node["total"] * scale
            stacked += height
            node["x"] = _inside(x)
            node["y"] = _inside(stacked - height + pad * row + height / 2)


def _inside(position: float) -> float:
    return min(max(position, 0.001), 0.999)


#: How the data words a count that is a bound or an approximation.
_LOOSE = re.compile("about|at least|at most|~")


def _approximate_nodes(links: list) -> set[str]:
    """Nodes touching a link (a row of `sankey_links`) whose count is a bound or an
    approximation ('about 12,300')."""
    loose = [link for link in links if _LOOSE.search(_shown(link))]
    return {link.source for link in loose} | {link.target for link in loose}


def _node_hover(node, split: _MachinesByKind, approximate: set[str] = frozenset()) -> str:
    """Name, total machines, and the split by kind on its larger side (plans are not receipts)."""
    incoming = split.get((node.label, node.column, "in"), {})
    outgoing = split.get((node.label, node.column, "out"), {})
    by_kind = outgoing if sum(outgoing.values()) >= sum(incoming.values()) else incoming
    about = "about " if node.label in approximate else ""
    lines = [f"<b>{escape(node.label)}</b>", f"Total: {about}{node.total:,.0f} machines"]
    if len(by_kind) > 1:
        lines += [f"{LINK_KINDS.get(kind, (None, None, kind))[2]}: {machines:,.0f}" for kind, machines in by_kind.items()]
    return "<br>".join(lines)


def _link_hover(link) -> str:
    """'A → B: 12,345 machines' (as quoted: 'about 12,300'), then kind, grade, note and sources."""
    shown = getattr(link, "shown", "")
    shown = shown if isinstance(shown, str) and shown else f"{link.machines:,.0f}"
    if "+" in shown:
        shown = f"{link.machines:,.0f} ({shown})"
    lines = [
        f"<b>{escape(link.source)} → {escape(link.target)}: {escape(shown)} machines</b>",
        "Kind: " + LINK_KINDS.get(link.kind, (None, None, escape(link.kind)))[2],
        "Confidence: " + escape(str(link.confidence).replace("_", " ")),
    ]
    if isinstance(link.note, str) and link.note:
        lines.append(wrap(link.note))
    lines.append(sources_text(link.source_names))
    return "<br>".join(lines)
