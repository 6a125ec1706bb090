"""The checks over a whole program, as an ordered tuple of small passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..ir.walk import walk_expr
from ..ops import BUILTINS, TENSOR_OPS, layer
from ..shapes.counting import count_definitions
from ..shapes.infer import argument_diagnostics, infer_model
from ..shapes.modules import EvalError
from .base import RUNNING, base_tree, check_replacements
from .base_forward import base_forward, forward_statements_misplaced
from .build import BuildChecker
from .context import BaseInfo, Context, DefInfo
from .families import (
    builder_returns,
    check_variant,
    in_variant,
    variant_params,
    variant_root,
)
from .forward import ForwardChecker
from .freeze import check_freeze
from .init import check_inits
from .inplace import check_inplace
from .limits import check_nesting
from .names import why_reserved
from .training import eval_returns
from .unused import check_unused


def collect_definitions(ctx: Context, program: ir.Program) -> None:
    """Names of blocks, models and builders; their forward's inputs and outputs."""
    for node in program.definitions:
        if node.name in ctx.defs:
            first = ctx.defs[node.name].node.span
            where = f" (first at {first})" if first else ""
            ctx.error(f"`{node.name}` is defined twice{where}", node.span)
            continue
        reason = why_reserved(node.name)
        if reason is None and (layer(node.name) or node.name in TENSOR_OPS):
            reason = f"`{node.name}` is already a torch.nn layer or tensor operation"
        if reason is None and node.name in BUILTINS:
            reason = f"`{node.name}` is a builtin"
        if reason:
            ctx.error(f"cannot name a {node.kind} `{node.name}`: {reason}", node.span)
        ctx.defs[node.name] = DefInfo(node, *_forward_arity(node))


def _forward_arity(node: ir.Node) -> tuple[tuple[str, ...], int]:
    forward = _forward_of(node)
    if forward is None and isinstance(node, ir.Model) and node.base is not None:
        # the base's forward: `x`, any `input`s, and the `outputs` (or its one result)
        extra = [s.name for s in node.body if isinstance(s, ir.InputDecl)]
        taps = next((s for s in node.body if isinstance(s, ir.Outputs)), None)
        return (RUNNING, *extra), len(taps.args) if taps and taps.args else 1
    if forward is None:
        return (), 1
    first_return = next(eval_returns(forward.body), None)
    outputs = len(first_return.values) if first_return else 1
    return tuple(i.name for i in forward.inputs), outputs


def _forward_of(node: ir.Node) -> ir.Forward | None:
    if isinstance(node, (ir.Builder, ir.Variant)):
        return None
    return next((s for s in node.body if isinstance(s, ir.Forward)), None)


def check_definitions(ctx: Context, program: ir.Program) -> None:
    """Parameters, bodies and forwards of every definition (what the check
    before found, where it is kept: check/memo.py)."""
    memo: Any = ctx.memo
    for info in list(ctx.defs.values()):
        if memo is not None and memo.reuse_definition(ctx, info):
            continue
        first = len(ctx.diagnostics)
        checker = BuildChecker(ctx, info)
        checker.params()
        _check_body(ctx, info, checker)
        check_replacements(ctx, info)
        if memo is not None:
            memo.keep_definition(ctx, info, first)


def _check_body(ctx: Context, info: DefInfo, checker: BuildChecker) -> None:
    node = info.node
    if isinstance(node, ir.Variant):
        check_variant(ctx, info, checker)
        return
    if isinstance(node, ir.Builder):
        value = checker.expr(node.body)
        info.returns = builder_returns(ctx, node, value)
        return
    if isinstance(node, ir.Model):
        forward_statements_misplaced(ctx, node)
        if node.base is not None:
            _check_extends(ctx, info, checker, node)
            return
    checker.body(node.body)
    _check_forward(ctx, info, checker)


def _check_extends(
    ctx: Context, info: DefInfo, checker: BuildChecker, node: ir.Model
) -> None:
    """`model M extends torchvision.resnet50() { ... }`"""
    assert node.base is not None
    resolved = base_tree(ctx, node.base, info.known)
    if resolved is None:
        return
    builder, tree = resolved
    info.base = BaseInfo(builder, node.base, tree)
    checker.adopt_base(tree)
    checker.body(node.body)
    if any(isinstance(s, ir.Forward) for s in node.body):
        _check_forward(ctx, info, checker)
        return
    forward = base_forward(ctx, info)
    if forward is None:
        return
    info.forward = forward  # its arity was set by collect_definitions
    checker_forward = ForwardChecker(ctx, info, checker.scope)
    checker_forward.check(forward)
    _check_inputs_used(ctx, info, forward)


