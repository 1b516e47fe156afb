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
    TEXT_COLOUR,
    escape,
    filters_text,
    legend_key,
    rgba,
    sources_text,
    themed,
    wrap,
)
from rigflows.state import ViewState

#: Link colour, opacity and key label per flow kind. Plans are pale and a different hue: they
#: are shown for completeness but are not machines received.
LINK_KINDS = {
    "relocation": (OKABE_ITO["blue"], 0.55, "Relocation"),
    "new_sale": (OKABE_ITO["orange"], 0.6, "New sale"),
    "plan_or_request": (OKABE_ITO["purple"], 0.35, "Plan or request (not counted as received)"),
    "remainder": (NEUTRAL_GREY, 0.45, "Remainder (derived, not attributed)"),
}
COLUMN_TITLES = ("Seller or shipper", "Destination country", "Receiving farm or operator")
_NODE_COLOUR = "#4d4d4d"
_NODE_PAD_PX = 14
#: Rough plot-area height (figure minus title and footer), to turn node padding into y units.
_PLOT_PX = SANKEY_HEIGHT - 150
_DOMAIN_TOP = 0.93


def build_sankey_figure(links: pd.DataFrame, state: ViewState, *, period: str = "") -> go.Figure:
    """Sankey of `select.sankey_links` (columns source, target, source_column, target_column,
    machines, kind, confidence, source_ids, note). `period` as in the map: 'to Nov 2021'.
    """
    nodes = node_table(links)
    index = {(row.label, row.column): position for position, row in enumerate(nodes.itertuples())}
    links = links.assign(
        source_index=[index[key] for key in zip(links["source"], links["source_column"])],
        target_index=[index[key] for key in zip(links["target"], links["target_column"])],
    ).sort_values(["source_index", "target_index", "kind"], kind="stable")
    kinds = [LINK_KINDS.get(kind, (NEUTRAL_GREY, 0.45, kind)) for kind in links["kind"]]

    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            domain={"x": [0, 1], "y": [0, _DOMAIN_TOP]},
            valueformat=",.0f",
            valuesuffix=" machines",
            textfont={"size": 13, "color": TEXT_COLOUR},
            node={
                "label": nodes["label"],
                "x": nodes["x"],
                "y": nodes["y"],
                "sort": "input",
                "pad": _NODE_PAD_PX,
                "thickness": 16,
                "color": [NEUTRAL_GREY if unknown else _NODE_COLOUR for unknown in nodes["unknown"]],
                "line": {"color": "white", "width": 0.5},
                "customdata": [_node_hover(row, links) for row in nodes.itertuples()],
                "hovertemplate": "%{customdata}<extra></extra>",
            },
            link={
                "source": links["source_index"],
                "target": links["target_index"],
                "value": links["machines"].astype(float),
                "color": [rgba(colour, alpha) for colour, alpha, _ in kinds],
                "customdata": [_link_hover(link) for link in links.itertuples()],
                "hovertemplate": "%{customdata}<extra></extra>",
            },
        )
    )
    columns = sorted(nodes["column"].unique())
    for column in columns:
        x = nodes.loc[nodes["column"] == column, "x"].iloc[0]
        figure.add_annotation(
            text=f"<b>{COLUMN_TITLES[column]}</b>", xref="paper", yref="paper", x=x, y=1,
            xanchor="left" if x < 0.25 else "right" if x > 0.75 else "center", yanchor="top", showarrow=False,
        )

    present = [kind for kind in LINK_KINDS if kind in set(links["kind"])]
    caption = "Link width = number of machines."
    if "remainder" in present:
        caption += " Remainders are derived: a reported total minus the flows attributed to it, so approximate."
    else:
        caption += " Unattributed remainders are not shown in this view."
    title = "Machines leaving China: seller → country → receiver" + (f", {period}" if period else "")
    return themed(
        figure,
        title,
        subtitle=filters_text(state),
        height=SANKEY_HEIGHT,
        footer=[legend_key((rgba(*LINK_KINDS[kind][:2]), LINK_KINDS[kind][2]) for kind in present), caption],
        axis_space=12,
    )


