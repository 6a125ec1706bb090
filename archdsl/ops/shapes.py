"""Shape and parameter rules, as data: one entry per layer and tensor operation.

A shape rule takes the layer's bound constructor arguments (or the op's call
arguments) and the shapes of the tensors it receives, and returns the shape it
gives, or raises ShapeProblem saying what does not fit. Sizes are ints or symbolic
sizes (archdsl/shapes/dims.py); a size nothing can be known about is UNKNOWN, which
absorbs arithmetic. tests/test_shape_rules.py runs every rule against torch.

A parameter rule counts the parameters a layer creates (what `sum(p.numel())`
gives), so `archdsl summary` adds up to the real model without building it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..shapes.dims import Poly, Size, ceildiv, floordiv, never_zero, show


class _Unknown:
    """A size nothing is known about: arithmetic on it stays unknown."""

    def _same(self, *_: object) -> _Unknown:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __floordiv__ = __rfloordiv__ = __neg__ = _same

    def __repr__(self) -> str:
        return "?"


UNKNOWN = _Unknown()

Dims = tuple[Any, ...]  # Size or UNKNOWN per dimension
Args = Mapping[str, Any]


class ShapeProblem(Exception):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ArgumentProblem(ShapeProblem):
    """A layer's own argument does not fit the tensor's rank (a 3-tuple kernel for
    Conv2d): the mistake is where the layer is made, not where it is called."""


def known(size: object) -> bool:
    return isinstance(size, (int, Poly)) and not isinstance(size, bool)


def same(a: object, b: object) -> bool | None:
    """Whether two sizes are equal: True, False, or None when it depends on the
    input's size (or nothing is known). False only when provably never equal:
    `H` against `H // 2`, or 64 against 128 (see dims.never_zero)."""
    if not (known(a) and known(b)):
        return None
    if a == b:
        return True
    return False if never_zero(a - b) else None  # type: ignore[operator]


def describe(dims: Dims) -> str:
    return "[" + ", ".join(show(d) for d in dims) + "]"


# ---- constructor arguments ---------------------------------------------------------------

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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ---- helpers ---------------------------------------------------------------------------


def _tuple(value: object, n: int, name: str) -> tuple[Any, ...]:
    """An int for every dimension, or one value per dimension (kernel_size=3 or
    kernel_size=(3, 5))."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ArgumentProblem(
                f"gets {len(value)} values for `{name}`, expects {n}",
                f"give {n} values, or a single int for all",
            )
        return tuple(value)
    return (value,) * n


def _rank(dims: Dims, *ranks: int, what: str = "") -> None:
    if len(dims) not in ranks:
        wanted = " or ".join(f"{r}-d" for r in ranks)
        raise ShapeProblem(
            f"expects a {wanted} input{what}, receives a {len(dims)}-d tensor "
            f"{describe(dims)}"
        )


def _at_least(dims: Dims, rank: int) -> None:
    if len(dims) < rank:
        raise ShapeProblem(
            f"expects at least a {rank}-d input, receives {describe(dims)}"
        )


def check_size(expected: object, actual: object, what: str, hint: str | None = None,
               result: Dims | None = None):  # fmt: skip
    """`result`: the rule's output where the sizes agree, kept by a warning."""
    verdict = same(expected, actual)
    message = f"expects {show(expected)} {what}, receives {show(actual)}"
    if verdict is False:
        raise ShapeProblem(message, hint)
    if verdict is None and known(expected) and known(actual):
        raise ShapeDepends(f"{message}, which depends on the input size", hint, result)


def _dim(dim: object, rank: int) -> int:
    if not isinstance(dim, int):
        raise Unknowable
    rank = max(rank, 1)  # a 0-d tensor takes dim 0 or -1, as torch allows
    if not -rank <= dim < rank:
        raise ShapeProblem(
            f"dim {dim} is out of range for a {rank}-d tensor",
            f"its dims are 0 to {rank - 1} (or -{rank} to -1 from the end)",
        )
    return dim % rank


def _product(sizes: Sequence[object]) -> object:
    total: object = 1
    for size in sizes:
        total = total * size  # type: ignore[operator]
    return total


def _positive(size: object, what: str) -> object:
    if isinstance(size, int) and size < 1:
        raise ShapeProblem(
            f"gives {what} {size}: the input is too small",
            "use a larger input, or less downsampling",
        )
    return size


