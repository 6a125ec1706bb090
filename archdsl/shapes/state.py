"""A parameter or buffer member (check/state.py) as the tensor forward reads, and
as the parameters it adds to its block (what `archdsl summary` counts)."""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from .. import ir
from ..check.state import called, state_dims
from ..ops.shapes import UNKNOWN
from ..records import dataclass, replace
from .tensors import UNKNOWN_TENSOR, Tensor


@dataclass
class StateTensor(Tensor):
    """A member's tensor: `params` is what it adds to `model.parameters()` (0 for
    a buffer; UNKNOWN if not known)."""

    params: object = 0


def state_tensor(node: ir.Call, evaluate: Callable[[ir.Node], object]) -> Tensor:
    """Sizes known at build time stay ints; any other is UNKNOWN."""
    dims = state_dims(node, evaluate)
    if dims is None:
        return UNKNOWN_TENSOR
    known = tuple(d if isinstance(d, int) and not isinstance(d, bool) else UNKNOWN
                  for d in dims)  # fmt: skip
    if called(node) != "Parameter":
        return StateTensor(known)  # a buffer
    return StateTensor(known, params=UNKNOWN if UNKNOWN in known else prod(known))


def named_state(value: object, member: str) -> object:
    """A parameter or buffer assigned to `member`, said to come from it."""
    if isinstance(value, Tensor) and not value.origin:
        return replace(value, origin=f"parameter `{member}`")
    return value
