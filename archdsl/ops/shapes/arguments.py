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


#: Counts that divide something (channels into groups, width into heads): torch
#: divides by them when it builds the layer, so 0 is refused too.
DIVISORS = ("num_groups", "num_heads", "nhead")
#: Window arguments, 1 or more in every dimension.
WINDOWS = ("kernel_size", "stride", "dilation")


def check_arguments(layer: str, a: Args) -> None:
    """What torch refuses in any layer's arguments, whatever the input. Every call
    of a layer asks, so the usual case (all sizes 1 or more) is kept cheap: only
    the counts and windows among its arguments are looked at, in the tables' order."""
    counts, windows = _present(tuple(a))
    for key in counts:
        value = a[key]
        if type(value) is int and value < 1:  # `type`: a bool is not a count
            least = 0
            if key in DIVISORS or layer.startswith("Conv") and key.endswith("channels"):
                least = 1
            if value < least:
                raise ArgumentProblem(
                    f"gets {key}={value}", f"{key} must be {least} or more"
                )
    for key in windows:
        value = a[key]
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if type(item) is int and item < 1:
                raise ArgumentProblem(f"gets {key}={value}", f"{key} must be 1 or more")
    rule = ARGUMENT_RULES.get(layer)
    if rule is not None:
        rule(a)


