"""Generic traversal over IR expressions."""

from __future__ import annotations

from collections.abc import Iterator

from . import nodes as ir


def children(expr: ir.Node) -> Iterator[ir.Node]:
    """The direct sub-expressions of an expression, in source order."""
    for name in type(expr).model_fields:
        if name == "span":
            continue
        value = getattr(expr, name)
        if isinstance(value, ir.Node):
            yield value
        elif isinstance(value, tuple):
            yield from (v for v in value if isinstance(v, ir.Node))


def walk_expr(expr: ir.Node) -> Iterator[ir.Node]:
    """Pre-order walk of an expression and everything inside it."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(children(node))))
