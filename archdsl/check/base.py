"""Models built from torchvision models: `extends`, wrapped members, replaced
submodules, taps (`outputs`), rewritten steps (`at`) and extra inputs.

Every path is checked against the real module tree (archdsl/bases/tree.py). A model
that extends a base and writes no `forward` gets one written out from the base's
steps in base_forward.py.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import bases, ir
from ..errors import did_you_mean
from ..ops import layer
from ..ops.layers import (
    INPUT_FEATURES,
    OUTPUT_FEATURES,
    SHAPE_PRESERVING,
    SIZE_AGNOSTIC,
)
from ..records import dataclass
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
