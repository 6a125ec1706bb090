"""Loops and lists in `forward` (issue 12, item 3): `for layer in children()` (or
over a ModuleList or Sequential member, or `range(k)` with build-time bounds),
and lists of tensors grown with `append`, as DenseNet's `_DenseBlock` does:

    features = [init_features]
    for layer in children() { features.append(layer(cat(features, 1))) }
    return cat(features, 1)

Generated as the same Python loop, not unrolled."""

from __future__ import annotations

from .. import ir
from ..ops.layers import SEQUENCES
from . import types
from .context import ModuleRef, Symbol, Value
from .forward_dicts import dict_loop


def loop_items(checker, stmt: ir.FFor) -> Value | None:
    """What each pass of the loop binds: a module, or a build-time value; None
    after reporting an iterable a forward cannot loop over."""
    iterable = stmt.iter
    if _is_children(iterable):
        if not checker.info.members and not checker.info.named_children:
            checker.ctx.error(f"`{checker.info.name}` has no children", iterable.span)
        return Value("module", ModuleRef("child", None, None))
    if isinstance(iterable, ir.Name):
        symbol = checker.scope.lookup(iterable.id)
        if symbol is not None and symbol.kind == "member":
            ref = symbol.value.module
            if ref is not None and ref.label in SEQUENCES:
                return Value("module", ModuleRef("child", None, None))
    if (
        isinstance(iterable, ir.Call)
        and isinstance(iterable.func, ir.Name)
        and (iterable.func.id in ("range", "enumerate", "zip"))
    ):
        value = checker.expr(iterable)
        return Value(types.item(value.type))
    checker.ctx.error(
        "`forward` loops over `children()`, a ModuleList, Sequential or ModuleDict "
        "member, or `range(k)`",
        iterable.span,
        hint="a loop over tensors would need their number at build time",
    )
    return None


def check_forward_for(checker, stmt: ir.FFor) -> None:
    per_target = dict_loop(checker, stmt)  # over a ModuleDict: forward_dicts.py
    if per_target is not None:
        for target, value in zip(stmt.targets, per_target, strict=True):
            kind = "member" if value.type == "module" else "loop"
            if kind == "member":
                checker.info.loop_modules.add(target)
            checker.scope.symbols[target] = Symbol(target, kind, value, stmt.span)
        checker.stmts(stmt.body)
        return
    item = loop_items(checker, stmt)
    for target in stmt.targets:
        kind = "loop" if item is None or item.type != "module" else "member"
        if kind == "member":
            checker.info.loop_modules.add(target)
        value = item or Value("any")
        if len(stmt.targets) > 1:
            value = Value("any")
        checker.scope.symbols[target] = Symbol(target, kind, value, stmt.span)
    checker.stmts(stmt.body)


def appended(call: ir.Call) -> tuple[str, str, tuple] | None:
    """`features.append(y)` as (list, method, arguments): written so, or as the
    method-call lowering leaves it (`append(features, y)`)."""
    func = call.func
    if isinstance(func, ir.Path) and len(func.parts) == 2:
        return func.parts[0], func.parts[1], call.args
    first = call.args[0] if call.args else None
    if (
        isinstance(func, ir.Name)
        and isinstance(first, ir.Positional)
        and isinstance(first.value, ir.Name)
    ):
        return first.value.id, func.id, call.args[1:]
    return None


def check_forward_call(checker, stmt: ir.FCall) -> None:
    """`features.append(y)`: `features` a list of tensors made in this forward."""
    found = appended(stmt.call)
    symbol = checker.scope.lookup(found[0]) if found else None
    if (
        found is None
        or found[1] != "append"
        or symbol is None
        or symbol.kind not in ("value", "input")
        or symbol.value.type not in ("tensors", "list", "any")
    ):
        checker.ctx.error(
            "a call on its own line in `forward` may only append to a list of "
            "tensors made there (`features = [x]`, then `features.append(y)`)",
            stmt.call.span,
        )
        return
    args = found[2]
    if len(args) != 1 or not isinstance(args[0], ir.Positional):
        checker.ctx.error("`append` takes one tensor", stmt.call.span)
        return
    value = checker.expr(args[0].value)
    checker._expect_tensors(value, args[0].value, 1)
    symbol.value = Value("tensors", arity=None)  # how many: known at run time


def _is_children(expr: ir.Node) -> bool:
    return (
        isinstance(expr, ir.Call)
        and isinstance(expr.func, ir.Name)
        and expr.func.id == "children"
        and not expr.args
    )
