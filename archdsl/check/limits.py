"""Resource limits, enforced by counting before anything is allocated.

A spec is untrusted input: `[Linear(8, 8) for _ in range(10**9)]` or
`Linear(10**9, 10**9)` must be refused at check time, in milliseconds, not found
out by a machine running out of memory. Counts use what is known at check time
(literals, constants, parameter defaults); a layer whose sizes are not known counts
as no parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..ops import layer
from ..ops.shapes import PARAMETERS, ShapeProblem, Unknowable
from ..ops.shapes import UNKNOWN as UNKNOWN_SIZE
from ..ops.signature import bind_arguments
from .consts import UNKNOWN, const_value


@dataclass(frozen=True)
class Limits:
    max_modules: int = 100_000  # modules one definition builds, repeats included
    max_params: int = 10_000_000_000  # parameters one definition builds (40 GB fp32)
    max_items: int = 1_000_000  # items of a build-time list or range


def iterations(expr: ir.Node, known: dict[str, object]) -> int | None:
    """How many times a comprehension over `expr` runs, when known."""
    if isinstance(expr, ir.ListExpr):
        return len(expr.items)
    if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name):
        args = [const_value(a.value, known) for a in expr.args]
        if expr.func.id == "range" and args and all(isinstance(a, int) for a in args):
            try:
                return len(range(*args))
            except (TypeError, ValueError):
                return None
        if expr.func.id == "enumerate" and len(expr.args) == 1:
            return iterations(expr.args[0].value, known)
        if expr.func.id == "zip" and expr.args:
            counts = [iterations(a.value, known) for a in expr.args]
            return None if None in counts else min(counts)  # type: ignore[type-var]
    value = const_value(expr, known)
    return len(value) if isinstance(value, list) else None


def parameter_count(call: ir.Call, known: dict[str, object]) -> int:
    """Parameters a layer call creates, by the registry's parameter rule, from the
    sizes known at check time (0 when they are not known)."""
    from .calls import argument_for  # calls -> context -> limits: import late

    if not isinstance(call.func, ir.Name):
        return 0
    found = layer(call.func.id)
    rule = PARAMETERS.get(call.func.id)
    if found is None or rule is None:
        return 0
    args = bind_arguments(found.signature, [], {})
    for param in found.signature.params:
        expr = argument_for(found.signature, call, param.name)
        if expr is not None:
            value = const_value(expr, known)
            args[param.name] = UNKNOWN_SIZE if value is UNKNOWN else value
    try:
        count = rule(args)
    except (TypeError, ValueError, KeyError, ArithmeticError, Unknowable, ShapeProblem):
        return 0
    return count if isinstance(count, int) and count > 0 else 0


def describe_count(count: int) -> str:
    return f"{count:,}" if count < 10**12 else f"{count:.1e}"
