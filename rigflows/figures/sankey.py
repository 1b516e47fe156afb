"""The flow diagram: seller → destination country → receiver, link widths in machines.

Nodes are placed explicitly (x by column, y by a fixed order) so the same data always draws
the same picture: a chart in an article must match the one a reader opens from its link.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rigflows.figures.style import (
    NEUTRAL_GREY,
    OKABE_ITO,
    SANKEY_HEIGHT,
    SOURCE_LINE,
    TEXT_COLOUR,
    escape,
    filters_text,
    legend_key,
    named_rows,
    rgba,
    sources_text,
    themed_figure,
    wrap,
)
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
_NODE_COLOUR = "#4d4d4d"
_NODE_PAD_PX = 14
#: Rough plot-area height (figure minus title and footer), to turn node padding into y units.
_PLOT_PX = SANKEY_HEIGHT - 150
_DOMAIN_TOP = 0.93
#: Machines per link kind at each end of each node: {(label, column, "in" or "out"): {kind: machines}}.
_MachinesByKind = dict[tuple[str, int, str], dict[str, int]]


def build_sankey_figure(links: pd.DataFrame, state: ViewState, *, period: str = "", source_line: str = SOURCE_LINE) -> go.Figure:
    """Sankey of `select.sankey_links` (columns source, target, source_column, target_column,
    machines, kind, confidence, source_ids, note). `period` as in the map: 'to Nov 2021'.
    """
    nodes = node_table(links)
    index = {(row.label, row.column): position for position, row in enumerate(named_rows(nodes))}
    links = links.assign(
        source_index=[index[key] for key in zip(links["source"], links["source_column"])],
        target_index=[index[key] for key in zip(links["target"], links["target_column"])],
    ).sort_values(["source_index", "target_index", "kind"], kind="stable")
    kinds = [LINK_KINDS.get(kind, (NEUTRAL_GREY, 0.45, kind)) for kind in links["kind"]]
    split = _machines_by_kind(links)
    approximate = _approximate_nodes(links)

    sankey = {
        "type": "sankey",
        "arrangement": "fixed",  # positions are set; "snap" makes nodes draggable and swallows clicks
        "domain": {"x": [0, 1], "y": [0, _DOMAIN_TOP]},
        "valueformat": ",.0f",
        "valuesuffix": " machines",
        "textfont": {"size": 13, "color": TEXT_COLOUR},
        "node": {
            "label": nodes["label"].tolist(),
            "x": nodes["x"].to_numpy(),
            "y": nodes["y"].to_numpy(),
            "sort": "input",
            "pad": _NODE_PAD_PX,
            "thickness": 16,
            "color": [NEUTRAL_GREY if unknown else _NODE_COLOUR for unknown in nodes["unknown"]],
            "line": {"color": "white", "width": 0.5},
            "customdata": [_node_hover(row, split, approximate) for row in named_rows(nodes)],
            "hovertemplate": "%{customdata}<extra></extra>",
        },
        "link": {
            "source": links["source_index"].to_numpy(),
            "target": links["target_index"].to_numpy(),
            "value": links["machines"].astype(float).to_numpy(),
            "color": [rgba(colour, alpha) for colour, alpha, _ in kinds],
            "customdata": [_link_hover(link) for link in named_rows(links)],
            "hovertemplate": "%{customdata}<extra></extra>",
        },
    }
    column_x = dict(zip(nodes["column"], nodes["x"]))
    column_titles = [_column_title(column, x) for column, x in sorted(column_x.items())]

    present = [kind for kind in LINK_KINDS if kind in set(links["kind"])]
    caption = "Link width = number of machines."
    if "remainder" in present:
        caption += " Remainders are derived: a reported total minus the flows attributed to it (hover for the arithmetic; 'about' and 'at most' where the figures are bounds)."
    else:
        caption += " Unattributed remainders are not shown in this view."
    title = "Machines leaving China: seller → country → receiver" + (f", {period}" if period else "")
    return themed_figure(
        [sankey],
        {"annotations": column_titles},
        title,
        subtitle=filters_text(state),
        height=SANKEY_HEIGHT,
        footer=[legend_key((rgba(*LINK_KINDS[kind][:2]), LINK_KINDS[kind][2]) for kind in present), caption],
        axis_space=12,
        source_line=source_line,
    )


def _column_title(column: int, x: float) -> dict:
    """A column's name above it, aligned so the outer ones stay inside the figure."""
    return {
        "text": f"<b>{COLUMN_TITLES[column]}</b>", "xref": "paper", "yref": "paper", "x": x, "y": 1,
        "xanchor": "left" if x < 0.25 else "right" if x > 0.75 else "center", "yanchor": "top", "showarrow": False,
    }


def node_table(links: pd.DataFrame) -> pd.DataFrame:
    """One row per (label, column) in a stable order, with x and y positions.

    Order: column; named nodes, then "not identified" ones, then those reached only by derived
    remainders (both `unknown`, drawn grey); total machines descending; label. Input order never
    matters.
    """
    split = _machines_by_kind(links)
    nodes = [_node(label, column, split) for label, column in sorted({(label, column) for label, column, _ in split})]
    nodes.sort(key=lambda node: (node["column"], node["tier"], -node["total"], node["label"].lower()))
    _place(nodes)
    return pd.DataFrame(nodes, columns=["label", "column", "total", "unknown", "x", "y"])


def _machines_by_kind(links: pd.DataFrame) -> _MachinesByKind:
    """Each link counted as "out" at its source node and "in" at its target; kinds sorted."""
    split: _MachinesByKind = {}
    for side, label_field, column_field in (("out", "source", "source_column"), ("in", "target", "target_column")):
        for label, column, kind, machines in zip(links[label_field], links[column_field], links["kind"], links["machines"]):
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


def _place(nodes: list[dict]) -> None:
    """Set each node's x (evenly by column) and y (the centre it would get stacked top-down in
    the list's order).

    Mirrors plotly's own scale (the fullest column fills the height) so "snap" barely moves
    anything; plotly ignores a position of exactly 0, hence the clipping to (0, 1).
    """
    columns = sorted({node["column"] for node in nodes})
    stacks = [[node for node in nodes if node["column"] == column] for column in columns]
    pad = _NODE_PAD_PX / (_PLOT_PX * _DOMAIN_TOP)
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


def _approximate_nodes(links: pd.DataFrame) -> set[str]:
    """Nodes touching a link whose count is a bound or an approximation ('about 12,300')."""
    shown = links["shown"] if "shown" in links else pd.Series("", index=links.index)
    loose = shown.fillna("").str.contains("about|at least|at most|~")
    return set(links.loc[loose, "source"]) | set(links.loc[loose, "target"])


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
    lines.append(sources_text(link.source_ids))
    return "<br>".join(lines)
