"""Batch, instance, group and layer norms."""

from __future__ import annotations

from collections.abc import Callable

from .core import (
    Args,
    Dims,
    ShapeDepends,
    ShapeProblem,
    _channels_last_hint,
    _depends,
    _int,
    _product,
    _rank,
    check_size,
    describe,
    same,
)


def norm(
    ranks: tuple[int, ...], key: str, affine_only: bool = False
) -> Callable[..., Dims]:
    """Batch, instance and group norms: channels in dim 1 (dim 0 for an unbatched
    instance norm input, the smallest rank it takes). Instance norms without affine
    weights accept any channel count (torch only warns), hence `affine_only`."""

    def rule(a: Args, x: Dims) -> Dims:
        channels = a[key]
        _rank(x, *ranks)
        channel = 0 if affine_only and len(x) == min(ranks) else 1
        if not affine_only or a.get("affine") is True:
            check_size(
                channels, x[channel], "channels",
                _channels_last_hint(channels, x, channel),
            )  # fmt: skip
        if affine_only and a.get("track_running_stats") is not True:
            _more_than_one(x[channel + 1 :])
        return x

    return rule


def _more_than_one(space: Dims) -> None:
    """An instance norm's statistics over a single element are undefined; torch
    refuses them in eval mode too unless it tracks running statistics."""
    if space and all(isinstance(s, int) for s in space) and _product(space) == 1:
        raise ShapeProblem(
            f"needs more than one spatial element per channel, receives "
            f"{describe(space)}",
            "normalize before pooling to 1x1, or use a larger input",
        )


def layer_norm(a: Args, x: Dims) -> Dims:
    shape = _int(a, "normalized_shape")
    shape = tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)
    if len(x) < len(shape) or any(
        same(e, g) is False for e, g in zip(shape, x[-len(shape) :], strict=True)
    ):
        raise ShapeProblem(
            f"normalizes the last dimensions {describe(shape)}, receives {describe(x)}"
        )
    if any(_depends(e, g) for e, g in zip(shape, x[-len(shape) :], strict=True)):
        raise ShapeDepends(
            f"normalizes the last dimensions {describe(shape)}, receives "
            f"{describe(x)}, which fits some input sizes only",
            None,
            x,
        )
    return x