def _present(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The COUNTS and WINDOWS among a layer's argument names, in their order (a
    layer's calls name the same arguments: its parameters, any keywords)."""
    found = _PRESENT.get(names)
    if found is None:
        if len(_PRESENT) > 4096:  # keyword sets made up by a spec: bounded
            _PRESENT.clear()
        given = set(names)
        found = _PRESENT[names] = (
            tuple(k for k in COUNTS if k in given),
            tuple(k for k in WINDOWS if k in given),
        )
    return found


_PRESENT: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _groups_divide(a: Args) -> None:
    groups = a.get("groups", 1)
    if not _is_int(groups):
        return
    _at_least_one("groups", groups)
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


def _at_least_one(key: str, value: int) -> None:
    if value < 1:
        raise ArgumentProblem(f"gets {key}={value}", f"{key} must be 1 or more")


def _per_dim(
    *keys: str, single: bool = True
) -> Callable[[int], Callable[[Args], None]]:
    """Tuple arguments of an n-d layer hold n values (or one int for all; with
    `single`, as torch's conv strides and pool arguments take it, one value in a
    list is one for all too)."""

    def for_rank(n: int) -> Callable[[Args], None]:
        def check(a: Args) -> None:
            for key in keys:
                value = a.get(key)
                if isinstance(value, (list, tuple)) and value:
                    _tuple(value, n, key, single)

        return check

    return for_rank


def _spread(a: Args, n: int, keys: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
    """Each of `keys` as n values; None when one is not given as ints."""
    values = [a.get(key) for key in keys]
    if not all(_is_int(v) or isinstance(v, (list, tuple)) for v in values):
        return None
    return [_tuple(v, n, key, True) for v, key in zip(values, keys, strict=True)]


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


def _pool_padding_fits(n: int) -> Callable[[Args], None]:
    """torch compares the padding with the kernel size itself, not the window a
    dilation spreads it over (MaxPool2d(3, padding=2, dilation=3) is refused)."""

    def check(a: Args) -> None:
        spread = _spread(a, n, ("kernel_size", "padding"))
        for k_, p_ in _ints(*spread) if spread else ():
            if p_ > k_ // 2:
                raise ArgumentProblem(
                    f"pads {p_} around a window of {k_}; padding can be at most "
                    "half the window",
                    f"use padding={k_ // 2} or less",
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
        if _is_int(a.get(key)):
            _at_least_one(key, a[key])

    return check


def _no_negative_padding(a: Args) -> None:
    """Convolutions and pools refuse a negative padding (a pad layer crops, and
    so does a conv's non-zeros padding_mode: torch pads with F.pad there)."""
    if a.get("padding_mode", "zeros") != "zeros":
        return
    for key in ("padding", "output_padding"):
        value = a.get(key)
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if _is_int(item) and item < 0:
                raise ArgumentProblem(f"gets {key}={value}", f"{key} must be 0 or more")


def _probability(key: str) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        p = a.get(key)
        if isinstance(p, (int, float)) and not isinstance(p, bool) and not 0 <= p <= 1:
            raise ArgumentProblem(f"gets {key}={p}", f"{key} is a probability: 0 to 1")

    return check


def _hardtanh_range(a: Args) -> None:
    low, high = a.get("min_val"), a.get("max_val")
    numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)
    )
    if numbers and high <= low:  # type: ignore[operator]
        raise ArgumentProblem(
            f"gets max_val={high}, which must be greater than min_val={low}",
            "swap them, or widen the range",
        )


def _padding_idx_fits(a: Args) -> None:
    index, count = a.get("padding_idx"), a.get("num_embeddings")
    if _is_int(index) and _is_int(count) and not -count <= index < count:
        raise ArgumentProblem(
            f"gets padding_idx={index} for {count} embeddings",
            f"padding_idx must be a row: 0 to {count - 1} (or -{count} to -1)",
        )


def _zeros_padding_only(a: Args) -> None:
    mode = a.get("padding_mode", "zeros")
    if isinstance(mode, str) and mode != "zeros":
        raise ArgumentProblem(
            f"gets padding_mode='{mode}'; a transposed convolution pads with zeros only",
            "leave out padding_mode, or pad the input first",
        )


#: The interpolation modes that take `align_corners`.
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def _one_of_size_or_scale(a: Args) -> None:
    """Upsample's and interpolate's arguments: `size` or `scale_factor`, not both,
    neither holding a size below 1 (torch refuses an empty output), and
    `align_corners` only with a mode that interpolates."""
    if a.get("size") is not None and a.get("scale_factor") is not None:
        raise ArgumentProblem(
            "gets both `size` and `scale_factor`", "give one of them, not both"
        )
    size, scale = a.get("size"), a.get("scale_factor")
    if size is not None and a.get("recompute_scale_factor") is True:
        raise ArgumentProblem(
            "gets recompute_scale_factor=True with an explicit `size`",
            "it recomputes a scale_factor; leave it out with `size`",
        )
    for value, key in ((size, "size"), (scale, "scale_factor")):
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if (
                isinstance(item, (int, float))
                and not isinstance(item, bool)
                and item <= 0
            ):
                raise ArgumentProblem(
                    f"gets {key}={value}", f"every {key} must be more than 0"
                )
    mode = a.get("mode", "nearest")
    if a.get("align_corners") is not None and mode not in INTERPOLATING:
        raise ArgumentProblem(
            f"gets align_corners with mode '{mode}'; only the modes "
            f"{', '.join(INTERPOLATING)} take it",
            "leave out align_corners",
        )


def _all(*checks: Callable[[Args], None]) -> Callable[[Args], None]:
    def check(a: Args) -> None:
        for one in checks:
            one(a)

    return check


def _conv_args(n: int, transposed: bool) -> Callable[[Args], None]:
    """A conv's kernel_size holds n values; its other tuples may hold one for all,
    except a padding that a non-zeros padding_mode hands to F.pad: torch pads only
    the last dim with a single value there."""
    keys = ("stride", "dilation", "padding", "output_padding")[: 3 + transposed]

    def padding_for_mode(a: Args) -> None:
        padding, mode = a.get("padding"), a.get("padding_mode", "zeros")
        if mode != "zeros" and isinstance(padding, (list, tuple)):
            if len(padding) != n:
                raise ArgumentProblem(
                    f"gets {len(padding)} values for `padding` with "
                    f"padding_mode='{mode}', expects {n}",
                    f"give {n} values, or a single int for all",
                )

    checks = (_per_dim("kernel_size", single=False)(n), padding_for_mode)
    return _all(*checks, _per_dim(*keys)(n))


_POOL_ARGS = _per_dim("kernel_size", "stride", "padding", "dilation")


ARGUMENT_RULES: dict[str, Callable[[Args], None]] = {
    **{
        f"Conv{n}d": _all(_conv_args(n, False), _groups_divide, _no_negative_padding)
        for n in (1, 2, 3)
    },
    **{
        f"ConvTranspose{n}d": _all(
            _conv_args(n, True),
            _groups_divide,
            _output_padding_fits(n),
            _zeros_padding_only,
            _no_negative_padding,
        )
        for n in (1, 2, 3)
    },
    **{
        f"{kind}Pool{n}d": _all(
            _POOL_ARGS(n), _no_negative_padding, _pool_padding_fits(n)
        )
        for kind in ("Max", "Avg")
        for n in (1, 2, 3)
    },
    **{
        f"Adaptive{kind}Pool{n}d": _per_dim("output_size", single=n == 1)(n)
        for kind in ("Avg", "Max")
        for n in (1, 2, 3)
    },
    "GroupNorm": _groups_split,
    "MultiheadAttention": lambda a: _heads_divide(
        a.get("embed_dim"), a.get("num_heads"), "embed_dim"
    ),
    "TransformerEncoderLayer": _all(
        lambda a: _heads_divide(a.get("d_model"), a.get("nhead"), "d_model"),
        _probability("dropout"),
    ),
    "TransformerDecoderLayer": _all(
        lambda a: _heads_divide(a.get("d_model"), a.get("nhead"), "d_model"),
        _probability("dropout"),
    ),
    "Upsample": _one_of_size_or_scale,
    "UpsamplingNearest2d": _one_of_size_or_scale,
    "UpsamplingBilinear2d": _one_of_size_or_scale,
    "PixelShuffle": _factor("upscale_factor"),
    "PixelUnshuffle": _factor("downscale_factor"),
    "ChannelShuffle": _factor("groups"),
    "LocalResponseNorm": _factor("size"),
    "Hardtanh": _hardtanh_range,
    "Embedding": _padding_idx_fits,
    **{
        name: _probability("p")
        for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")
    },
}
