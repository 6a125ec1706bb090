"""Build-time loops in a body (issue 12, items 3 and 4), as torchvision's
constructors write them: `for v in cfg { ... }` with constants updated on the way
(`num_features = num_features + num_layers * growth_rate`), children named when
the model is built (`add_module("denselayer" + str(i + 1), DenseLayer(...))`) and
modules appended to a container member (`features.append(MaxPool2d(2))`)."""

from __future__ import annotations

from .. import ir
from ..ops.layers import SEQUENCES
from . import types
from .context import Symbol, Value
from .limits import iterations

#: A container member's methods a body may call, with the types of their arguments.
CONTAINER_METHODS = {
    "append": ("module",),
    "extend": ("list",),
    "add_module": ("str", "module"),
}


def check_for(checker, stmt: ir.For) -> None:
    """The loop's variables are visible in its body only; what it builds is
    counted once per pass when the number of passes is known here."""
    iterable = checker.expr(stmt.iter)
    if types.base(iterable.type) not in ("list", "tuple", "any"):
        checker.ctx.error(
            f"cannot loop over {types.describe(iterable.type)}",
            stmt.iter.span,
            hint="loop over a list, `range(n)`, `zip(...)` or `enumerate(...)`",
        )
    count = iterations(stmt.iter, checker.known)
    outer, outer_repeat = checker.enter_loop(stmt.targets, iterable, count, stmt.span)
    checker.loops += 1
    try:
        checker.body(stmt.body)
    finally:
        inner = checker.scope
        checker.scope, checker.repeat = outer, outer_repeat
        checker.loops -= 1
    for name, symbol in inner.symbols.items():  # as in Python, they outlive the loop
        if symbol.kind != "loop":
            outer.symbols.setdefault(name, symbol)


def check_call_stmt(checker, stmt: ir.CallStmt) -> None:
    call = stmt.call
    values = checker.args(call)
    func = call.func
    if isinstance(func, ir.Name) and func.id == "add_module":
        _expect(checker, "add_module", ("str", "module"), call, values)
        checker.info.named_children = True
        return
    if isinstance(func, ir.Path) and len(func.parts) == 2:
        symbol = checker.scope.lookup(func.parts[0])
        method = func.parts[1]
        if symbol is not None and symbol.kind == "member":
            ref = symbol.value.module
            if (
                ref is not None
                and ref.label in SEQUENCES
                and method in CONTAINER_METHODS
            ):
                _expect(checker, method, CONTAINER_METHODS[method], call, values)
                ref.children = None  # known when the model is built
                return
            checker.ctx.error(
                f"`{func.dotted}`: a body can call `append`, `extend` and "
                "`add_module` of a Sequential or ModuleList member",
                func.span,
            )
            return
    checker.ctx.error(
        "a call on its own line must add a child: `add_module(name, module)` or "
        "`member.append(module)`",
        call.span,
        hint="other calls build something: assign it to a name",
    )


def _expect(
    checker, method: str, wanted: tuple[str, ...], call: ir.Call, values
) -> None:
    if len(call.args) != len(wanted) or any(
        not isinstance(a, ir.Positional) for a in call.args
    ):
        checker.ctx.error(
            f"`{method}` takes {len(wanted)} positional argument"
            f"{'s' if len(wanted) > 1 else ''}: {', '.join(wanted)}",
            call.span,
        )
        return
    for arg, value, expected in zip(call.args, values, wanted, strict=True):
        if not types.accepts((expected,), value.type):
            checker.ctx.error(
                f"`{method}` takes {types.describe(expected)} here, not "
                f"{types.describe(value.type)}",
                arg.value.span,
                hint='a child\'s name is a string: `"layer" + str(i)`'
                if expected == "str"
                else None,
            )


def reassign(checker, stmt: ir.Assign, previous: Symbol, value: Value) -> bool:
    """`num_features = num_features + ...`: a constant given a new value, as
    Python allows; True when handled. Members are not reassigned (a second module
    under one name would replace the first)."""
    if previous.kind != "const" or value.type in ("module", "tensor"):
        return False
    previous.value = Value(types.join(previous.value.type, value.type))
    checker.info.known.pop(stmt.name, None)
    checker.info.fixed.discard(stmt.name)
    checker.info.reassigned.add(stmt.name)
    return True
