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

from dataclasses import dataclass

import torch
import torch.fx as fx
from torch import nn

from ..check.names import why_reserved
from .exprs import Call, ListE, Lit, Name
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
