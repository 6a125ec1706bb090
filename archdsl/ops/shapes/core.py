"""Sizes, the problems a rule raises, and the helpers every family shares."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...shapes.dims import Poly, floordiv, never_zero, show


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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _tuple(value: object, n: int, name: str, single: bool = False) -> tuple[Any, ...]:
    """An int for every dimension, or one value per dimension (kernel_size=3 or
    kernel_size=(3, 5)). `single`: a list of one value is one for all, as torch's
    conv strides and pool windows take it (a conv's kernel_size does not)."""
    if isinstance(value, (list, tuple)):
        if single and len(value) == 1:
            return tuple(value) * n
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


def _window(h, k, s, p, d=1) -> object:
    return floordiv_any(h + 2 * p - d * (k - 1) - 1, s) + 1


def floordiv_any(value: object, den: object) -> object:
    if not isinstance(den, int) or den < 1:
        raise Unknowable
    if isinstance(value, _Unknown):
        return UNKNOWN
    if not isinstance(value, (int, Poly)):  # a float size: its own check reports it
        raise Unknowable
    return floordiv(value, den)


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


def _channels_last_hint(channels: object, x: Dims, at: int) -> str | None:
    """A sequence [N, T, C] given to a layer that wants [N, C, T]. Worked out only
    when the channels do not plainly match: every conv and norm call asks."""
    if x and same(channels, x[at]) is True:
        return None
    if len(x) >= 3 and at % len(x) != len(x) - 1 and same(channels, x[-1]):
        return f"the channels look like the last dim: `transpose(x, {at % len(x)}, -1)` first"
    return None


def at_least(rank: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _at_least(x, rank)
        return x

    return rule


def ranked(*ranks: int) -> Callable[..., Dims]:
    def rule(a: Args, x: Dims) -> Dims:
        _rank(x, *ranks)
        return x

    return rule


def same_shape(a: Args, x: Dims) -> Dims:
    return x


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
