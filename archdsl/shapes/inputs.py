"""Concrete input shapes (`--input-shape`) against the declared ones."""

from __future__ import annotations

from .. import ir
from ..ops.shapes import known
from .tensors import InputShapeError


def unify(info, forward, declared, given, bound, sizes) -> None:
    """Concrete input shapes fix the sizes their declarations name (`N`, `H`, and
    parameters such as `n_channels`)."""
    params = {p.name for p in info.node.params}
    for inp, shape in zip(forward.inputs, declared, strict=True):
        actual = given.get(inp.name)
        if actual is None or shape is None:
            continue
        if len(actual) != len(shape.dims):
            raise InputShapeError(
                f"input `{inp.name}` is declared {_show_declared(shape)} "
                f"({len(shape.dims)} dimensions); the shape given has {len(actual)}",
                inp.span,
            )
        for index, (dim, size) in enumerate(zip(shape.dims, actual, strict=True)):
            name = dim.value
            table = bound if name in params else sizes
            if isinstance(name, int):
                expected = name
            elif name in table and known(table[name]) and isinstance(table[name], int):
                expected = table[name]
            else:
                table[name] = size  # type: ignore[index]
                continue
            if expected != size:
                fixed = (
                    f": dim {index} is {expected}"
                    if isinstance(name, int)
                    else f", so `{name}` is {expected}"
                )
                raise InputShapeError(
                    f"input `{inp.name}` is declared {_show_declared(shape)}{fixed}; "
                    f"the shape given has {size} there",
                    inp.span,
                )


def _show_declared(shape: ir.Shape) -> str:
    return "[" + ", ".join(str(d.value) for d in shape.dims) + "]"
