"""What a picture of a trace shows at a given depth: boxes, clusters and the edges
between them, in a form both renderers (DOT and Mermaid) draw the same way.

`--depth N` shows module calls nested fewer than N levels deep (1: the model's own
members and ops, as `archdsl summary --depth 1`). A call whose inside is shown is a
cluster holding its steps; a deeper call is one box. An edge joins the step that
made a tensor to each step that reads it, labelled with the tensor's shape; a
tensor a cluster returns is drawn from the step inside that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ops.shapes import describe
from ..shapes.dims import Poly
from ..shapes.tensors import Tensor
from .trace import Step, Trace


@dataclass
class Box:
    id: str
    kind: str  # "input", "output", "module", "op", "value"
    name: str  # `down1`, `cat`, `x`; a Sequential's child by its key, `0`
    layer: str = ""  # a module's type: `Down`
    params: str = ""  # `221,696 params`; empty for none or unknown


@dataclass
class Cluster:
    id: str
    name: str
    layer: str
    params: str
    items: list[Box | Cluster] = field(default_factory=list)


@dataclass
class Edge:
    tail: str
    head: str
    label: str  # the tensor's shape


@dataclass
class Picture:
    title: str
    items: list[Box | Cluster]
    edges: list[Edge]


def layout(trace: Trace, depth: int) -> Picture:
    def shown(step: Step) -> bool:
        return step.depth < depth

    def is_cluster(step: Step) -> bool:
        return step.kind == "module" and any(shown(c) for c in step.children)

    def item(step: Step) -> Box | Cluster:
        if is_cluster(step):
            inside = [item(child) for child in step.children if shown(child)]
            return Cluster(step.id, _name(step), step.layer, _params(step), inside)
        return Box(step.id, step.kind, _name(step), step.layer, _params(step))

    def source(tensor: Tensor) -> str | None:
        """The shown step an edge carrying `tensor` starts at."""
        made = trace.made.get(id(tensor))
        while made is not None and is_cluster(made.step) and made.inner is not None:
            made = trace.made.get(id(made.inner))
        if made is None:
            return None
        step: Step | None = made.step
        while step is not None and not shown(step):  # made deep inside a box
            step = step.parent
        return step.id if step is not None else None

    edges = []
    for step in trace.steps:
        if not shown(step) or is_cluster(step):
            continue
        for tensor in step.inputs:
            tail = source(tensor)
            if tail is not None and tail != step.id:
                edges.append(Edge(tail, step.id, shape_of(tensor)))
    return Picture(trace.name, [item(step) for step in trace.top()], edges)


def shape_of(tensor: Tensor) -> str:
    return describe(tensor.dims) if tensor.dims is not None else "?"


def count(params: Any) -> str | None:
    """A parameter count as shown on a box: `38,848 params`; none for 0 or unknown."""
    if isinstance(params, int) and not isinstance(params, bool):
        return f"{params:,} params" if params else None
    if isinstance(params, Poly):
        return f"{params} params"
    if params == "shared":
        return "shared"
    return None


def _name(step: Step) -> str:
    """A Sequential's children by their key (`0`, `fc1`), as state_dict names them."""
    parent = step.parent
    if step.kind == "module" and parent is not None and parent.layer == "Sequential":
        return step.path.rpartition(".")[2]
    return step.name


def _params(step: Step) -> str:
    return count(step.params) or "" if step.kind == "module" else ""
