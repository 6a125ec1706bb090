"""The forward of a model that extends a torchvision base and writes none of its
own: the base's steps (archdsl/bases/catalog.py) written out as IR, with the
model's taps (`outputs`), rewritten steps (`at`) and extra inputs (`input`) in
place, so the ordinary forward checks and codegen treat it like one a person wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .. import bases, ir
from ..ir.walk import rename
from ..records import dataclass
from ..source import Span
from .base import RUNNING, find_submodule, label
from .context import Context, DefInfo

if TYPE_CHECKING:
    from ..bases import BaseTree
# ---- a forward made from the base's steps --------------------------------------------------


def base_forward(ctx: Context, info: DefInfo) -> ir.Forward | None:
    """The forward of a model that extends a base and writes none of its own."""
    base = info.base
    assert base is not None
    node = info.node
    stmts = node.body
    taps = _taps(ctx, info, [s for s in stmts if isinstance(s, ir.Outputs)])
    rewrites = _rewrites(ctx, [s for s in stmts if isinstance(s, ir.At)])
    extra = _inputs(ctx, [s for s in stmts if isinstance(s, ir.InputDecl)], taps)
    family = bases.family_of(base.builder)
    assert family is not None
    points = {path: span for path, (_, span) in taps.items()}
    points.update({path: at.span for path, at in rewrites.items()})
    items = _unroll(ctx, base.tree, family.steps, points, set(taps))
    if items is None:
        return None
    span = base.call.span
    body: list[ir.Node] = []
    running = RUNNING
    last_needed = max(
        (i for i, item in enumerate(items) if _tapped(item) in taps),
        default=len(items) - 1,
    )
    # A step that runs a replacement is placed at the replacement's line; shape
    # inference reports the base's own steps that it feeds there too.
    replaced = {node.path: value.span for _, node, value in info.replacements}
    for index, item in enumerate(items):
        if index > last_needed:
            if item in rewrites:
                ctx.warning(
                    f"this rewrite of `{item}` never runs: the outputs are all "
                    "computed before it",
                    rewrites[item].span,
                )
            continue
        if isinstance(item, SequenceEnd):  # `layer1` tapped beside `layer1.0`
            target, where = taps[item.path]
            body.append(
                ir.FAssign(
                    targets=(target,), value=ir.Name(id=running, span=where), span=where
                )
            )
            running = target
            continue
        here = replaced.get(item) if isinstance(item, str) else None
        value = _step_call(item, running, here or span)
        if item in rewrites:
            at = rewrites[item]
            value = rename(at.value, {at.input: running})
        target, where = taps[item] if item in taps else (RUNNING, span)
        body.append(ir.FAssign(targets=(target,), value=value, span=where))
        running = target
    # each output is read where the spec names it: a problem with it is shown there
    names = list(taps.values()) or [(running, span)]
    body.append(
        ir.FReturn(values=tuple(ir.Name(id=n, span=at) for n, at in names), span=span)
    )
    inputs = (ir.Input(name=RUNNING, span=span),) + tuple(
        ir.Input(name=decl.name, shape=decl.shape, span=decl.span) for decl in extra
    )
    return ir.Forward(inputs=inputs, body=tuple(body), span=span)


@dataclass(frozen=True)
class SequenceEnd:
    """In a base forward opened for a tap inside a Sequential: where that Sequential
    itself ends, for a tap of the Sequential (its output is its last child's)."""

    path: str


def _tapped(item: object) -> object:
    return item.path if isinstance(item, SequenceEnd) else item


def _step_call(item: object, running: str, span: Span | None) -> ir.Call:
    arg = ir.Positional(value=ir.Name(id=running, span=span), span=span)
    if isinstance(item, str):
        parts = tuple(item.split("."))
        func = (
            ir.Name(id=item, span=span)
            if len(parts) == 1
            else ir.Path(parts=parts, span=span)
        )
        return ir.Call(func=func, args=(arg,), span=span)
    extra = tuple(
        ir.Positional(value=_literal(value, span), span=span) for value in item.args
    )
    return ir.Call(func=ir.Name(id=item.op, span=span), args=(arg, *extra), span=span)


def _literal(value: object, span: Span | None) -> ir.Node:
    if isinstance(value, list):
        return ir.ListExpr(items=tuple(_literal(v, span) for v in value), span=span)
    if isinstance(value, tuple):
        return ir.TupleExpr(items=tuple(_literal(v, span) for v in value), span=span)
    return ir.Constant(value=value, span=span)


def _taps(
    ctx: Context, info: DefInfo, stmts: list[ir.Outputs]
) -> dict[str, tuple[str, Span | None]]:
    """`outputs(logits = fc, feat = layer3)` -> {path: (output name, span)}."""
    taps: dict[str, tuple[str, Span | None]] = {}
    for extra in stmts[1:]:
        ctx.error("a model has one `outputs(...)`", extra.span)
    for arg in stmts[0].args if stmts else ():
        path = _path_of(arg.value if not isinstance(arg, ir.Splat) else None)
        if not isinstance(arg, ir.Keyword) or path is None:
            ctx.error(
                "outputs are named submodule paths: `outputs(name = path, ...)`",
                arg.span,
                hint="for example `outputs(logits = fc, feat = layer3)`",
            )
            continue
        if (
            arg.name in info.members
            or arg.name in info.consts
            or (info.base and info.base.tree.get(arg.name))
        ):
            ctx.error(
                f"output name `{arg.name}` is already a member of `{info.name}`",
                arg.span,
                hint=f"name the output another way, e.g. `{arg.name}_out = {path}`",
            )
            continue
        if path in taps:
            ctx.error(f"`{path}` is already an output", arg.span)
            continue
        if not _fresh_name(ctx, arg.name, "output", taps.values(), arg.span):
            continue
        taps[path] = (arg.name, arg.value.span)
    return taps


def _fresh_name(
    ctx: Context, name: str, what: str, taken: Iterable[tuple[str, object]], span
) -> bool:
    """Outputs and inputs name values of the base's forward, whose running tensor
    is `x`: two values with one name would silently read the wrong tensor."""
    if name == RUNNING:
        ctx.error(
            f"{what} name `{name}` is the base model's input",
            span,
            hint=f"name the {what} another way, e.g. `{name}_{what}`",
        )
        return False
    if any(name == other for other, _ in taken):
        ctx.error(f"`{name}` already names an output or input", span)
        return False
    return True


def _inputs(
    ctx: Context, decls: list[ir.InputDecl], taps: dict[str, tuple[str, Span | None]]
) -> list[ir.InputDecl]:
    """`input meta: [N, 8]` declarations with names of their own."""
    kept: list[ir.InputDecl] = []
    for decl in decls:
        taken = [*taps.values(), *((d.name, None) for d in kept)]
        if _fresh_name(ctx, decl.name, "input", taken, decl.span):
            kept.append(decl)
    return kept


def _path_of(expr: ir.Node | None) -> str | None:
    if isinstance(expr, ir.Name):
        return expr.id
    if isinstance(expr, ir.Path):
        return expr.dotted
    return None


def _rewrites(ctx: Context, stmts: list[ir.At]) -> dict[str, ir.At]:
    found: dict[str, ir.At] = {}
    for at in stmts:
        if at.dotted in found:
            ctx.error(f"`{at.dotted}` is already rewritten", at.span)
            continue
        found[at.dotted] = at
    return found


def _unroll(
    ctx: Context, tree: BaseTree, steps, points: dict[str, Span | None], tapped: set
) -> list[object] | None:
    """The base's steps, with Sequentials opened where `points` need a child; an
    opened Sequential that is tapped too ends with its SequenceEnd."""

    def expand(path: str) -> list[object]:
        inner = [p for p in points if p.startswith(path + ".")]
        if not inner:
            return [path]
        node = tree.get(path)
        assert node is not None
        if node.type != "Sequential":
            for point in inner:
                if tree.get(point) is not None:
                    ctx.error(
                        f"`{point}` runs inside `{path}` ({node.type}), whose forward "
                        "is not a plain sequence of its children",
                        points[point],
                        hint=f"tap or rewrite `{path}` itself",
                    )
            return [path]
        opened = [q for child in node.children for q in expand(f"{path}.{child}")]
        return opened + ([SequenceEnd(path)] if path in tapped else [])

    items: list[object] = []
    for step in steps:
        items.extend(expand(step.module) if step.module else [step])
    ok = True
    for point, span in points.items():
        if point in items or SequenceEnd(point) in items:
            continue
        ok = False
        inner = sorted(p for p in points if p.startswith(point + "."))
        if tree.get(point) is None:
            find_submodule(ctx, tree, point, span)
        elif inner:  # `at layer4(v) = ...` beside a tap of `layer4.0`
            ctx.error(
                f"`{point}` is rewritten with `at`, but `{inner[0]}` inside it is "
                "tapped or rewritten too: the rewrite would have to run it child by "
                "child",
                span,
                hint=f"rewrite the children of `{point}` instead, or tap `{point}` "
                "itself",
            )
        elif "." not in point:
            ctx.error(
                f"`{point}` is not a step of {label(tree.builder)}'s forward",
                span,
                hint="taps and rewrites apply to the modules its forward calls",
            )
    return items if ok else None


def forward_statements_misplaced(ctx: Context, node: ir.Model) -> None:
    """`outputs`, `at` and `input` rewrite a base's forward; elsewhere they are errors."""
    own_forward = any(isinstance(s, ir.Forward) for s in node.body)
    for stmt in node.body:
        if not isinstance(stmt, (ir.Outputs, ir.At, ir.InputDecl)):
            continue
        word = {"outputs": "outputs", "at": "at", "input_decl": "input"}[stmt.kind]
        if node.base is None:
            ctx.error(
                f"`{word}` changes a base model's forward; `{node.name}` extends none",
                stmt.span,
                hint="write it in the model's `forward`, or extend a torchvision model",
            )
        elif own_forward:
            ctx.error(
                f"`{word}` changes the base model's forward, but `{node.name}` writes "
                "its own `forward`",
                stmt.span,
                hint="do it in your `forward`, or drop `forward` to keep the base's",
            )
