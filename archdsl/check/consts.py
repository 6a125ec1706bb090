"""Build-time values known at check time: literals and arithmetic over them.

Used where a check needs a number rather than a type (a base model's keyword
arguments, the features a new head expects). Anything not known is UNKNOWN and the
check that asked simply says nothing."""

from __future__ import annotations

import operator

from .. import ir

UNKNOWN = object()

#: Python's arithmetic, by the spelling of its operator (the evaluator of shape
#: inference applies the same table to symbolic sizes).
BINARY_OPS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
}  # fmt: skip


def const_value(expr: ir.Node, known: dict[str, object]) -> object:
    """The value of `expr` when it is computable from literals and `known` names."""
    if isinstance(expr, ir.Constant):
        return expr.value
    if isinstance(expr, ir.Name):
        return known.get(expr.id, UNKNOWN)
    if isinstance(expr, (ir.ListExpr, ir.TupleExpr)):
        items = [const_value(item, known) for item in expr.items]
        if any(item is UNKNOWN for item in items):
            return UNKNOWN
        return items if isinstance(expr, ir.ListExpr) else tuple(items)
    if isinstance(expr, ir.UnaryOp) and expr.op == "-":
        value = const_value(expr.operand, known)
        return -value if isinstance(value, (int, float)) else UNKNOWN
    if isinstance(expr, ir.BinOp) and expr.op in BINARY_OPS:
        left, right = const_value(expr.left, known), const_value(expr.right, known)
        if not all(isinstance(v, (int, float)) for v in (left, right)):
            return UNKNOWN
        if expr.op == "**" and abs(right) > 64:
            return UNKNOWN  # no 2 ** 10 ** 9 at check time
        try:
            return BINARY_OPS[expr.op](left, right)
        except (ArithmeticError, ValueError):
            return UNKNOWN
    return UNKNOWN
