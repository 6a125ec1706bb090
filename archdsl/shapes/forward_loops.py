"""Shapes through loops and lists in `forward` (check/forward_loops.py checks
them): a loop runs once per child or per item of a build-time range, on shapes;
`features.append(y)` grows the list value."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..check.forward_loops import appended
from ..ir.walk import assigned, forward_statements
from ..ops.shapes import UNKNOWN
from .built import SeqModule
from .dicts import dict_items
from .tensors import UNKNOWN_TENSOR


def loop_items(inference, stmt: ir.FFor, values, block) -> list[Any] | None:
    """What the loop runs over, in order; None when known only at run time."""
    iterable = stmt.iter
    in_dict = dict_items(iterable, block)  # `blocks.items()`: shapes/dicts.py
    if in_dict is not None:
        return in_dict
    if isinstance(iterable, ir.Call) and isinstance(iterable.func, ir.Name):
        if iterable.func.id == "children":
            return [block.env.get(name, UNKNOWN) for name in block.members]
        items = inference.evaluator.expr(iterable, block.env)  # range, enumerate
        return list(items) if isinstance(items, (list, tuple, range)) else None
    if isinstance(iterable, ir.Name):
        container = block.env.get(iterable.id)
        if isinstance(container, SeqModule):
            return [child for _, child in container.children]
    return None


def run_for(inference, stmt: ir.FFor, values, block, path) -> Any:
    items = loop_items(inference, stmt, values, block)
    if items is None:
        for target in changed_by(stmt.body):
            values[target] = UNKNOWN_TENSOR
        return None
    for item in items:
        if len(stmt.targets) == 1:
            values[stmt.targets[0]] = item
        else:
            values.update(zip(stmt.targets, item, strict=False))
        result = inference.stmts(stmt.body, values, block, path)
        if result is not None:
            return result
    return None


def run_append(inference, stmt: ir.FCall, values, block, path) -> None:
    found = appended(stmt.call)
    if found is None or not found[2]:
        return
    name, _, args = found
    item = inference.expr(args[0].value, values, block, path)
    current = values.get(name)
    values[name] = [*current, item] if isinstance(current, list) else UNKNOWN_TENSOR


def changed_by(stmts) -> set[str]:
    """The values statements may change: what they assign and the lists they append
    to, in nested `if`s and loops too. Unknown after a loop or a branch that shape
    inference cannot follow."""
    changed = assigned(stmts)
    for stmt in forward_statements(stmts):
        if isinstance(stmt, ir.FCall) and (hit := appended(stmt.call)):
            changed.add(hit[0])
    return changed
