"""The counting pass of every definition, run before shape inference builds any
(check/program.check_shapes): a spec over the limits is refused here, before it
is built up to them once per definition."""

from __future__ import annotations

from ..check.context import Context
from ..errors import Diagnostic
from ..records import dataclass
from ..source import Span
from .built import BlockModule
from .modules import EvalError, Evaluator


@dataclass
class Counted:
    """What the counting pass of a definition with its defaults found, where it
    refused nothing: the steps it took (what the counting pass before its build
    takes again: Evaluator._count_first). Where the pass built just what a build
    builds, also the block, its (modules, parameters) and the span it was built
    at: a pass in which no block was instantiated (counting shares one block
    among the calls with the same arguments) and no `if` had its branches
    counted, the only two places counting evaluates otherwise."""

    steps: int
    block: BlockModule | None = None
    built: tuple[int, int] = (0, 0)
    span: Span | None = None


def count_definitions(ctx: Context, evaluator=None) -> list[Diagnostic]:
    """The counting pass of every block and model, with its defaults: the limits
    crossed, found in microseconds per definition (each (block, arguments) is
    evaluated once). Run before shape inference, which builds each model for
    real, so a spec refused anyway is not first built up to the limit once per
    definition. What Python refuses is left to that inference (a block's
    default may be one no caller uses): only limits are reported here.
    `evaluator` makes the evaluators (one that keeps builds: shapes/memo.py);
    without one, what each pass found is kept in `ctx.counted`."""
    refused: dict[str, list[Diagnostic]] = {}
    before = ctx.eval_steps
    for info in ctx.defs.values():
        if info.kind == "builder":
            continue
        counter = (evaluator or Evaluator)(ctx, counting=True)
        counter.speculative = 1
        span = info.node.span
        try:
            block = counter.instantiate(info, {}, span)
        except EvalError as exc:
            refused[info.name] = exc.diagnostics
            continue
        if evaluator is None and not counter.refused:
            found = ctx.counted[info.name] = Counted(counter.steps)
            if counter.instances == 1 and not counter.branched:
                found.block, found.span = block, span
                found.built = (counter.built, counter.params)
    # The pass has its own step budget: the build that follows gets the whole one
    # again, so the work of a check stays within twice max_steps.
    ctx.eval_steps = before
    # A definition refused because it builds one that is refused says nothing new
    # (26 levels of doubled blocks: only the first level over the limit is shown).
    return [
        found
        for name, diagnostics in refused.items()
        if not any(used in refused for used in ctx.defs[name].uses)
        for found in diagnostics
    ]
