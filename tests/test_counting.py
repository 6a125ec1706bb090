"""A model's build may take the block its counting pass built (shapes/counting.py,
Evaluator._count_first) instead of evaluating its body again. Held here to the
build it replaces: for every block and model of every spec, the module tree, the
counts and the steps drawn are those of a build that evaluates (no pass kept)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SPECS, ZOO_SPECS

from archdsl.check import analyze
from archdsl.pipeline import parse
from archdsl.shapes.built import BaseModule, BlockModule, LayerModule, SeqModule
from archdsl.shapes.counting import count_definitions
from archdsl.shapes.modules import EvalError, Evaluator

#: A flat model of literal layers (the kind whose counting pass is kept), beside
#: the specs (most build blocks, and are built again).
FLAT = """model Flat(n: int = 8) {
    a = Linear(n, 16)
    b = Linear(16, 16, bias=False)
    c = Sequential(Linear(16, 16), ReLU(inplace=True))
    d = Dropout(0.5)
    forward(x: [N, 8]) = d(c(b(a(x))))
}
"""


def tree(module: object) -> object:
    """A module as plain data: what it is, what it holds, where it is placed."""
    if isinstance(module, LayerModule):
        return ("layer", module.name, repr(module.args), module.span, module.parents)
    if isinstance(module, SeqModule):
        children = [(name, tree(child)) for name, child in module.children]
        return ("seq", module.kind, children, module.span, module.parents)
    if isinstance(module, BlockModule):
        members = [(name, tree(module.env.get(name))) for name in module.members]
        env = sorted((k, repr(v)) for k, v in module.env.items() if k not in members)
        base = tree(module.base) if module.base else None
        return ("block", module.info.name, members, env, base, module.span)
    if isinstance(module, BaseModule):
        return ("base", module.path, sorted(module.replaced))
    return repr(module)


def builds(program, kept: bool):
    """Each definition's build with its defaults, the steps it drew and its
    counts, after the counting pass of a check (kept: as check_shapes leaves it)."""
    ctx = analyze(program)
    if ctx.has_errors:
        return None
    count_definitions(ctx)
    if not kept:
        ctx.counted.clear()
    found = {}
    for info in ctx.defs.values():
        if info.kind == "builder":
            continue
        evaluator, before = Evaluator(ctx), ctx.eval_steps
        try:
            block = evaluator.instantiate(info, {}, info.node.span)
        except EvalError as error:
            found[info.name] = str(error)
            continue
        counts = (evaluator.built, evaluator.params, evaluator.steps)
        found[info.name] = (tree(block), ctx.eval_steps - before, counts)
    return found


@pytest.mark.parametrize(
    "source", [*SPECS, *ZOO_SPECS, FLAT], ids=lambda s: getattr(s, "stem", "flat")
)
def test_a_kept_counting_pass_builds_what_a_build_does(source):
    program = parse(source) if isinstance(source, Path) else parse(text=source)
    assert builds(program, kept=True) == builds(program, kept=False)


def test_the_flat_model_takes_its_counting_pass():
    """The case the reuse is for happens (else the test above proves nothing)."""
    ctx = analyze(parse(text=FLAT))
    count_definitions(ctx)
    kept, info = ctx.counted["Flat"].block, ctx.defs["Flat"]
    assert kept is not None
    assert Evaluator(ctx).instantiate(info, {}, info.node.span) is kept