def node_table(links: pd.DataFrame) -> pd.DataFrame:
    """One row per (label, column) in a stable order, with x and y positions.

    Order: column; named nodes, then "not identified" ones, then those reached only by derived
    remainders (both `unknown`, drawn grey); total machines descending; label. Input order never
    matters.
    """
    ends = pd.concat(
        [
            links[["source", "source_column", "machines", "kind"]].set_axis(["label", "column", "machines", "kind"], axis=1).assign(side="out"),
            links[["target", "target_column", "machines", "kind"]].set_axis(["label", "column", "machines", "kind"], axis=1).assign(side="in"),
        ]
    )
    sums = ends.pivot_table(index=["label", "column"], columns="side", values="machines", aggfunc="sum", fill_value=0)
    nodes = pd.DataFrame(
        {
            "label": sums.index.get_level_values("label"),
            "column": sums.index.get_level_values("column").astype(int),
            "total": sums.reindex(columns=["in", "out"], fill_value=0).max(axis=1).astype(float).to_numpy(),
        }
    )
    only_remainder = ends.assign(derived=ends["kind"] == "remainder").groupby(["label", "column"])["derived"].all()
    tier = [2 if only_remainder[key] else 1 if "not identified" in key[0].lower() else 0 for key in zip(nodes["label"], nodes["column"])]
    nodes = nodes.assign(tier=tier, unknown=[value > 0 for value in tier], order=nodes["label"].str.lower())
    nodes = nodes.sort_values(["column", "tier", "total", "order"], ascending=[True, True, False, True])
    nodes = nodes.drop(columns=["tier", "order"]).reset_index(drop=True)
    return _place(nodes)


def _place(nodes: pd.DataFrame) -> pd.DataFrame:
    """x evenly by column; y the centre each node would get stacked top-down in that order.

    Mirrors plotly's own scale (the fullest column fills the height) so "snap" barely moves
    anything; plotly ignores a position of exactly 0, hence the clipping to (0, 1).
    """
    columns = sorted(nodes["column"].unique())
    x_of = {column: (position / (len(columns) - 1) if len(columns) > 1 else 0.5) for position, column in enumerate(columns)}
    pad = _NODE_PAD_PX / (_PLOT_PX * _DOMAIN_TOP)
    by_column = nodes.groupby("column")
    scale = min((1 - (len(group) - 1) * pad) / max(group["total"].sum(), 1) for _, group in by_column)
    y = pd.Series(0.0, index=nodes.index)
    for _, group in by_column:
        heights = group["total"] * scale
        tops = heights.cumsum() - heights + pad * pd.Series(range(len(group)), index=group.index)
        y[group.index] = tops + heights / 2
    return nodes.assign(x=nodes["column"].map(x_of).clip(0.001, 0.999), y=y.clip(0.001, 0.999))


def _node_hover(node, links: pd.DataFrame) -> str:
    """Name, total machines, and the split by kind on its larger side (plans are not receipts)."""
    incoming = links[(links["target"] == node.label) & (links["target_column"] == node.column)]
    outgoing = links[(links["source"] == node.label) & (links["source_column"] == node.column)]
    side = outgoing if outgoing["machines"].sum() >= incoming["machines"].sum() else incoming
    lines = [f"<b>{escape(node.label)}</b>", f"Total: {node.total:,.0f} machines"]
    split = side.groupby("kind")["machines"].sum()
    if len(split) > 1:
        lines += [f"{LINK_KINDS.get(kind, (None, None, kind))[2]}: {machines:,.0f}" for kind, machines in split.items()]
    return "<br>".join(lines)


def _link_hover(link) -> str:
    """'A → B: 205,000 machines', then kind, confidence grade, note and source ids."""
    lines = [
        f"<b>{escape(link.source)} → {escape(link.target)}: {link.machines:,.0f} machines</b>",
        "Kind: " + LINK_KINDS.get(link.kind, (None, None, escape(link.kind)))[2],
        "Confidence: " + escape(str(link.confidence).replace("_", " ")),
    ]
    if isinstance(link.note, str) and link.note:
        lines.append(wrap(link.note))
    lines.append(sources_text(link.source_ids))
    return "<br>".join(lines)