class Unknowable(Exception):
    """A rule cannot say the output shape (an argument is only known at run time)."""


class ShapeDepends(Exception):
    """Sizes that must agree are expressions that agree for some inputs only
    (`Linear(25088, ...)` after flattening `[N, 512, H // 32, W // 32]`)."""

    def __init__(
        self, message: str, hint: str | None = None, result: Dims | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.result = result  # the shape it gives where the sizes do agree


def _int(args: Args, name: str) -> Any:
    value = args.get(name, UNKNOWN)
    if value is UNKNOWN or not (known(value) or isinstance(value, (list, tuple))):
        raise Unknowable
    return value


# ---- convolutions and pools -----------------------------------------------------------


def _window(h, k, s, p, d=1) -> object:
    return floordiv_any(h + 2 * p - d * (k - 1) - 1, s) + 1


def floordiv_any(value: object, den: object) -> object:
    if not isinstance(den, int) or den < 1:
        raise Unknowable
    if isinstance(value, _Unknown):
        return UNKNOWN
    return floordiv(value, den)  # type: ignore[arg-type]


def _ints(*per_dim: Dims) -> list[tuple[int, ...]]:
    """The dims where every argument is a known int (a parameter may be symbolic)."""
    return [
        values
        for values in zip(*per_dim, strict=True)
        if all(isinstance(v, int) for v in values)
    ]


def _spatial(x: Dims, n: int) -> tuple[Dims, Dims]:
    """Split into (leading dims, the last n spatial dims)."""
    return x[:-n], x[-n:]


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


def _channels_last_hint(channels: object, x: Dims, at: int) -> str | None:
    """A sequence [N, T, C] given to a layer that wants [N, C, T]. Worked out only
    when the channels do not plainly match: every conv and norm call asks."""
    if x and same(channels, x[at]) is True:
        return None
    if len(x) >= 3 and at % len(x) != len(x) - 1 and same(channels, x[-1]):
        return f"the channels look like the last dim: `transpose(x, {at % len(x)}, -1)` first"
    return None


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
            _tuple(_int(a, key), n, key)
            for key in ("kernel_size", "stride", "dilation")
        )
        padding = a.get("padding", 0)
        lead, space = _spatial(x, n)
        if padding == "same":
            if any(step != 1 for step in s):
                raise ShapeProblem("cannot pad 'same' with a stride other than 1")
            out = space
        else:
            p = _tuple(0 if padding == "valid" else _int(a, "padding"), n, "padding")
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
        k, s, p, op, d = (_tuple(_int(a, key), n, key) for key in keys)
        lead, space = _spatial(x, n)
        out = tuple(
            _positive(
                (h - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1, "a spatial size of"
            )
            for h, k_, s_, p_, op_, d_ in zip(space, k, s, p, op, d, strict=True)
        )
        return (*lead[:-1], a["out_channels"], *out)

    return rule


def pool(n: int, dilated: bool) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _rank(x, n + 1, n + 2)
        k = _tuple(_int(a, "kernel_size"), n, "kernel_size")
        stride = a.get("stride")
        s = (
            k
            if stride is None or stride == []
            else _tuple(_int(a, "stride"), n, "stride")
        )
        p = _tuple(_int(a, "padding"), n, "padding")
        d = _tuple(_int(a, "dilation"), n, "dilation") if dilated else (1,) * n
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


def adaptive_pool(n: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _rank(x, n + 1, n + 2)
        lead, space = _spatial(x, n)
        size = _tuple(_int(a, "output_size"), n, "output_size")
        out = (
            *lead,
            *(h if o is None else o for h, o in zip(space, size, strict=True)),
        )
        return (out, out) if a.get("return_indices") is True else out

    return rule


# ---- normalization, linear, embedding --------------------------------------------------


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


def ranked(*ranks: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _rank(x, *ranks)
        return x

    return rule


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
    check_size(a["in1_features"], x1[-1], "features in its first input")
    check_size(a["in2_features"], x2[-1], "features in its second input")
    return (*x1[:-1], a["out_features"])


def embedding(a: Args, x: Dims) -> Dims:
    return (*x, a["embedding_dim"])


def flatten_dims(x: Dims, start: object, end: object) -> Dims:
    if not x:
        return (1,)
    first, last = _dim(start, len(x)), _dim(end, len(x))
    if first > last:
        raise ShapeProblem("start_dim comes after end_dim")
    return (*x[:first], _product(x[first : last + 1]), *x[last + 1 :])


def unflatten(a: Args, x: Dims) -> Dims:
    dim = _dim(_int(a, "dim"), len(x))
    sizes = list(_int(a, "unflattened_size"))
    if -1 in sizes:
        inferred = exact_div(x[dim], _product([s for s in sizes if s != -1]))
        if inferred is None:
            raise ShapeProblem(
                f"cannot split dimension {dim} of {describe(x)} into {sizes}"
            )
        sizes[sizes.index(-1)] = inferred
    else:
        check_size(
            _product(sizes),
            x[dim],
            f"elements in dimension {dim} (to split into {sizes})",
        )
    return (*x[:dim], *sizes, *x[dim + 1 :])


# ---- resizing and padding --------------------------------------------------------------


#: Interpolation modes that take one input rank only.
MODE_RANKS = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}


def resize(size: object, scale: object, x: Dims, spatial: int | None = None,
           mode: object = None) -> Dims:  # fmt: skip
    """Upsample / interpolate: `size`, or `scale_factor` per spatial dim (never
    both: _one_of_size_or_scale)."""
    rank = MODE_RANKS.get(mode)  # type: ignore[arg-type]
    if rank is not None and len(x) != rank:
        raise ShapeProblem(
            f"with mode '{mode}' needs a {rank}-d input, receives {describe(x)}",
            "'linear' is for [N, C, L], 'bilinear' and 'bicubic' for [N, C, H, W], "
            "'trilinear' for [N, C, D, H, W]",
        )
    n = spatial or len(x) - 2
    if n < 1:
        raise ShapeProblem(f"resizes spatial dimensions; receives {describe(x)}")
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
    return (*lead, *out)


def pad(n: int, reflect: bool = False) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        value = _int(a, "padding")
        pads = _tuple(
            value, 2 * n, "padding"
        )  # (left, right, top, bottom, ...): last dim first
        out = list(x)
        for i in range(n):
            size = x[len(x) - 1 - i]
            widest = max(pads[2 * i], pads[2 * i + 1])
            if reflect and isinstance(size, int) and widest >= size:
                raise ShapeProblem(
                    f"reflects a padding of {widest} in a dimension of size {size}; "
                    "it must be smaller"
                )
            out[len(x) - 1 - i] = _positive(
                x[len(x) - 1 - i] + pads[2 * i] + pads[2 * i + 1], "a spatial size of"
            )
        return tuple(out)

    return rule


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


# ---- attention -------------------------------------------------------------------------


def multihead_attention(a: Args, q: Dims, k: Dims, v: Dims) -> tuple[Dims, Dims]:
    _rank(q, 2, 3)
    check_size(a["embed_dim"], q[-1], "features (embed_dim, the last dimension)")
    check_size(a.get("kdim") or a["embed_dim"], k[-1], "key features (kdim)")
    check_size(a.get("vdim") or a["embed_dim"], v[-1], "value features (vdim)")
    batch_first = a.get("batch_first") is True
    at = 1 if batch_first and len(q) == 3 else 0  # where the positions are
    length, source = q[at], k[at]
    if len(v) == len(k):
        check_size(source, v[at], "value positions (as many as the key has)")
    # a learned key/value bias and a zero attention each add one source position
    source = source + int(a.get("add_bias_kv") is True)
    source = source + int(a.get("add_zero_attn") is True)
    if len(q) == 2:
        return q, (length, source)
    return q, ((q[0] if batch_first else q[1]), length, source)


def transformer_layer(a: Args, x: Dims, *memory: Dims) -> Dims:
    _rank(x, 2, 3)
    check_size(a["d_model"], x[-1], "features (d_model, the last dimension)")
    return x


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


def same_shape(a: Args, x: Dims) -> Dims:
    return x


def prelu(a: Args, x: Dims) -> Dims:
    count = a.get("num_parameters", 1)
    if count != 1 and len(x) >= 2:
        check_size(count, x[1], "channels (num_parameters)")
    return x


#: Layers whose output has their input's shape (rank checks aside).
ELEMENTWISE = (
    "Identity", "Dropout", "Dropout2d", "Dropout3d", "AlphaDropout", "ReLU", "ReLU6",
    "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Tanhshrink",
    "Threshold", "LocalResponseNorm", "ChannelShuffle",
)  # fmt: skip

# ---- argument rules ----------------------------------------------------------------------
# What a layer's own arguments must satisfy, whatever it receives: checked for every
# member a model builds (check_arguments), and by the layer's shape rule.


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

LAYER_SHAPES: dict[str, Callable[..., Any]] = {
    **{name: same_shape for name in ELEMENTWISE},
    **{f"Conv{n}d": conv(n) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": conv_transpose(n) for n in (1, 2, 3)},
    **{f"MaxPool{n}d": pool(n, dilated=True) for n in (1, 2, 3)},
    **{f"AvgPool{n}d": pool(n, dilated=False) for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": adaptive_pool(n) for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": adaptive_pool(n) for n in (1, 2, 3)},
    "BatchNorm1d": norm((2, 3), "num_features"),
    "BatchNorm2d": norm((4,), "num_features"),
    "BatchNorm3d": norm((5,), "num_features"),
    "InstanceNorm1d": norm((2, 3), "num_features", affine_only=True),
    "InstanceNorm2d": norm((3, 4), "num_features", affine_only=True),
    "InstanceNorm3d": norm((4, 5), "num_features", affine_only=True),
    "GroupNorm": norm(tuple(range(2, 9)), "num_channels"),
    "LayerNorm": layer_norm,
    "Linear": linear,
    "Bilinear": bilinear,
    "Embedding": embedding,
    "Flatten": lambda a, x: flatten_dims(
        x, a.get("start_dim", 1), a.get("end_dim", -1)
    ),
    "Unflatten": unflatten,
    "Upsample": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, mode=a.get("mode")
    ),
    "UpsamplingNearest2d": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, 2
    ),
    "UpsamplingBilinear2d": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, 2
    ),
    "ZeroPad2d": pad(2),
    "ConstantPad2d": pad(2),
    "ReflectionPad2d": pad(2, reflect=True),
    "ReplicationPad2d": pad(2),
    "PixelShuffle": pixel_shuffle,
    "PixelUnshuffle": pixel_unshuffle,
    "MultiheadAttention": multihead_attention,
    "TransformerEncoderLayer": transformer_layer,
    "TransformerDecoderLayer": transformer_layer,
    "PReLU": prelu,
    "Dropout1d": ranked(2, 3),
    "Softmax2d": ranked(3, 4),
    "Softmax": lambda a, x: softmax(a, x) if a.get("dim") is not None else x,
    "LogSoftmax": lambda a, x: softmax(a, x) if a.get("dim") is not None else x,
    # fmt: skip
}


