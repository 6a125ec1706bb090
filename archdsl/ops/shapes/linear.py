"""Linear, bilinear, embedding and PReLU."""

from __future__ import annotations

from .core import Args, Dims, ShapeProblem, _product, check_size, describe, same


def linear(a: Args, x: Dims) -> Dims:
    if not x:
        raise ShapeProblem("expects at least a 1-d input, receives a scalar")
    flattened = same(a["in_features"], _product(x[1:])) and len(x) > 2
    out = (*x[:-1], a["out_features"])
    check_size(
        a["in_features"], x[-1], "input features (the last dimension)",
        "flatten the input first, e.g. `flatten(x, 1)`" if flattened else None,
        out,
    )  # fmt: skip
    return out


def bilinear(a: Args, x1: Dims, x2: Dims) -> Dims:
    if not x1 or len(x1) != len(x2):
        raise ShapeProblem(
            f"expects two inputs of one rank (1-d or more), receives {describe(x1)} "
            f"and {describe(x2)}"
        )
    for axis, (s1, s2) in enumerate(zip(x1[:-1], x2[:-1], strict=True)):
        if same(s1, s2) is False:
            raise ShapeProblem(
                f"expects the same batch dims in both inputs, receives {describe(x1)} "
                f"and {describe(x2)}, which differ in dim {axis}"
            )
    check_size(a["in1_features"], x1[-1], "features in its first input")
    check_size(a["in2_features"], x2[-1], "features in its second input")
    return (*x1[:-1], a["out_features"])


def embedding(a: Args, x: Dims) -> Dims:
    return (*x, a["embedding_dim"])


def prelu(a: Args, x: Dims) -> Dims:
    """One weight for all, or one per channel (dim 1; a 0-d or 1-d input has one)."""
    count = a.get("num_parameters", 1)
    if count != 1:
        check_size(count, x[1] if len(x) >= 2 else 1, "channels (num_parameters)")
    return x
