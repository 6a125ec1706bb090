"""Resizing and padding: Upsample/interpolate, pads, pixel shuffles."""

from __future__ import annotations

import math
from collections.abc import Callable

from .arguments import _one_of_size_or_scale
from .core import (
    UNKNOWN,
    Args,
    ArgumentProblem,
    Dims,
    ShapeProblem,
    _at_least,
    _int,
    _positive,
    _rank,
    _spatial,
    _tuple,
    describe,
    floordiv_any,
)

#: Interpolation modes that take one input rank only.
MODE_RANKS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def resize(size: object, scale: object, x: Dims, mode: object = "nearest") -> Dims:
    """Upsample / interpolate: `size`, or `scale_factor` per spatial dim (never
    both: _one_of_size_or_scale), of an [N, C, ...] input with 1 to 3 spatial
    dims. Every output size must be 1 or more, as torch says."""
    rank = MODE_RANKS.get(mode)  # type: ignore[arg-type]
    if rank is not None and len(x) != rank:
        raise ShapeProblem(
            f"with mode '{mode}' needs a {rank}-d input, receives {describe(x)}",
            "'linear' is for [N, C, L], 'bilinear' and 'bicubic' for [N, C, H, W], "
            "'trilinear' for [N, C, D, H, W]",
        )
    _rank(x, 3, 4, 5, what=" ([N, C] and 1 to 3 spatial dims)")
    n = len(x) - 2
    lead, space = _spatial(x, n)
    if size is not None:
        return (*lead, *_tuple(size, n, "size"))
    if scale is None:
        raise ShapeProblem("needs `size` or `scale_factor`")
    scales = _tuple(scale, n, "scale_factor")
    out = []
    for h, factor in zip(space, scales, strict=True):
        if not isinstance(factor, (int, float)):
            out.append(UNKNOWN)
        elif float(factor).is_integer():
            out.append(h * int(factor))
        else:
            out.append(math.floor(h * factor) if isinstance(h, int) else UNKNOWN)
    return (*lead, *(_positive(o, "a spatial size of") for o in out))


def pad(n: int, mode: str = "constant") -> Callable[..., Dims]:
    """Zero, constant, reflection and replication pads of the last n dims; a
    negative padding crops. What torch allows differs by mode: a constant pad
    takes any rank from n up and crops first (each crop must fit in the input);
    the others take [C, ...] or [N, C, ...] only; a reflection's padding must be
    smaller than the size it reflects and may leave one dim empty, not all; a
    replication keeps every dim 1 or more. An int pads the last n dims; a tuple
    pads as many dims as it holds pairs (torch passes it on to F.pad as it is)."""

    def rule(a: Args, x: Dims) -> Dims:
        given = _int(a, "padding")
        if isinstance(given, (list, tuple)):
            pairs = len(given) // 2
            if len(given) % 2 or mode != "constant" and not 1 <= pairs <= 3:
                raise ArgumentProblem(
                    f"gets {len(given)} values for `padding`",
                    f"give a (left, right) pair per padded dim, last dim first: {2 * n} "
                    f"values for the last {n} dims, or a single int for all",
                )
            return _pad(mode, pairs, tuple(given), x)
        return _pad(mode, n, _tuple(given, 2 * n, "padding"), x)

    return rule


def _pad(mode: str, n: int, pads: tuple, x: Dims) -> Dims:
    if mode == "constant":
        _at_least(x, n)
    else:
        _rank(x, n + 1, n + 2)
    out = list(x)
    for i in range(n):
        at = len(x) - 1 - i
        before, after = pads[2 * i], pads[2 * i + 1]
        out[at] = _padded(x[at], before, after, at, mode)
    space = out[-n:]
    if mode == "reflect" and all(isinstance(s, int) and s < 1 for s in space):
        raise ShapeProblem(
            f"crops {describe(x)} to nothing: {describe(tuple(out))}",
            "crop less, or use a larger input",
        )
    return tuple(out)


def _padded(size: object, before: int, after: int, at: int, mode: str) -> object:
    padded = size + before + after  # type: ignore[operator]
    if not isinstance(size, int):
        return padded
    if mode == "reflect" and max(before, after) >= size:
        raise ShapeProblem(
            f"reflects a padding of {max(before, after)} in a dimension of size "
            f"{size}; it must be smaller"
        )
    # a constant pad crops before it pads; the others work out the output at once
    cropped = size + min(before, 0) + min(after, 0) if mode == "constant" else size
    least = 1 if mode == "replicate" else 0
    if cropped < 0 or padded < least:
        raise ShapeProblem(
            f"crops dim {at} of size {size} by {-min(before, 0) - min(after, 0)}, "
            f"more than it holds" if cropped < 0 else
            f"gives a size of {padded} in dim {at}; it must be {least} or more",
            "crop less, or use a larger input",
        )  # fmt: skip
    return padded


def pixel_shuffle(a: Args, x: Dims) -> Dims:
    _at_least(x, 3)
    r = _int(a, "upscale_factor")
    *lead, c, h, w = x
    if isinstance(c, int) and c % (r * r):
        raise ShapeProblem(f"needs channels divisible by {r * r}, receives {c}")
    return (*lead, floordiv_any(c, r * r), h * r, w * r)


def pixel_unshuffle(a: Args, x: Dims) -> Dims:
    _at_least(x, 3)
    r = _int(a, "downscale_factor")
    *lead, c, h, w = x
    for size in (h, w):
        if isinstance(size, int) and size % r:
            raise ShapeProblem(
                f"needs height and width divisible by {r}, receives {size}"
            )
    return (*lead, c * r * r, floordiv_any(h, r), floordiv_any(w, r))


def channel_shuffle(a: Args, x: Dims) -> Dims:
    if len(x) < 3:
        raise ShapeProblem(
            f"expects at least a 3-d input [N, C, ...], receives {describe(x)}"
        )
    groups, c = a.get("groups"), x[1]
    if isinstance(groups, int) and isinstance(c, int) and groups > 0 and c % groups:
        raise ShapeProblem(
            f"splits {c} channels into {groups} groups, which does not divide them",
            "the channels must be a multiple of groups",
        )
    return x


def interpolate(a: Args, x: Dims) -> Dims:
    _one_of_size_or_scale(a)  # as the Upsample layers' argument rule does
    return resize(a.get("size"), a.get("scale_factor"), x, a.get("mode", "nearest"))
