"""Models built from torchvision models: `extends`, wrapped members, replaced
submodules, taps (`outputs`), rewritten steps (`at`) and extra inputs.

Every path is checked against the real module tree (archdsl/bases/tree.py). A model
that extends a base and writes no `forward` gets one made here from the base's steps
(archdsl/bases/catalog.py), as IR, so the ordinary forward checks and codegen treat
it like one a person wrote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import bases, ir
from ..errors import did_you_mean
from ..ir.walk import rename
from ..ops import layer
from ..ops.layers import (
    INPUT_FEATURES,
    OUTPUT_FEATURES,
    SHAPE_PRESERVING,
    SIZE_AGNOSTIC,
)
from ..source import Span
from .arguments import argument_for
from .consts import UNKNOWN, const_value
from .context import Context, DefInfo

if TYPE_CHECKING:
    from ..bases import BaseTree, SubModule

RUNNING = "x"  # the tensor flowing through a base model's forward


def label(builder: str) -> str:
    return f"torchvision's `{builder}`"


# ---- the base model ---------------------------------------------------------------------


def builder_name(ctx: Context, func: ir.Path) -> str | None:
    """`torchvision.resnet50` or `torchvision.models.resnet50` -> "resnet50"."""
    parts = func.parts
    if (
        parts[0] != "torchvision"
        or len(parts) > 3
        or parts[1:-1] not in ((), ("models",))
    ):
        ctx.error(f"unknown layer or block `{func.dotted}`", func.span)
        return None
    name = parts[-1]
    if name not in bases.BUILDERS:
        ctx.error(
            f"`{name}` is not a torchvision model archdsl supports",
            func.span,
            hint=did_you_mean(name, bases.BUILDERS)
            or "supported: ResNet, VGG, AlexNet, MobileNet v2/v3, EfficientNet, "
            "ConvNeXt, DenseNet, SqueezeNet, ShuffleNetV2 and MNASNet builders",
        )
        return None
    return name


def base_tree(
    ctx: Context, call: ir.Call, known: dict[str, object]
) -> tuple[str, BaseTree] | None:
    """Resolve `torchvision.<builder>(kw=...)` and learn its module tree."""
    assert isinstance(call.func, ir.Path)
    builder = builder_name(ctx, call.func)
    if builder is None:
        return None
    kwargs: dict[str, object] = {}
    spans: dict[str, Span | None] = {}
    for arg in call.args:
        if not isinstance(arg, ir.Keyword):
            ctx.error(
                "torchvision models take keyword arguments only",
                arg.span,
                hint="for example `num_classes=10`",
            )
            continue
        if arg.name == "weights":
            ctx.error(
                "archdsl never downloads weights",
                arg.span,
                hint='load a file instead: `weights("resnet50.safetensors")` in the '
                "model, or `archdsl build --weights FILE`",
            )
            continue
        value = const_value(arg.value, known)
        if value is UNKNOWN:
            ctx.error(
                f"`{arg.name}` of a base model must be known at check time",
                arg.value.span,
                hint="use a literal, or a parameter with a literal default",
            )
            continue
        kwargs[arg.name] = value
        spans[arg.name] = arg.span
    try:
        return builder, bases.load_tree(builder, kwargs)
    except bases.BaseError as exc:
        ctx.error(exc.message, spans.get(exc.keyword or "", call.span), exc.hint)
        return None


def find_submodule(
    ctx: Context, tree: BaseTree, path: str, span: Span | None
) -> SubModule | None:
    """The submodule at `path`, or a diagnostic naming the paths that do exist."""
    found = tree.get(path)
    if found is not None:
        return found
    ctx.error(
        f"{label(tree.builder)} has no submodule `{path}`", span, hint=_hint(tree, path)
    )
    return None


def _hint(tree: BaseTree, path: str) -> str:
    """Name the one close sibling of the first missing part, or list the siblings
    (`layer5`: conv1 ... layer4 are all as close as each other, so list them)."""
    parts = path.split(".")
    depth = next(
        i for i in range(len(parts)) if tree.get(".".join(parts[: i + 1])) is None
    )
    parent = tree.get(".".join(parts[:depth]))
    assert parent is not None  # the root always exists
    missing = parts[depth]
    import difflib  # only for this message: not on a clean check's path

    scored = sorted(
        (
            (difflib.SequenceMatcher(None, missing, c).ratio(), c)
            for c in parent.children
        ),
        reverse=True,
    )
    if (
        scored
        and scored[0][0] >= 0.6
        and (len(scored) == 1 or scored[0][0] > scored[1][0])
    ):
        fixed = ".".join([*parts[:depth], scored[0][1], *parts[depth + 1 :]])
        return f"did you mean `{fixed}`?"
    where = f"`{parent.path}`" if parent.path else "the model"
    shown = ", ".join(f"`{c}`" for c in parent.children[:12])
    more = ", ..." if len(parent.children) > 12 else ""
    return f"{where} has {shown}{more}" if shown else f"{where} has no submodules"


# ---- replacing a submodule --------------------------------------------------------------


@dataclass(frozen=True)
class Expects:
    """What a new module requires of the tensor it receives."""

    count: int
    dim: int
    layer: str
    param: str
    arg: ir.Node


def sizing(expr: ir.Node, known: dict[str, object], side: str) -> Expects | None:
    """The size a module expression fixes on its input (`side="in"`: a Linear's
    in_features, a Conv's in_channels) or its output (`"out"`), looking through a
    Sequential to its first (or last) layer that fixes one."""
    if not (isinstance(expr, ir.Call) and isinstance(expr.func, ir.Name)):
        return None
    name = expr.func.id
    if name == "Sequential":
        children = [arg.value for arg in expr.args]
        for child in children if side == "in" else reversed(children):
            if not (
                isinstance(child, ir.Call)
                and isinstance(child.func, ir.Name)
                and child.func.id in SHAPE_PRESERVING
            ):
                return sizing(child, known, side)
        return None
    rule = (INPUT_FEATURES if side == "in" else OUTPUT_FEATURES).get(name)
    found = layer(name)
    if rule is None or found is None:
        return None
    param, dim = rule
    arg = argument_for(found.signature, expr, param)
    count = const_value(arg, known) if arg is not None else UNKNOWN
    if not isinstance(count, int) or isinstance(count, bool):
        return None
    return Expects(count, dim, name, param, arg)


def check_replacements(ctx: Context, info: DefInfo) -> None:
    """Each new module must accept the features torchvision's model gives it, and,
    unless it is the model's last layer, give what follows the same. When what
    follows is replaced too (`classifier.3` then `classifier.6`), the two new
    modules must agree with each other instead."""
    if not info.replacements:  # (a builder's body is an expression, not statements)
        return
    rewritten = {s.dotted for s in info.node.body if isinstance(s, ir.At)}
    trees = {id(tree): tree for tree, _, _ in info.replacements}
    for tree in trees.values():
        order = {path: i for i, path in enumerate(tree.modules)}
        items = sorted(
            ((n, v) for t, n, v in info.replacements if t is tree),
            key=lambda item: order[item[0].path],
        )
        for k, (node, value) in enumerate(items):
            if _takes_the_image(node):
                pass  # its in_channels say what the model takes (a grayscale stem)
            elif k == 0 and node.path not in rewritten:
                expects = sizing(value, info.known, "in")
                _check_side(ctx, tree, node, expects, "in", node.input)
            if _is_last_layer(tree, node.path) or _nothing_after_fixes(tree, node.path):
                continue
            gives = sizing(value, info.known, "out")
            if k + 1 == len(items):
                _check_side(ctx, tree, node, gives, "out", node.output)
                continue
            after, after_value = items[k + 1]
            takes = sizing(after_value, info.known, "in")
            if (
                gives is not None
                and takes is not None
                and gives.dim == takes.dim
                and gives.count != takes.count
                and after.path not in rewritten
                and _sizes_pass_between(tree, node.path, after.path, gives.dim)
            ):
                ctx.error(
                    f"the new `{after.path}` expects {takes.param}={takes.count}, but "
                    f"the new `{node.path}` before it gives {gives.param}={gives.count}",
                    takes.arg.span,
                )


def _takes_the_image(node: SubModule) -> bool:
    """Whether the submodule receives the model's input itself (ResNet's `conv1`)."""
    return node.input is not None and tuple(node.input) == bases.SAMPLE_INPUT


def image_channels(info: DefInfo) -> int:
    """The channels a model that extends a base takes: 3, unless the layer that
    receives the image was replaced (`conv1 = Conv2d(1, 64, ...)`)."""
    for _, node, value in info.replacements:
        if _takes_the_image(node):
            expects = sizing(value, info.known, "in")
            if expects is not None and expects.dim == 1:
                return expects.count
    return bases.SAMPLE_INPUT[1]


def _sizes_pass_between(tree: BaseTree, first: str, second: str, dim: int) -> bool:
    """Whether every layer running between `first` and `second` keeps the size at
    `dim` (ReLU, Dropout, pooling over channels...), so `second` gets what `first`
    gives."""
    paths = list(tree.modules)
    between = paths[paths.index(first) + 1 : paths.index(second)]
    for path in between:
        node = tree.modules[path]
        if (
            node.children
            or path.startswith(first + ".")
            or second.startswith(path + ".")
        ):
            continue
        if node.input is None or node.output is None:
            return False
        if len(node.input) != len(node.output) or node.input[dim] != node.output[dim]:
            return False
    return True


def _check_side(ctx, tree, node, expects, side, shape) -> None:
    if expects is None or shape is None or len(shape) <= max(expects.dim, 1):
        return
    actual = shape[expects.dim]
    if actual == expects.count:
        return
    dims = ", ".join(["N", *(str(d) for d in shape[1:])])
    what = "features" if expects.dim == -1 else "channels"
    if actual == 1:
        what = what[:-1]
    advice = ""
    if side == "in":
        message = (
            f"`{node.path}` of {label(tree.builder)} receives {actual} {what}, "
            f"but `{expects.layer}` here expects {expects.param}={expects.count}"
        )
        hint = f"the tensor arriving at `{node.path}` has shape [{dims}]"
        if (
            expects.dim == -1
            and len(shape) > 2
            and math.prod(shape[1:]) == expects.count
        ):
            advice = "; flatten it first: `Sequential(Flatten(), ...)`"
    else:
        message = (
            f"what follows `{node.path}` in {label(tree.builder)} expects "
            f"{actual} {what}, but `{expects.layer}` here gives "
            f"{expects.param}={expects.count}"
        )
        hint = f"`{node.path}` gave a tensor of shape [{dims}]"
    sample = "x".join(str(d) for d in bases.SAMPLE_INPUT)
    ctx.error(message, expects.arg.span, hint=f"{hint} (for a {sample} input){advice}")


def _nothing_after_fixes(tree: BaseTree, path: str) -> bool:
    """Whether every layer after `path` takes any size (ReLU, pooling, flatten), so
    its output size is the model's to choose, as if it were the last layer."""
    paths = list(tree.modules)
    after = paths[paths.index(path) + 1 :]
    return all(
        tree.modules[p].type in SIZE_AGNOSTIC
        for p in after
        if not tree.modules[p].children and not p.startswith(path + ".")
    )


def _is_last_layer(tree: BaseTree, path: str) -> bool:
    """Whether `path` computes the model's output: the last step of its forward, or
    the last child (at every level) of that step. Its output size is free."""
    family = bases.family_of(tree.builder)
    assert family is not None
    last = next(s.module for s in reversed(family.steps) if s.module)
    parts = path.split(".")
    if parts[0] != last:
        return False
    for depth in range(1, len(parts)):
        parent = tree.get(".".join(parts[:depth]))
        if parent is None or parent.children[-1:] != (parts[depth],):
            return False
    return True


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
