"""A Picture as Graphviz DOT, written with the `graphviz` package. `archdsl graph`
has a `dot` program draw it (SVG, PNG, PDF); the source needs none."""

from __future__ import annotations

import html

import graphviz

from .layout import Box, Cluster, Picture

FONT = "Helvetica"

#: How each kind of step looks: inputs and outputs as pills, module calls as
#: boxes, tensor ops as small ellipses, other tensors (parameters) dashed boxes.
STYLES = {
    "input": {"shape": "oval", "fillcolor": "#dbeafe", "color": "#3b82f6"},
    "output": {"shape": "oval", "fillcolor": "#dcfce7", "color": "#22c55e"},
    "module": {"shape": "box", "fillcolor": "#fef3c7", "color": "#d97706"},
    "value": {"shape": "box", "style": "rounded,filled,dashed",
              "fillcolor": "#ede9fe", "color": "#8b5cf6"},
    "op": {"shape": "ellipse", "fillcolor": "#f3f4f6", "color": "#9ca3af",
           "fontsize": "10", "margin": "0.05,0.02", "height": "0.3"},
}  # fmt: skip


def to_dot(picture: Picture) -> graphviz.Digraph:
    graph = graphviz.Digraph(picture.title)
    graph.attr(rankdir="TB", fontname=FONT, nodesep="0.3", ranksep="0.35",
               bgcolor="white", labelloc="t", labeljust="l")  # fmt: skip
    graph.attr("node", fontname=FONT, fontsize="11", style="rounded,filled")
    graph.attr("edge", fontname=FONT, fontsize="9", fontcolor="#4b5563",
               color="#6b7280", arrowsize="0.6")  # fmt: skip
    _add(graph, picture.items)
    for edge in picture.edges:
        graph.edge(edge.tail, edge.head, label=f" {edge.label} ")
    return graph


def _add(graph: graphviz.Digraph, items: list[Box | Cluster]) -> None:
    for item in items:
        if isinstance(item, Cluster):
            # Graphviz draws a subgraph as a box only when its name starts "cluster".
            with graph.subgraph(name=f"cluster_{item.id}") as sub:
                sub.attr(label=_html(item),
                         style="rounded,dashed", color="#9ca3af", fontsize="10",
                         labeljust="l", margin="10")  # fmt: skip
                _add(sub, item.items)
        else:
            label = _html(item)
            graph.node(item.id, label=label, **STYLES[item.kind])


def _html(item: Box | Cluster) -> str:
    """An HTML-like label: the name in bold, then its type and parameters, small.
    One run of text per line: a browser whose font is wider than the one `dot`
    measured with then only widens a line, never overlaps two runs of it."""
    text = f"<b>{html.escape(item.name)}</b>"
    shown = item.layer if item.layer and item.layer != item.name else ""
    detail = " · ".join(part for part in (shown, item.params) if part)
    if detail:
        text += (
            f'<br/><font point-size="9" color="#4b5563">{html.escape(detail)}</font>'
        )
    return f"<{text}>"