def _check_inputs_used(ctx: Context, info: DefInfo, forward: ir.Forward) -> None:
    read = {n.id for s in forward.body for n in walk_expr(s) if isinstance(n, ir.Name)}
    for extra in forward.inputs[1:]:
        if extra.name not in read:
            ctx.error(
                f"input `{extra.name}` is never used",
                extra.span,
                hint=f"use it in an `at` rewrite, e.g. `at fc(x) = fc(cat([x, "
                f"{extra.name}], dim=1))`",
            )


def _check_forward(ctx: Context, info: DefInfo, checker: BuildChecker) -> None:
    forwards = [s for s in info.node.body if isinstance(s, ir.Forward)]
    if not forwards:
        ctx.error(
            f"{info.kind} `{info.name}` has no `forward`",
            info.node.span,
            hint="add `forward(x) = ...` or `forward(x) { ... }`",
        )
        return
    for extra in forwards[1:]:
        ctx.error(f"{info.kind} `{info.name}` has more than one `forward`", extra.span)
    info.forward = forwards[0]
    ForwardChecker(ctx, info, checker.scope).check(forwards[0])


def check_recursion(ctx: Context, program: ir.Program) -> None:
    """A block that builds itself, directly or through others, never finishes.
    Depth-first without recursion, each definition explored once: a chain of
    1,500 blocks, or 26 levels of blocks that each build two others, takes
    linear time and no Python stack."""
    reported: set[str] = set()
    done: set[str] = set()
    for root in ctx.defs:
        if root in done:
            continue
        trail, on_trail = [root], {root}
        stack = [iter(ctx.defs[root].uses.items())]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                stack.pop()
                finished = trail.pop()
                on_trail.discard(finished)
                done.add(finished)
                continue
            used, span = step
            if used in on_trail:
                if used not in reported:
                    cycle = trail[trail.index(used) :] + [used]
                    reported.update(cycle)
                    ctx.error(
                        "recursive definition: " + " -> ".join(f"`{c}`" for c in cycle),
                        span,
                        hint="a block cannot contain itself",
                    )
                continue
            if used in done or used not in ctx.defs:
                continue
            trail.append(used)
            on_trail.add(used)
            stack.append(iter(ctx.defs[used].uses.items()))


def check_shapes(ctx: Context, program: ir.Program) -> None:
    """Shape inference over every forward whose inputs' shapes are declared, and
    the layers' own arguments in every model: run once the program is otherwise
    sound."""
    if ctx.has_errors:
        return
    memo: Any = ctx.memo and ctx.memo.shapes  # None: everything evaluated afresh
    refused = count_definitions(ctx, memo and memo.evaluator)
    if refused:  # a spec over the limits is not built up to them, once per definition
        ctx.diagnostics.extend(refused)
        return
    reported = set()
    for info, params, variant in _shape_entries(ctx):
        try:
            result = infer_model(ctx, info, params, engine=memo and memo.inference)
            found_here = list(result.diagnostics) if result else []
            if info.kind == "model":  # blocks are built by the models that use them
                model = result and result.model
                if model is None and memo is not None:
                    model = memo.model(ctx, info)
                found_here += argument_diagnostics(ctx, info, model)
        except EvalError as exc:  # what Python refuses, or a limit, at build time
            found_here = exc.diagnostics
        if variant is not None:
            found_here = [in_variant(d, variant) for d in found_here]
        for found in found_here:
            key = (found.span, found.message)
            if key not in reported:
                reported.add(key)
                ctx.diagnostics.append(found)


def _shape_entries(ctx: Context):
    """What shapes are inferred for: every block and model, and each variant as
    its model with the arguments it fixes."""
    for info in list(ctx.defs.values()):
        if info.kind in ("block", "model"):
            yield info, None, None
        elif info.kind == "variant":
            params = variant_params(ctx, info)
            root, _ = variant_root(ctx, info.node)
            if params is not None and root is not None:
                yield ctx.defs[root], params, info.node


Pass = Callable[[Context, ir.Program], None]

#: Order matters: later passes read what earlier ones recorded in the context.
PASSES: tuple[Pass, ...] = (
    collect_definitions,
    check_definitions,
    check_freeze,  # after every definition's members are known
    check_inits,  # so are the blocks an init rule names
    check_nesting,
    check_recursion,
    check_inplace,
    check_shapes,
    check_unused,  # last: its warnings only count for a program without errors
)
