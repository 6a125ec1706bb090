"""Shape rules for base models' submodules, from the fits in bases/probe.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..bases import BaseTree
from ..bases.probe import Fit, SubRule, load_rules
from ..ops.layers import SIZE_AGNOSTIC
from ..ops.shapes import Args, Dims, ShapeProblem, check_size, describe, floordiv_any
from ..ops.shapes.registry import ELEMENTWISE

_loaded: dict[tuple[str, str], dict[str, SubRule]] = {}


def base_rule(tree: BaseTree, path: str) -> Callable[[Args, Dims], Dims] | None:
    key = (tree.builder, repr(sorted(tree.kwargs.items())))
    rules = _loaded.get(key)
    if rules is None:
        rules = _loaded[key] = load_rules(tree)
    node = tree.get(path)
    if node is not None and node.type in ELEMENTWISE:
        # measured at one rank, but ReLU, Dropout and the like take any: applied
        # elsewhere (an `at` rewrite on [N, 512]) they keep whatever they receive
        return _any_rank
    rule = rules.get(path)
    if rule is None:
        return None
    return _apply(rule, any_channels=node is not None and node.type in SIZE_AGNOSTIC)


def _any_rank(args: Args, x: Dims) -> Dims:
    return x


def _apply(rule: SubRule, any_channels: bool) -> Callable[[Args, Dims], Dims]:
    """The measured rule; a layer that takes any channel count (ReLU, pooling) was
    measured at one, and passes on whatever it receives (after a replacement)."""

    def apply(args: Args, x: Dims) -> Dims:
        if len(x) != rule.input_rank:
            raise ShapeProblem(
                f"expects a {rule.input_rank}-d input, receives {describe(x)}"
            )
        channels_pass = any_channels and len(rule.output) == len(x) >= 2
        if rule.input_channels is not None and not channels_pass:
            what = "input features" if len(x) == 2 else "input channels"
            check_size(rule.input_channels, x[1], what)
        for axis, smallest in enumerate(rule.valid_from, start=2):
            size = x[axis]
            if isinstance(size, int) and size < smallest:
                raise ShapeProblem(
                    f"needs a size of at least {smallest} in dim {axis}, receives "
                    f"{describe(x)}",
                    "use a larger input",
                )
        out = tuple(_size(o, x) for o in rule.output)
        return (out[0], x[1], *out[2:]) if channels_pass else out

    return apply


def _size(out: object, x: Dims) -> Any:
    if out == "N":
        return x[0]
    if isinstance(out, Fit):
        return floordiv_any(x[out.axis] + out.offset, out.stride) + out.bias
    return out
