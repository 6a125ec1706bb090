"""Shape inference for forward values beyond single tensors: subscripts of tensors,
unpacking several tensors (`a, b = chunk(x, 2)`), and run-time sizes, which stay
symbolic (`n, c, h, w = size(x)` gives `N`, `116`, `(H + 1) // 2`, ...), so that
`reshape(x, [n, g, c // g, h, w])` is checked like any shape."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..ops.shapes import UNKNOWN, ShapeProblem, Unknowable, describe
from ..ops.shapes.indexing import index
from ..source import Span
from .tensors import UNKNOWN_TENSOR, Tensor, origin


def _scalar(value: Any) -> bool:
    """A forward value that is not a tensor: a size, or a list of sizes."""
    if isinstance(value, list):
        return not any(isinstance(v, Tensor) for v in value)
    return not isinstance(value, Tensor)


class ForwardValues:
    """Mixed into Inference (infer.py), which provides `evaluator`, `expr` and
    `report`."""

    def env(self, values: dict[str, Any], block: Any) -> dict[str, Any]:
        """Build-time names with the forward's run-time sizes over them."""
        sizes = {k: v for k, v in values.items() if _scalar(v)}
        return {**block.env, **sizes} if sizes else block.env

    def scalar(self, node: ir.Node, values: dict[str, Any], block: Any) -> Any:
        return self.evaluator.expr(node, self.env(values, block))  # type: ignore[attr-defined]

    def subscript(self, node: ir.Subscript, values, block, path: str) -> Any:
        value = self.expr(node.value, values, block, path)  # type: ignore[attr-defined]
        if isinstance(value, Tensor):
            return self.tensor_subscript(node, value, values, block)
        found = self.scalar(node.index, values, block)
        if isinstance(value, list) and isinstance(found, int):
            if -len(value) <= found < len(value):
                return value[found]
        return UNKNOWN_TENSOR

    def tensor_subscript(self, node: ir.Subscript, tensor: Tensor, values, block):
        if tensor.dims is None:
            return UNKNOWN_TENSOR
        written = node.index
        items = written.items if isinstance(written, ir.TupleExpr) else (written,)
        try:
            result = index(
                tensor.dims, tuple(self._index_item(i, values, block) for i in items)
            )
        except ShapeProblem as problem:
            self.report(  # type: ignore[attr-defined]
                f"`[...]` {problem.message}",
                node.span,
                f"{problem.hint + '; ' if problem.hint else ''}the tensor "
                f"{describe(tensor.dims)} comes from {tensor.origin}",
            )
            return UNKNOWN_TENSOR
        except Unknowable:
            return UNKNOWN_TENSOR
        return Tensor(result, origin(node.span))

    def _index_item(self, item: ir.Node, values, block) -> Any:
        if isinstance(item, ir.EllipsisExpr):
            return Ellipsis
        if isinstance(item, ir.Slice):
            parts = (item.lower, item.upper, item.step)
            return slice(
                *(None if p is None else self.scalar(p, values, block) for p in parts)
            )
        return self.scalar(item, values, block)

    def size_values(self, bound: dict[str, Any]) -> Any:
        """`size(x)`: its sizes as values; `size(x, d)`: one of them."""
        tensor, dim = bound.get("input"), bound.get("dim")
        if not isinstance(tensor, Tensor) or tensor.dims is None:
            return UNKNOWN
        if dim is None:
            return list(tensor.dims)
        rank = len(tensor.dims)
        if isinstance(dim, int) and -rank <= dim < rank:
            return tensor.dims[dim]
        return UNKNOWN

    def unpack(self, targets: tuple[str, ...], value: Any, values, span: Span | None):
        """`a, b = value`: a list of the right length is taken apart; a list of
        another length is what Python refuses (ValueError at run time)."""
        parts = value if isinstance(value, list) else []
        if isinstance(value, list) and len(parts) != len(targets):
            self.report(  # type: ignore[attr-defined]
                f"this gives {len(parts)} value{'s' * (len(parts) != 1)} here, but "
                f"{len(targets)} names take them",
                span,
                "unpack as many names as there are values",
            )
        missing = UNKNOWN if value is UNKNOWN else UNKNOWN_TENSOR
        for i, target in enumerate(targets):
            values[target] = parts[i] if i < len(parts) else missing
