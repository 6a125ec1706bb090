"""Forward values beyond single tensors: subscripts of tensors (`x[:, :c]`), the
several tensors `chunk`/`split`/`unbind` give, and run-time sizes (`size(x)`).

Types only: how many pieces there are and what sizes they have is shape
inference's (shapes/forward_values.py), which knows the shapes.
"""

from __future__ import annotations

from .. import ir
from ..ops.tensor_ops import TensorOp
from . import types
from .consts import const_value
from .context import Context, Value

TENSOR = Value("tensor")
#: Forward values that are run-time numbers rather than tensors.
SCALARS = ("int", "float", "bool")


def op_result(op: TensorOp, call: ir.Call, known: dict[str, object]) -> Value:
    """What calling `op` gives: a tensor, several (with their count where the
    call's build-time arguments tell it), or sizes."""
    if op.gives == "sizes":
        return (
            Value("int")
            if _argument(op, call, "dim") is not None
            else Value("list[int]")
        )
    if op.gives != "tensors":
        return TENSOR
    return Value("tensors", arity=_pieces(op, call, known))


def _pieces(op: TensorOp, call: ir.Call, known: dict[str, object]) -> int | None:
    if op.name == "chunk":
        chunks = const_value(_argument(op, call, "chunks"), known)
        return chunks if isinstance(chunks, int) and chunks > 0 else None
    if op.name == "split":
        sections = _argument(op, call, "split_size_or_sections")
        if isinstance(sections, (ir.ListExpr, ir.TupleExpr)):
            return len(sections.items)
    return None  # `unbind`, `split` by a size: as many as the size gives


def _argument(op: TensorOp, call: ir.Call, name: str) -> ir.Node | None:
    for keyword in call.keywords:
        if keyword.name == name:
            return keyword.value
    names = [p.name for p in op.signature.params]
    positional = call.positional
    at = names.index(name)
    return positional[at] if at < len(positional) else None


class IndexChecks:
    """`x[...]` on a tensor, for the forward checker."""

    ctx: Context  # and `expr`, from ExprChecker

    def tensor_index(self, expr: ir.Subscript) -> Value:
        index = expr.index
        items = index.items if isinstance(index, ir.TupleExpr) else (index,)
        ellipses = [i for i in items if isinstance(i, ir.EllipsisExpr)]
        for extra in ellipses[1:]:
            self.ctx.error("an index can have only one `...`", extra.span)
        for item in items:
            if isinstance(item, ir.Slice):
                for part in (item.lower, item.upper, item.step):
                    if part is not None:
                        self._index_number(part, "a slice bound")
            elif isinstance(item, ir.Constant) and item.value is None:
                continue  # a new dim of size 1, as torch reads `x[:, None]`
            elif not isinstance(item, ir.EllipsisExpr):
                self._index_number(item, "an index")
        return TENSOR

    def _index_number(self, node: ir.Node, what: str) -> None:
        value = self.expr(node)  # type: ignore[attr-defined]
        if value.type not in ("int", "any"):
            self.ctx.error(
                f"{what} must be an int, got {types.describe(value.type)}",
                node.span,
                hint="index a tensor with ints, slices (`a:b:step`), `...` or None",
            )
