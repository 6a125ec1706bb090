"""Lists of tensors in forward, as DenseNet passes them, restructured the way
specs/zoo/densenet.arch writes them.

torchvision's `_DenseLayer.forward` takes a list of tensors and joins it first
(`torch.cat(inputs, 1)`); a `.arch` forward takes tensors. So a module whose one
input is only ever joined takes the joined tensor instead, and its callers join the
list they pass: `layer(cat(features, 1))` computes what `layer(features)` did,
bit for bit, gradients included.

`_DenseBlock.forward` grows a list over its children (`features = [init]; for name,
layer in self.items(): features.append(layer(features)); return torch.cat(features,
1)`), which torch.fx traces unrolled: one call per child, each passed the list so
far. That unrolled pattern, over every child in order, is written back as the loop
(`ChildLoop`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.fx as fx
from torch import nn

from ..check.names import why_reserved
from .exprs import (
    AddLoop,
    BinOp,
    Call,
    ListE,
    Lit,
    Name,
    literals,
    replace_literals,
    shape_key,
)
from .forward import Forward, trace

#: What the loop over the children calls its list and each child, unless taken.
LIST_NAME, CHILD_NAME = "features", "layer"


@dataclass(frozen=True)
class ChildLoop:
    """`for layer in children() { features.append(layer(cat(features, dim))) }`."""

    features: str
    layer: str
    dim: int

    def lines(self, indent: str, step: str) -> list[str]:
        return [
            f"{indent}for {self.layer} in children() {{",
            f"{indent}{step}{self._grown()}",
            f"{indent}}}",
        ]

    def text(self) -> str:
        return f"for {self.layer} in children() {{ {self._grown()} }}"

    def _grown(self) -> str:
        joined = f"{self.layer}(cat({self.features}, {self.dim}))"
        return f"{self.features}.append({joined})"


def joined_dim(graph: fx.Graph) -> int | None:
    """The dim a forward joins its one input along, when the input is a list
    used only by `torch.cat(input, dim)`; None otherwise."""
    inputs = [n for n in graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1 or len(inputs[0].users) != 1:
        return None
    (join,) = inputs[0].users
    if join.op != "call_function" or join.target is not torch.cat:
        return None
    if not join.args or join.args[0] is not inputs[0]:
        return None
    dim = _dim(join)
    return dim if isinstance(dim, int) else None


def take_joined(graph: fx.Graph) -> None:
    """The forward takes the joined tensor: its `torch.cat` of the input goes."""
    (join,) = next(n for n in graph.nodes if n.op == "placeholder").users
    join.replace_all_uses_with(join.args[0])
    graph.erase_node(join)


class Joins:
    """Which children join the list they are passed (traced once per module)."""

    def __init__(self) -> None:
        self._dims: dict[int, int | None] = {}

    def dim(self, module: nn.Module) -> int | None:
        key = id(module)
        if key not in self._dims:
            try:
                self._dims[key] = joined_dim(trace(module))
            except Exception:  # what fx cannot trace is reported where it is defined
                self._dims[key] = None
        return self._dims[key]

    def join_arguments(self, graph: fx.Graph, module: nn.Module) -> None:
        """Each call passing a list to a child that joins it passes the joined
        tensor instead: `denselayer1(cat([x], 1))`."""
        children = dict(module.named_children())
        for node in list(graph.nodes):
            if node.op != "call_module" or node.target not in children:
                continue
            if len(node.args) != 1 or not isinstance(node.args[0], (list, tuple)):
                continue
            dim = self.dim(children[node.target])
            if dim is None:
                continue
            with graph.inserting_before(node):
                joined = graph.call_function(torch.cat, (node.args[0], dim))
            node.args = (joined,)

    def child_loop(
        self, graph: fx.Graph, module: nn.Module, taken: set[str]
    ) -> Forward | None:
        """The forward of a module that grows a list over its children, or None."""
        nodes = list(graph.nodes)
        inputs = [n for n in nodes if n.op == "placeholder"]
        calls = [n for n in nodes if n.op == "call_module"]
        names = [name for name, _ in module.named_children()]
        if len(inputs) != 1 or not calls or [c.target for c in calls] != names:
            return None
        grown = [inputs[0]]
        for call in calls:
            if call.kwargs or len(call.args) != 1 or not _is_list(call.args[0], grown):
                return None
            grown.append(call)
        result = next(n for n in nodes if n.op == "output").args[0]
        if (
            len(nodes) != len(calls) + 3  # the input, the calls, the cat, the output
            or not isinstance(result, fx.Node)
            or result.target is not torch.cat
            or not _is_list(result.args[0], grown)
            or not isinstance(_dim(result), int)
        ):
            return None
        dims = {self.dim(child) for child in module.children()}
        if len(dims) != 1 or None in dims:
            return None
        loop = ChildLoop(_free(LIST_NAME, taken), _free(CHILD_NAME, taken), dims.pop())
        start = ListE((Name(inputs[0].name),))
        joined = Call("cat", (Name(loop.features), Lit(_dim(result), "dim")))
        return Forward(
            [inputs[0].name], [((loop.features,), start), ((), loop)], (joined,)
        )


def _dim(join: fx.Node) -> object:
    return join.args[1] if len(join.args) > 1 else join.kwargs.get("dim", 0)


def _is_list(value: object, items: list[fx.Node]) -> bool:
    return isinstance(value, (list, tuple)) and list(value) == items


def _free(name: str, taken: set[str]) -> str:
    n = 1
    found = name
    while found in taken or why_reserved(found) is not None:
        n += 1
        found = f"{name}{n}"
    return found


def member_loop(members: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """The members of a module whose forward loops over its children, when they
    are `prefix1` ... `prefixN` in order, calls of one structure whose numbers
    either stay or grow by a fixed step with the index: one build-time loop
    (`_DenseLayer(num_input_features + i * growth_rate)`). Otherwise unchanged."""
    found = [re.fullmatch(r"(\w*?)(\d+)", name) for name, _ in members]
    if len(members) < 2 or None in found or len({m[1] for m in found}) != 1:
        return members
    first = int(found[0][2])
    if [int(m[2]) for m in found] != list(range(first, first + len(members))):
        return members
    items = [expr for _, expr in members]
    if not isinstance(items[0], Call) or len({shape_key(e) for e in items}) != 1:
        return members
    slots = [list(literals(e)) for e in items]
    grown = []
    for j, lit in enumerate(slots[0]):
        step = _step([s[j].value for s in slots])
        if step is None:
            return members
        by_index = BinOp("+", lit, BinOp("*", Name("i"), Lit(step)))
        grown.append(lit if step == 0 else by_index)
    item = replace_literals(items[0], iter(grown))
    count = Lit(len(members), "num_layers")
    return [(found[0][1], AddLoop(found[0][1], first, count, item))]


def _step(values: list) -> int | None:
    """0 for values that stay, the step of an arithmetic series of ints, or None."""
    if all(type(v) is type(values[0]) and v == values[0] for v in values):
        return 0
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    step = values[1] - values[0]
    series = all(v == values[0] + k * step for k, v in enumerate(values))
    return step if series else None
