"""Shape inference for forward values beyond single tensors: subscripts of tensors,
unpacking several tensors (`a, b = chunk(x, 2)`), and run-time sizes, which stay
symbolic (`n, c, h, w = size(x)` gives `N`, `116`, `(H + 1) // 2`, ...), so that
`reshape(x, [n, g, c // g, h, w])` is checked like any shape."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..check.layer_options import positional_only
from ..check.training import mentions_training
from ..ops.shapes import UNKNOWN, ShapeDepends, ShapeProblem, Unknowable, describe
from ..ops.shapes.indexing import index
from ..source import Span
from .built import BlockModule
from .tensors import UNKNOWN_TENSOR, Tensor, origin
from .values import truth


def _scalar(value: Any) -> bool:
    """A forward value that is not a tensor: a size, or a list of sizes."""
    if isinstance(value, list):
        return not any(isinstance(v, Tensor) for v in value)
    return not isinstance(value, Tensor)


class ForwardValues:
    """Mixed into Inference (infer.py), which provides `evaluator`, `expr`,
    `stmts`, `report` and the summary's `rows`."""

    #: `training` as forward reads it: shapes are those of eval mode, and branches
    #: taken in training are followed too, for their diagnostics only
    training_mode = False

    def env(self, values: dict[str, Any], block: Any) -> dict[str, Any]:
        """Build-time names with the forward's run-time values over them."""
        sizes = {k: v for k, v in values.items() if _scalar(v)}
        return {**block.env, **sizes, "training": self.training_mode}

    def branch_taken(self, stmt: ir.FIf, values, block, path: str) -> bool | None:
        """Which branch of a forward `if` runs (None: not known here). One on
        `training` is first run as in training mode, on a copy of the values,
        without summary rows: its problems are reported, its results dropped."""
        if not self.training_mode and mentions_training(stmt.cond):
            rows, first_rows = list(self.rows), dict(self._row_at)  # type: ignore[attr-defined]
            self.training_mode = True
            try:
                taken = truth(self.scalar(stmt.cond, values, block))
                if taken is not None:
                    branch = stmt.then if taken else stmt.orelse
                    self.stmts(branch, dict(values), block, path)  # type: ignore[attr-defined]
            finally:
                self.training_mode = False
                self.rows[:], self._row_at = rows, first_rows  # type: ignore[attr-defined]
        return truth(self.scalar(stmt.cond, values, block))

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
        except ShapeDepends as problem:  # `x[:, :, :2]` of a size H: H >= 2
            self.warn_depends("`[...]`", problem, node.span)  # type: ignore[attr-defined]
            result = problem.result
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

    def by_position(self, node: ir.Call, args: list[Any], module: Any) -> list[Any]:
        """A block's inputs given by keyword, in the order its forward takes them."""
        if not node.keywords:
            return args
        if not isinstance(module, BlockModule):  # a layer's options (need_weights)
            return positional_only(node, args)
        forward = module.info.forward
        names = [i.name for i in forward.inputs] if forward else []
        given = dict(zip(names, args, strict=False))  # the positional ones first
        for arg, value in zip(node.args, args, strict=True):
            if isinstance(arg, ir.Keyword):
                given[arg.name] = value
        return [given.get(name, UNKNOWN_TENSOR) for name in names]

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
