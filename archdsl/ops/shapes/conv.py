"""Convolutions and transposed convolutions."""

from __future__ import annotations

from collections.abc import Callable

from .core import (
    Args,
    Dims,
    ShapeProblem,
    _channels_last_hint,
    _int,
    _positive,
    _rank,
    _spatial,
    _tuple,
    _window,
    check_size,
)


def _padding_fits(mode: object, pads: Dims, space: Dims) -> None:
    """Reflect padding must be smaller than the size it reflects; circular padding
    may wrap around once at most."""
    for p, h in zip(pads, space, strict=True):
        if not (isinstance(p, int) and isinstance(h, int)):
            continue
        hint = "use a larger input, less padding, or padding_mode='zeros'"
        if mode == "reflect" and p >= h:
            raise ShapeProblem(
                f"reflects a padding of {p} in a dimension of size {h}; it must be "
                "smaller",
                hint,
            )
        if mode == "circular" and p > h:
            raise ShapeProblem(
                f"wraps a padding of {p} around a dimension of size {h}; it can be "
                f"at most {h}",
                hint,
            )


def _conv_input(a: Args, x: Dims, n: int) -> None:
    """What a convolution or a transposed one needs of its input."""
    _rank(x, n + 1, n + 2)
    check_size(
        a["in_channels"], x[-n - 1], "input channels",
        _channels_last_hint(a["in_channels"], x, -n - 1),
    )  # fmt: skip


def conv(n: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _conv_input(a, x, n)
        k, s, d = (
            _tuple(_int(a, key), n, key, single=key != "kernel_size")
            for key in ("kernel_size", "stride", "dilation")
        )
        padding = a.get("padding", 0)
        lead, space = _spatial(x, n)
        if padding == "same":
            if any(step != 1 for step in s):
                raise ShapeProblem("cannot pad 'same' with a stride other than 1")
            out = space
        else:
            given = 0 if padding == "valid" else _int(a, "padding")
            p = _tuple(given, n, "padding", single=True)
            _padding_fits(a.get("padding_mode"), p, space)
            out = tuple(
                _positive(_window(h, *args), "a spatial size of")
                for h, *args in zip(space, k, s, p, d, strict=True)
            )
        return (*lead[:-1], a["out_channels"], *out)

    return rule


def conv_transpose(n: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _conv_input(a, x, n)
        keys = ("kernel_size", "stride", "padding", "output_padding", "dilation")
        k, s, p, op, d = (
            _tuple(_int(a, key), n, key, single=key != "kernel_size") for key in keys
        )
        lead, space = _spatial(x, n)
        out = tuple(
            _positive(
                (h - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1, "a spatial size of"
            )
            for h, k_, s_, p_, op_, d_ in zip(space, k, s, p, op, d, strict=True)
        )
        return (*lead[:-1], a["out_channels"], *out)

    return rule
