"""Which torch functions and tensor methods a traced forward may call: the language's
own operation registry (archdsl/ops/tensor_ops.py), read as data, so an operation
the language gains is imported without a change here."""

from __future__ import annotations

import operator
from functools import cache

import torch
import torch.nn.functional as F

from ..ops.tensor_ops import TENSOR_OPS, TensorOp

#: Python operators on tensors and sizes, as `.arch` writes them. In-place forms
#: (`out += identity`) are written out of place: fx records `+=` on a tensor as `add`.
OPERATORS = {
    operator.add: "+",
    operator.sub: "-",
    operator.mul: "*",
    operator.truediv: "/",
    operator.floordiv: "//",
    operator.mod: "%",
    operator.iadd: "+",
    operator.isub: "-",
    operator.imul: "*",
    operator.itruediv: "/",
}

#: Keywords torch's wrappers pass on at a default their own signature does not
#: show: F.max_pool2d (a boolean dispatch over `return_indices`) passes
#: `return_indices=False` to the function it picks.
WRAPPER_DEFAULTS = frozenset({("return_indices", False)})

#: Where torch keeps the functions the registry spells `torch.x` or `F.x`.
NAMESPACES = (torch, F, torch.Tensor)


@cache
def _functions() -> dict[object, TensorOp]:
    found: dict[object, TensorOp] = {}
    for op in TENSOR_OPS.values():
        short = op.python.rpartition(".")[2]
        for space in (torch, F):
            function = getattr(space, short, None)
            if function is not None and callable(function):
                found.setdefault(function, op)
    return found


def function_op(target: object) -> TensorOp | None:
    """The operation a `call_function` node's target is: `torch.cat`, `F.relu`."""
    try:
        return _functions().get(target)
    except TypeError:  # an unhashable target
        return None


def method_op(name: str) -> TensorOp | None:
    """The operation of a tensor method: `x.flatten(1)` is `flatten`; `x.relu_()` is
    `relu` in place (see forward.py for when that may be written out of place)."""
    return TENSOR_OPS.get(name) or TENSOR_OPS.get(name.removesuffix("_"))


def describe(target: object) -> str:
    """How the Python spelled a function, for a diagnostic: `torch.roll`."""
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", None) or repr(target)
    if module.startswith("torch.nn.functional"):
        return f"F.{name}"
    if module in ("torch", "") or module.startswith("torch._"):
        return f"torch.{name}"
    return f"{module}.{name}"
