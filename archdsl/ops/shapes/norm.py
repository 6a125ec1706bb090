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
    ranks: tuple[int, ...], key: str, instance: bool = False
) -> Callable[..., Dims]:
    """Batch, instance and group norms: channels in dim 1 (dim 0 for an unbatched
    instance norm input, the smallest rank it takes, hence `instance`). A norm
    with neither affine weights nor running statistics has nothing sized by its
    channel count, and torch takes any (a group norm's must split into its
    groups). Batch and instance norms that keep no running statistics use the
    input's own, even in eval mode, and torch refuses those of a single value."""

    def rule(a: Args, x: Dims) -> Dims:
        channels = a[key]
        _rank(x, *ranks)
        channel = 0 if instance and len(x) == min(ranks) else 1
        tracks = a.get("track_running_stats") is True
        if a.get("affine") is True or tracks:
            check_size(
                channels, x[channel], "channels",
                _channels_last_hint(channels, x, channel),
            )  # fmt: skip
        elif key == "num_channels":
            _groups_split(a.get("num_groups"), x)
        if instance and not tracks:
            _more_than_one(x[channel + 1 :], "spatial element")
        elif key == "num_features" and not tracks:
            _more_than_one(
                (x[0], *x[2:]),
                "value (batch times spatial size)",
                "use a batch of 2 or more, or keep running statistics "
                "(track_running_stats=True)",
            )
        elif key == "num_channels":
            _group_values(a.get("num_groups"), x)
        return x

    return rule


def _groups_split(groups: object, x: Dims) -> None:
    c = x[1]
    if isinstance(groups, int) and isinstance(c, int) and groups > 0 and c % groups:
        raise ShapeProblem(
            f"splits {c} channels into {groups} groups, which does not divide them",
            "the channels must be a multiple of num_groups",
        )


def _group_values(groups: object, x: Dims) -> None:
    """torch's group_norm refuses a batch whose statistics would each be over one
    value: it checks (N * C // groups) * the spatial size."""
    if isinstance(groups, int) and groups > 0 and all(isinstance(s, int) for s in x):
        if _product((x[0] * x[1] // groups, *x[2:])) == 1:
            raise ShapeProblem(
                f"needs more than one value per group, receives {describe(x)}",
                "use a larger input, or fewer groups",
            )


def _more_than_one(
    space: Dims,
    what: str,
    hint: str = "normalize before pooling to 1x1, or use a larger input",
) -> None:
    """Statistics over a single element are undefined; torch refuses them in eval
    mode too unless the norm tracks running statistics."""
    if space and all(isinstance(s, int) for s in space) and _product(space) == 1:
        raise ShapeProblem(
            f"needs more than one {what} per channel, receives {describe(space)}",
            hint,
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
