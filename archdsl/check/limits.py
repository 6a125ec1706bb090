"""Resource limits, enforced by counting before anything is allocated.

A spec is untrusted input: `[Linear(8, 8) for _ in range(10**9)]` or
`Linear(10**9, 10**9)` must be refused at check time, in milliseconds, not found
out by a machine running out of memory. The checks of each definition count with
what is known there (literals, constants, parameter defaults; a layer whose sizes
are not known counts as no parameters). The evaluator of shapes (shapes/modules.py)
counts again with the values callers give (`Wide(1000000)`), against the same
limits and a budget of evaluation steps for the whole check.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import ir
from ..errors import ArchError, Diagnostic
from ..ops import layer
from ..ops.shapes import PARAMETERS, ShapeProblem, Unknowable
from ..ops.shapes import UNKNOWN as UNKNOWN_SIZE
from ..records import dataclass
from .arguments import arguments_by_name
from .consts import UNKNOWN, const_value, range_length

if TYPE_CHECKING:
    from .context import Context

#: How deeply blocks may build blocks: far beyond any real model, and shallow
#: enough that the recursive passes (evaluation, shapes) keep to Python's stack.
MAX_NESTING = 100


@dataclass(frozen=True)
class Limits:
    max_modules: int = 100_000  # modules one definition builds, repeats included
    max_params: int = 10_000_000_000  # parameters one definition builds (40 GB fp32)
    max_items: int = 1_000_000  # items of a build-time list or range
    #: steps of build-time evaluation in one check (each expression evaluated,
    #: each list item built), all models together: what bounds the time a check
    #: takes. A model at the module limit takes about 600,000.
    max_steps: int = 1_000_000

    def __post_init__(self) -> None:
        """A negative limit would turn the limit off; refuse it where it is set."""
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                option = "--" + name.replace("_", "-")
                raise ArchError(
                    [
                        Diagnostic(
                            f"{option} must be a whole number, 0 or more; got {value!r}"
                        )
                    ]
                )


def iterations(expr: ir.Node, known: dict[str, object]) -> int | None:
    """How many times a comprehension over `expr` runs, when known."""
    if isinstance(expr, ir.ListExpr):
        return len(expr.items)
    if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name):
        args = [const_value(a.value, known) for a in expr.args]
        if expr.func.id == "range" and args and all(isinstance(a, int) for a in args):
            try:
                return range_length(*args)
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
    if not isinstance(call.func, ir.Name):
        return 0
    found = layer(call.func.id)
    rule = PARAMETERS.get(call.func.id)
    if found is None or rule is None:
        return 0
    args = found.signature.defaults.copy()  # bind_arguments with none given
    for name, expr in arguments_by_name(found.signature, call).items():
        value = const_value(expr, known)
        args[name] = UNKNOWN_SIZE if value is UNKNOWN else value
    try:
        count = rule(args)
    except (TypeError, ValueError, KeyError, ArithmeticError, Unknowable, ShapeProblem):
        return 0
    return count if isinstance(count, int) and count > 0 else 0


def describe_count(count: int) -> str:
    """1,234 or 1.2e+15; for a count past a float's range (a spec may ask for
    2**600 parameters) the power of ten, from its bits: no float, no str()."""
    if count < 10**12:
        return f"{count:,}"
    if count.bit_length() < 1000:
        return f"{count:.1e}"
    return f"1e+{int((count.bit_length() - 1) * math.log10(2))}"


def describe_gigabytes(params: int) -> str:
    """What `params` float32 parameters take, in GB, without a float division that
    overflows for huge counts."""
    return describe_count(params * 4 // 10**9)


def nesting_depths(ctx: Context) -> dict[str, int]:
    """For each definition, how many definitions deep its building goes (1: it
    builds no block), by the `uses` the checks recorded; computed without
    recursion, so a chain of 1,500 blocks cannot exhaust Python's stack. A cycle
    (reported by the recursion check) is not followed around."""
    depth: dict[str, int] = {}
    for root in ctx.defs:
        stack = [(root, iter(ctx.defs[root].uses))]
        visiting = {root}
        while stack:
            name, pending = stack[-1]
            used = next(pending, None)
            if used is None:
                stack.pop()
                visiting.discard(name)
                below = [depth.get(u, 0) for u in ctx.defs[name].uses if u in depth]
                depth[name] = 1 + max(below, default=0)
            elif used in ctx.defs and used not in depth and used not in visiting:
                visiting.add(used)
                stack.append((used, iter(ctx.defs[used].uses)))
    return depth


def check_nesting(ctx: Context, program: ir.Program) -> None:
    """Blocks that build blocks more than MAX_NESTING levels deep: refused at the
    definition where the chain crosses the limit, before a recursive pass runs.
    A definition at depth d builds blocks d - 1 levels deep (as the evaluator of
    shapes counts them); any deeper chain passes through one at exactly the limit."""
    depth = nesting_depths(ctx)
    for name, levels in depth.items():
        if levels != MAX_NESTING + 2:
            continue
        info = ctx.defs[name]
        used, span = next(
            ((u, s) for u, s in info.uses.items() if depth.get(u) == levels - 1),
            (None, info.node.span),
        )
        ctx.error(
            f"`{name}` builds blocks nested {levels - 1} levels deep (through "
            f"`{used}`); the limit is {MAX_NESTING}",
            span,
            hint="a real model nests a few levels; flatten the chain",
        )
