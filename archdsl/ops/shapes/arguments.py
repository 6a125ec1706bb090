"""Argument rules: what a layer's own arguments must satisfy, whatever it
receives. Checked for every member a model builds (check_arguments), and by the
layer's shape rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import Args, ArgumentProblem, _ints, _is_int, _tuple

#: Arguments that count something: a negative one would make a tensor of negative
#: size, which torch refuses when it builds the layer.
COUNTS = (
    "in_channels", "out_channels", "in_features", "out_features", "in1_features",
    "in2_features", "num_features", "num_channels", "num_groups", "num_embeddings",
    "embedding_dim", "embed_dim", "num_heads", "d_model", "nhead", "dim_feedforward",
    "num_parameters",
)  # fmt: skip


#: Window arguments, 1 or more in every dimension.
WINDOWS = ("kernel_size", "stride", "dilation")


def check_arguments(layer: str, a: Args) -> None:
    """What torch refuses in any layer's arguments, whatever the input. Every call
    of a layer asks, so the usual case (all sizes 1 or more) is kept cheap."""
    for key in COUNTS:
        value = a.get(key)
        if type(value) is int and value < 1:  # `type`: a bool is not a count
            least = 1 if layer.startswith("Conv") and key.endswith("channels") else 0
            if value < least:
                raise ArgumentProblem(
                    f"gets {key}={value}", f"{key} must be {least} or more"
                )
    for key in WINDOWS:
        value = a.get(key)
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if type(item) is int and item < 1:
                raise ArgumentProblem(f"gets {key}={value}", f"{key} must be 1 or more")
    rule = ARGUMENT_RULES.get(layer)
    if rule is not None:
        rule(a)


def _groups_divide(a: Args) -> None:
    groups = a.get("groups", 1)
    if not _is_int(groups) or groups < 1:
        return
    for key in ("in_channels", "out_channels"):
        if _is_int(a[key]) and a[key] % groups:
            raise ArgumentProblem(
                f"splits {key}={a[key]} into groups={groups}, which does not divide it",
                "in_channels and out_channels must both be multiples of groups",
            )


def _heads_divide(width: object, heads: object, name: str) -> None:
    if (
        isinstance(width, int)
        and isinstance(heads, int)
        and heads > 0
        and width % heads
    ):
        raise ArgumentProblem(
            f"splits {name}={width} into {heads} heads, which does not divide it",
            f"make {name} a multiple of the number of heads",
        )


def _per_dim(*keys: str) -> Callable[[int], Callable[[Args], None]]:
    """Tuple arguments of an n-d layer hold n values (or one int for all)."""

    def for_rank(n: int) -> Callable[[Args], None]:
        def check(a: Args) -> None:
            for key in keys:
                value = a.get(key)
                if isinstance(value, (list, tuple)) and value:
                    _tuple(value, n, key)

        return check

    return for_rank


def _spread(a: Args, n: int, keys: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """Each of `keys` as n values; None when one is not given as ints."""
    values = [a.get(key) for key in keys]
    if not all(_is_int(v) or isinstance(v, (list, tuple)) for v in values):
        return None
    return [_tuple(v, n, key) for v, key in zip(values, keys, strict=True)]


def _output_padding_fits(n: int) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        spread = _spread(a, n, ("output_padding", "stride", "dilation"))
        for op_, s_, d_ in _ints(*spread) if spread else ():
            if op_ >= s_ and op_ >= d_:
                raise ArgumentProblem(
                    f"gets output_padding={op_}, which must be smaller than the stride "
                    f"({s_}) or the dilation ({d_})",
                    "output_padding picks one of the stride's possible sizes: "
                    "0 to stride - 1",
                )

    return check


def _pool_padding_fits(n: int, dilated: bool) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        spread = _spread(a, n, ("kernel_size", "padding", "dilation")[: 2 + dilated])
        if spread is None:
            return
        k, p, d = (*spread, (1,) * n)[:3]
        for k_, p_, d_ in _ints(k, p, d):
            window = d_ * (k_ - 1) + 1
            if p_ > window // 2:
                raise ArgumentProblem(
                    f"pads {p_} around a window of {window}; padding can be at most "
                    "half the window",
                    f"use padding={window // 2} or less",
                )

    return check


def _groups_split(a: Args) -> None:
    groups, channels = a.get("num_groups"), a.get("num_channels")
    if _is_int(groups) and _is_int(channels) and groups > 0 and channels % groups:
        raise ArgumentProblem(
            f"splits num_channels={channels} into num_groups={groups}, which does "
            "not divide it",
            "num_channels must be a multiple of num_groups",
        )


def _factor(key: str) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        if _is_int(a.get(key)) and a[key] < 1:
            raise ArgumentProblem(f"gets {key}={a[key]}", f"{key} must be 1 or more")

    return check


def _one_of_size_or_scale(a: Args) -> None:
    if a.get("size") is not None and a.get("scale_factor") is not None:
        raise ArgumentProblem(
            "gets both `size` and `scale_factor`", "give one of them, not both"
        )


def _all(*checks: Callable[[Args], None]) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        for one in checks:
            one(a)

    return check


_CONV_ARGS = _per_dim("kernel_size", "stride", "dilation", "padding")


_CONV_T_ARGS = _per_dim(
    "kernel_size", "stride", "dilation", "padding", "output_padding"
)


_POOL_ARGS = _per_dim("kernel_size", "stride", "padding", "dilation")


ARGUMENT_RULES: dict[str, Callable[[Args], None]] = {
    **{f"Conv{n}d": _all(_CONV_ARGS(n), _groups_divide) for n in (1, 2, 3)},
    **{
        f"ConvTranspose{n}d": _all(
            _CONV_T_ARGS(n), _groups_divide, _output_padding_fits(n)
        )
        for n in (1, 2, 3)
    },
    **{
        f"MaxPool{n}d": _all(_POOL_ARGS(n), _pool_padding_fits(n, True))
        for n in (1, 2, 3)
    },
    **{
        f"AvgPool{n}d": _all(_POOL_ARGS(n), _pool_padding_fits(n, False))
        for n in (1, 2, 3)
    },
    **{
        f"Adaptive{kind}Pool{n}d": _per_dim("output_size")(n)
        for kind in ("Avg", "Max")
        for n in (1, 2, 3)
    },
    "GroupNorm": _groups_split,
    "MultiheadAttention": lambda a: _heads_divide(
        a.get("embed_dim"), a.get("num_heads"), "embed_dim"
    ),
    "TransformerEncoderLayer": lambda a: _heads_divide(
        a.get("d_model"), a.get("nhead"), "d_model"
    ),
    "TransformerDecoderLayer": lambda a: _heads_divide(
        a.get("d_model"), a.get("nhead"), "d_model"
    ),
    "Upsample": _one_of_size_or_scale,
    "UpsamplingNearest2d": _one_of_size_or_scale,
    "UpsamplingBilinear2d": _one_of_size_or_scale,
    "PixelShuffle": _factor("upscale_factor"),
    "PixelUnshuffle": _factor("downscale_factor"),
}