def _checked(layer: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """A layer's shape rule, after the checks of its own arguments."""

    def checked(a: Args, *inputs: Any) -> Any:
        check_arguments(layer, a)
        return rule(a, *inputs)

    return checked


LAYER_SHAPES = {layer: _checked(layer, rule) for layer, rule in LAYER_SHAPES.items()}


# ---- tensor operations -----------------------------------------------------------------


def cat(a: Args, tensors: Sequence[Dims]) -> Dims:
    first = tensors[0]
    rank = len(first)
    dim = _dim(a.get("dim", 0), rank)
    depends = None
    for index, other in enumerate(tensors[1:], 1):
        if len(other) != rank:
            raise ShapeProblem(
                f"joins tensors of different ranks: {describe(first)} and "
                f"{describe(other)} (tensor {index})",
                "give them one rank first (`flatten`, `unsqueeze`, or pooling)",
            )
        differ = [
            axis
            for axis, (s1, s2) in enumerate(zip(first, other, strict=True))
            if axis != dim and same(s1, s2) is False
        ]
        if differ:
            ways = ["pad or crop one of them first (`pad_like`)"] * (differ[-1] >= 2)
            ways += [f"join along dim {differ[0]}"] * (len(differ) == 1)
            raise ShapeProblem(
                f"needs equal sizes outside dim {dim}: {describe(first)} and "
                f"{describe(other)} differ in dim {differ[0]}",
                ", or ".join(ways) or None,
            )
        for axis, (s1, s2) in enumerate(zip(first, other, strict=True)):
            if axis != dim and depends is None and _depends(s1, s2):
                depends = (
                    f"needs equal sizes outside dim {dim}: {describe(first)} and "
                    f"{describe(other)} differ in dim {axis} for some input sizes"
                )
    out = (*first[:dim], _sum_of([t[dim] for t in tensors]), *first[dim + 1 :])
    if depends:
        raise ShapeDepends(depends, "pad or crop one of them (`pad_like`)", out)
    return out


def interpolate(a: Args, x: Dims) -> Dims:
    _one_of_size_or_scale(a)  # as the Upsample layers' argument rule does
    return resize(a.get("size"), a.get("scale_factor"), x, mode=a.get("mode"))


def _may_be_one(size: object) -> bool:
    """A symbolic size that is 1 for some input (`H // 2` for H = 2 or 3), and so
    broadcasts against anything there."""
    return isinstance(size, Poly) and not never_zero(size - 1)


def _depends(a: object, b: object) -> bool:
    """Two sizes equal for some inputs and not for others (`H`, `2*(H // 2)`)."""
    return known(a) and known(b) and same(a, b) is None


def _sum_of(sizes: Sequence[object]) -> object:
    total: object = 0
    for size in sizes:
        total = total + size  # type: ignore[operator]
    return total


def stack(a: Args, tensors: Sequence[Dims]) -> Dims:
    first = tensors[0]
    for other in tensors[1:]:
        if len(other) != len(first) or any(
            same(s1, s2) is False for s1, s2 in zip(first, other, strict=True)
        ):
            raise ShapeProblem(
                f"needs tensors of one shape: {describe(first)} and {describe(other)}"
            )
    dim = _dim(a.get("dim", 0), len(first) + 1)
    out = (*first[:dim], len(tensors), *first[dim:])
    for other in tensors[1:]:
        if any(_depends(s1, s2) for s1, s2 in zip(first, other, strict=True)):
            raise ShapeDepends(
                f"needs tensors of one shape: {describe(first)} and {describe(other)} "
                "differ for some input sizes",
                None,
                out,
            )
    return out


def unsqueeze(a: Args, x: Dims) -> Dims:
    dim = a["dim"]
    if isinstance(dim, int) and not -len(x) - 1 <= dim <= len(x):
        raise ShapeProblem(
            f"dim {dim} is out of range for a {len(x)}-d tensor",
            f"the new dim goes before dim 0 to {len(x)} (or -{len(x) + 1} to -1 from "
            "the end)",
        )
    dim = _dim(dim, len(x) + 1)
    return (*x[:dim], 1, *x[dim:])


def squeeze(a: Args, x: Dims) -> Dims:
    dims = a.get("dim")
    if dims is None:
        if not all(isinstance(s, int) for s in x):
            raise Unknowable  # which sizes are 1 depends on the input
        return tuple(s for s in x if s != 1)
    chosen = {
        _dim(d, len(x)) for d in (dims if isinstance(dims, (list, tuple)) else [dims])
    }
    if any(not isinstance(x[d], int) for d in chosen):
        raise Unknowable
    return tuple(s for i, s in enumerate(x) if not (i in chosen and s == 1))


def reshape(a: Args, x: Dims) -> Dims:
    shape = list(_int(a, "shape"))
    asked = describe(tuple(shape))
    if shape.count(-1) > 1:
        raise ShapeProblem("can infer only one dimension (-1)")
    total = _product(x)
    rest = _product([s for s in shape if s != -1])
    if -1 in shape:
        inferred = exact_div(total, rest)
        if inferred is None:
            raise ShapeProblem(
                f"cannot reshape {describe(x)} ({show(total)} elements) into "
                f"{describe(tuple(shape))}: {show(rest)} does not divide it"
            )
        shape[shape.index(-1)] = inferred
        if inferred is UNKNOWN and isinstance(total, Poly) and isinstance(rest, int):
            raise ShapeDepends(
                f"cannot reshape {describe(x)} ({show(total)} elements) into "
                f"{asked} for every input size: {rest} divides it for some only",
                None,
                tuple(shape),
            )
    elif same(total, rest) is False:
        raise ShapeProblem(
            f"cannot reshape {describe(x)} ({show(total)} elements) into "
            f"{describe(tuple(shape))} ({show(rest)} elements)"
        )
    elif _depends(total, rest):
        raise ShapeDepends(
            f"reshapes {describe(x)} ({show(total)} elements) into "
            f"{describe(tuple(shape))} ({show(rest)} elements), which fits some "
            "input sizes only",
            None,
            tuple(shape),
        )
    return tuple(shape)


def exact_div(total: object, part: object) -> object:
    """total / part when it divides exactly; None when it cannot; UNKNOWN when it
    depends on sizes not known."""
    if not (known(total) and known(part)):
        return UNKNOWN
    if isinstance(part, int):
        if part == 0:
            return None
        if isinstance(total, int):
            return total // part if total % part == 0 else None
        terms = dict(total.terms)
        if all(c % part == 0 for c in terms.values()):
            return floordiv(total, part)
        return UNKNOWN
    if len(part.terms) == 1:  # a single monomial: divide it out of every term
        ((mono, coeff),) = part.terms
        out: dict = {}
        for m, c in total.terms if isinstance(total, Poly) else (((), total),):
            rest = list(m)
            for atom in mono:
                if atom not in rest:
                    return UNKNOWN
                rest.remove(atom)
            if c % coeff:
                return UNKNOWN
            out[tuple(rest)] = c // coeff
        result: Size = 0
        for m, c in out.items():
            result = result + Poly({m: c}) if m else result + c
        return result
    return UNKNOWN


def permute(a: Args, x: Dims) -> Dims:
    dims = [_dim(d, len(x)) for d in _int(a, "dims")]
    if sorted(dims) != list(range(len(x))):
        raise ShapeProblem(
            f"needs a permutation of the {len(x)} dimensions of {describe(x)}, got "
            f"{list(_int(a, 'dims'))}"
        )
    return tuple(x[d] for d in dims)


def transpose(a: Args, x: Dims) -> Dims:
    d0, d1 = _dim(a["dim0"], len(x)), _dim(a["dim1"], len(x))
    out = list(x)
    out[d0], out[d1] = x[d1], x[d0]
    return tuple(out)


def mean(a: Args, x: Dims) -> Dims:
    dims = a.get("dim")
    keep = a.get("keepdim") is True
    listed = list(dims) if isinstance(dims, (list, tuple)) else [dims]
    if dims is None or listed == []:  # torch reduces every dimension
        return tuple(1 for _ in x) if keep else ()
    chosen = [_dim(d, len(x)) for d in listed]
    if len(set(chosen)) != len(chosen):
        raise ShapeProblem(f"names a dimension twice: {listed}")
    return tuple(
        1 if i in chosen else s for i, s in enumerate(x) if keep or i not in chosen
    )


def softmax(a: Args, x: Dims) -> Dims:
    _dim(a["dim"], len(x))
    return x


def pad_like(a: Args, x: Dims, other: Dims) -> Dims:
    if len(x) != 4 or len(other) != 4:
        raise ShapeProblem(
            f"pads 4-d tensors, receives {describe(x)} and {describe(other)}"
        )
    return (*x[:2], *other[2:])


OP_SHAPES: dict[str, Callable[..., Any]] = {
    "cat": cat,
    "stack": stack,
    "flatten": lambda a, x: flatten_dims(
        x, a.get("start_dim", 0), a.get("end_dim", -1)
    ),
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "reshape": reshape,
    "permute": permute,
    "transpose": transpose,
    "mean": mean,
    "softmax": softmax,
    "relu": same_shape,
    "sigmoid": same_shape,
    "tanh": same_shape,
    "interpolate": interpolate,
    "adaptive_avg_pool2d": lambda a, x: adaptive_pool(2)(a, x),
    "pad_like": pad_like,
}


def broadcast(x: Dims, y: Dims) -> Dims:
    """`x + y`, `x * y`: sizes align from the right; each pair equal or one is 1.
    Raises ShapeDepends (with the shape) when a pair is equal for some inputs only."""
    out = []
    depends: list[str] = []
    for i in range(1, max(len(x), len(y)) + 1):
        a = x[-i] if i <= len(x) else 1
        b = y[-i] if i <= len(y) else 1
        dim = max(len(x), len(y)) - i
        verdict = same(a, b)
        if a == 1:
            out.append(b)
        elif b == 1 or verdict is True or not (known(a) and known(b)):
            out.append(a if known(a) else b)
        elif verdict is None or _may_be_one(a) or _may_be_one(b):
            out.append(a)  # right for some inputs only
            depends.insert(0, f"dim {dim} is {show(a)} and {show(b)}")
        else:
            raise ShapeProblem(
                f"cannot broadcast {describe(x)} with {describe(y)}: dim "
                f"{dim} is {show(a)} and {show(b)}",
                _broadcast_hint(x, y),
            )
    result = tuple(reversed(out))
    if depends:
        raise ShapeDepends(
            f"cannot broadcast {describe(x)} with {describe(y)} for some input "
            f"sizes: {', '.join(depends)}",
            _broadcast_hint(x, y),
            result,
        )
    return result


def _broadcast_hint(x: Dims, y: Dims) -> str:
    """Of a lower-rank operand, the usual intent: line it up with the leading dims
    (a FiLM scale [N, C] against [N, C, H, W])."""
    short, long = sorted((x, y), key=len)
    if len(short) == len(long) or not short:
        return "sizes must be equal, or 1"
    lined_up = describe((*short, *(1,) * (len(long) - len(short))))
    return (
        f"sizes align from the right; to match {describe(short)} with the leading "
        f"dims, make it {lined_up} first (`reshape` or `unsqueeze`)"
    )


# ---- parameters ------------------------------------------------------------------------


def _conv_params_nd(n: int) -> Callable[[Args], object]:
    def count(a: Args) -> object:
        k = a["kernel_size"]
        kernel = _product(_tuple(k, n, "kernel_size"))
        weight = floordiv_any(
            a["in_channels"] * a["out_channels"] * kernel, a.get("groups", 1)
        )
        return weight + (a["out_channels"] if a.get("bias", True) else 0)

    return count


def _affine(key: str, flag: str = "affine") -> Callable[[Args], object]:
    return lambda a: 2 * a[key] if a.get(flag) is True else 0


def _layer_norm_params(a: Args) -> object:
    if a.get("elementwise_affine") is not True:
        return 0
    shape = a["normalized_shape"]
    size = _product(shape) if isinstance(shape, (list, tuple)) else shape
    return size * (2 if a.get("bias", True) else 1)


def _attention_params(a: Args) -> object:
    e = a["embed_dim"]
    kdim = a.get("kdim") or e
    vdim = a.get("vdim") or e
    bias = a.get("bias", True)
    projections = e * e + e * kdim + e * vdim  # q, k, v (one packed weight if equal)
    count = projections + (3 * e if bias else 0) + e * e + (e if bias else 0)
    return count + (2 * e if a.get("add_bias_kv") is True else 0)


def _transformer_params(decoder: bool) -> Callable[[Args], object]:
    def count(a: Args) -> object:
        d, ff = a["d_model"], a.get("dim_feedforward", 2048)
        bias = a.get("bias", True)
        attention = _attention_params({"embed_dim": d, "bias": bias})
        feedforward = 2 * d * ff + ((ff + d) if bias else 0)
        norms = (3 if decoder else 2) * d * (2 if bias else 1)
        return attention * (2 if decoder else 1) + feedforward + norms

    return count


PARAMETERS: dict[str, Callable[[Args], object]] = {
    **{f"Conv{n}d": _conv_params_nd(n) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_params_nd(n) for n in (1, 2, 3)},
    "Linear": lambda a: (
        a["in_features"] * a["out_features"]
        + (a["out_features"] if a.get("bias", True) else 0)
    ),
    "Bilinear": lambda a: (
        a["in1_features"] * a["in2_features"] * a["out_features"]
        + (a["out_features"] if a.get("bias", True) else 0)
    ),
    "Embedding": lambda a: a["num_embeddings"] * a["embedding_dim"],
    **{f"BatchNorm{n}d": _affine("num_features") for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": _affine("num_features") for n in (1, 2, 3)},
    "GroupNorm": _affine("num_channels"),
    "LayerNorm": _layer_norm_params,
    "PReLU": lambda a: a.get("num_parameters", 1),
    "MultiheadAttention": _attention_params,
    "TransformerEncoderLayer": _transformer_params(decoder=False),
    "TransformerDecoderLayer": _transformer_params(decoder=True),
}
