"""Shape rules for base models' submodules, from the fits in bases/probe.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..bases import BaseTree
from ..bases.probe import Fit, SubRule, load_rules
from ..ops.shapes import Args, Dims, ShapeProblem, check_size, describe, floordiv_any

_loaded: dict[tuple[str, str], dict[str, SubRule]] = {}


def base_rule(tree: BaseTree, path: str) -> Callable[[Args, Dims], Dims] | None:
    key = (tree.builder, repr(sorted(tree.kwargs.items())))
    rules = _loaded.get(key)
    if rules is None:
        rules = _loaded[key] = load_rules(tree)
    rule = rules.get(path)
    return None if rule is None else _apply(rule)


def _apply(rule: SubRule) -> Callable[[Args, Dims], Dims]:
    def apply(args: Args, x: Dims) -> Dims:
        if len(x) != rule.input_rank:
            raise ShapeProblem(
                f"expects a {rule.input_rank}-d input, receives {describe(x)}"
            )
        if rule.input_channels is not None:
            check_size(rule.input_channels, x[1], "input channels")
        for axis, smallest in enumerate(rule.valid_from, start=2):
            size = x[axis]
            if isinstance(size, int) and size < smallest:
                raise ShapeProblem(
                    f"needs a size of at least {smallest} in dim {axis}, receives "
                    f"{describe(x)}",
                    "use a larger input",
                )
        return tuple(_size(out, x) for out in rule.output)

    return apply


def _size(out: object, x: Dims) -> Any:
    if out == "N":
        return x[0]
    if isinstance(out, Fit):
        return floordiv_any(x[out.axis] + out.offset, out.stride) + out.bias
    return out
