"""A parameter or buffer member (check/state.py) as the tensor forward reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .. import ir
from ..check.state import state_dims
from ..ops.shapes import UNKNOWN
from .tensors import UNKNOWN_TENSOR, Tensor


def state_tensor(node: ir.Call, evaluate: Callable[[ir.Node], object]) -> Tensor:
    """Sizes known at build time stay ints; any other is UNKNOWN."""
    dims = state_dims(node, evaluate)
    if dims is None:
        return UNKNOWN_TENSOR
    known = tuple(d if isinstance(d, int) and not isinstance(d, bool) else UNKNOWN
                  for d in dims)  # fmt: skip
    return Tensor(known)


def named_state(value: object, member: str) -> object:
    """A parameter or buffer assigned to `member`, said to come from it."""
    if isinstance(value, Tensor) and not value.origin:
        return replace(value, origin=f"parameter `{member}`")
    return value
