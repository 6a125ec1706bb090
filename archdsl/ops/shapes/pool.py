"""Pooling, fixed-window and adaptive."""

from __future__ import annotations

from collections.abc import Callable

from ...shapes.dims import ceildiv
from .core import (
    UNKNOWN,
    Args,
    ArgumentProblem,
    Dims,
    ShapeProblem,
    Unknowable,
    _int,
    _ints,
    _positive,
    _rank,
    _spatial,
    _tuple,
    _window,
    describe,
    known,
)


def pool(n: int, dilated: bool) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _rank(x, n + 1, n + 2)
        k = _tuple(_int(a, "kernel_size"), n, "kernel_size", single=True)
        stride = a.get("stride")
        empty = isinstance(stride, (list, tuple)) and not stride
        s = (
            k
            if stride is None or empty
            else _tuple(_int(a, "stride"), n, "stride", True)
        )
        p = _tuple(_int(a, "padding"), n, "padding", single=True)
        d = _tuple(_int(a, "dilation"), n, "dilation", True) if dilated else (1,) * n
        ceil = a.get("ceil_mode") is True
        lead, space = _spatial(x, n)
        if n == 3 and not dilated:  # torch's avg_pool3d also wants the input unpadded
            for h, k_ in _ints(space, k):
                if h < k_:
                    raise ShapeProblem(
                        f"needs every spatial size to be at least the kernel size "
                        f"{describe(k)}, receives {describe(x)}",
                        "use a larger input or a smaller kernel",
                    )
        out = tuple(
            _positive(_pool_size(h, *args, ceil), "a spatial size of")
            for h, *args in zip(space, k, s, p, d, strict=True)
        )
        if a.get("return_indices") is True:
            return ((*lead, *out), (*lead, *out))  # values and their indices
        return (*lead, *out)

    return rule


def _pool_size(h, k, s, p, d, ceil: bool) -> object:
    """torch's pooling_output_shape, ceil_mode's last-window rule included."""
    if not ceil:
        return _window(h, k, s, p, d)
    span = h + 2 * p - d * (k - 1) - 1
    out = ceildiv(span, s) + 1 if known(span) else UNKNOWN
    if not isinstance(out, int):
        # the last window may start past the input only when p + s - 2 >= d*(k-1)
        return out if p + s - 2 < d * (k - 1) else UNKNOWN
    return out - 1 if (out - 1) * s >= h + p else out  # type: ignore[operator]


def _mean_to_one(given: object, size: tuple, x: Dims) -> Dims | None:
    """torch's adaptive_avg_pool2d (and 3d) to all ones is a mean over the last n
    dims, which takes any rank from n up (n + 1 up for a tuple: F.adaptive_avg_pool
    fills its Nones from the input first, and wants a dim more than it holds)."""
    n = len(size)
    if isinstance(given, (list, tuple)):
        if len(x) <= n:
            raise ShapeProblem(
                f"expects at least a {n + 1}-d input, receives {describe(x)}"
            )
        size = tuple(h if o is None else o for h, o in zip(x[-n:], size, strict=True))
    elif len(x) < n:
        return None
    if all(o == 1 for o in size):
        return (*x[:-n], *size)
    if all(o == 1 or not isinstance(o, int) for o in size) and len(x) not in (
        n + 1,
        n + 2,
    ):
        raise Unknowable  # a None kept a symbolic size: the fast path if it is 1
    return None


def adaptive_pool(n: int, average: bool = False) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        given = a.get("output_size")
        size = (
            ()
            if given is None
            else _tuple(_int(a, "output_size"), n, "output_size", n == 1)
        )
        if given is None or n == 1 and None in size:
            raise ArgumentProblem(
                f"gets output_size={given!r}",
                "give an int, or one per dimension (None keeps the input's size, "
                "in a 2-d or 3-d pool)",
            )
        if average and n > 1:
            fast = _mean_to_one(given, size, x)
            if fast is not None:
                return fast
        _rank(x, n + 1, n + 2)
        lead, space = _spatial(x, n)
        out = (
            *lead,
            *(h if o is None else o for h, o in zip(space, size, strict=True)),
        )
        return (out, out) if a.get("return_indices") is True else out

    return rule
