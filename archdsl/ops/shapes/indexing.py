"""Indexing and splitting: `x[:, :c]`, `chunk`, `split`, `unbind`, `size`, `expand`.

A rule that gives several tensors returns a tuple of shapes. Where how many pieces
there are depends on a size not known (`unbind` over `H`), the rule cannot say
(Unknowable); where a piece's size does, that size is UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from ...shapes.dims import Poly, at_least, show
from .core import (
    UNKNOWN,
    Args,
    Dims,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
    _dim,
    _is_int,
    describe,
    floordiv_any,
    known,
    same,
)
from .tensor import exact_div


def index(x: Dims, items: tuple[Any, ...]) -> Dims:
    """`x[items]`: each item an int, a `slice`, `...` (Ellipsis) or None (a new
    dim of size 1), as torch reads a subscript. Raises ShapeDepends (with the
    shape) when a slice of a symbolic size fits only inputs large enough."""
    ellipses = sum(1 for i in items if i is Ellipsis)
    if ellipses > 1:
        raise ShapeProblem("an index can have only one `...`")
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis)
    if consumed > len(x):
        raise ShapeProblem(
            f"indexes {consumed} dims of a {len(x)}-d tensor {describe(x)}",
            "index at most one item per dim; `...` stands for the ones in between",
        )
    if ellipses:
        at = items.index(Ellipsis)
        full = (slice(None),) * (len(x) - consumed)
        items = (*items[:at], *full, *items[at + 1 :])
    else:
        items = (*items, *(slice(None),) * (len(x) - consumed))
    out: list[Any] = []
    small: list[str] = []  # slices that need a symbolic size to be large enough
    dim = 0
    for item in items:
        if item is None:
            out.append(1)
            continue
        size = x[dim]
        if isinstance(item, slice):
            length, needs = slice_length(item, size, dim)
            out.append(length)
            if needs:
                small.append(f"dim {dim} ({show(size)}) needs {needs} or more")
        else:
            _check_index(item, size, dim)
        dim += 1
    if small:
        raise ShapeDepends(
            f"slices {describe(x)} where {', '.join(small)}, which holds for some "
            "input sizes only",
            "a slice past the end is cut short",
            tuple(out),
        )
    return tuple(out)


def _check_index(item: object, size: object, dim: int) -> None:
    if not _is_int(item):
        raise Unknowable  # a run-time size as an index: checked by torch
    if _is_int(size) and not -size <= item < size:  # type: ignore[operator]
        raise ShapeProblem(
            f"index {item} is out of range for dim {dim} of size {size}",
            f"use 0 to {size - 1} (or -{size} to -1 from the end)"  # type: ignore[operator]
            if size
            else "this dim is empty",
        )


def slice_length(item: slice, size: object, dim: int) -> tuple[object, int]:
    """How many items `item` takes from a dim of `size`, as Python's slices count,
    and the size a symbolic dim needs for that count to hold (0: none)."""
    step = 1 if item.step is None else item.step
    if _is_int(step) and step <= 0:
        raise ShapeProblem(
            f"slices dim {dim} with step {step}; torch takes steps of 1 or more",
            "torch has no reversed slices; use `flip` on a copy",
        )
    start, stop = item.start, item.stop
    if not all(v is None or _is_int(v) for v in (start, stop, step)):
        if start in (None, 0) and same(stop, size) is True and step == 1:
            return size, 0
        return UNKNOWN, 0  # a run-time bound: clamped as torch clamps it
    if _is_int(size):
        return len(range(*item.indices(size))), 0  # type: ignore[arg-type]
    if not known(size):
        return UNKNOWN, 0
    # a symbolic size: as Python counts it for a size at least every bound
    needs = max(abs(v) for v in (start or 0, stop or 0))
    first = size + start if _is_int(start) and start < 0 else start or 0
    end = size if stop is None else size + stop if stop < 0 else stop
    taken = end - first  # type: ignore[operator]
    if not isinstance(taken, int) and not at_least(taken, 0):
        return UNKNOWN, 0
    length = floordiv_any(taken + step - 1, step) if step != 1 else taken
    if isinstance(length, int):
        length = max(length, 0)
    return length, needs if needs and not at_least(size, needs) else 0


def chunk(a: Args, x: Dims) -> tuple[Dims, ...]:
    chunks = a["chunks"]
    if not _is_int(chunks):
        raise Unknowable
    if chunks < 1:
        raise ShapeProblem(f"needs 1 chunk or more, got {chunks}")
    dim = _dim(a.get("dim", 0), len(x))
    if not x:
        raise ShapeProblem("cannot chunk a 0-d tensor", "`unsqueeze` it first")
    size = x[dim]
    if _is_int(size):
        each = -(-size // chunks) if size else 0
        sizes = _pieces(size, each) if each else [0] * chunks
        return tuple(_with(x, dim, s) for s in sizes)
    part = exact_div(size, chunks)
    if not isinstance(part, (int, Poly)):
        raise Unknowable  # how many pieces depends on the size
    return tuple(_with(x, dim, part) for _ in range(chunks))


def split(a: Args, x: Dims) -> tuple[Dims, ...]:
    sizes = a["split_size_or_sections"]
    dim = _dim(a.get("dim", 0), len(x))
    if not x:
        raise ShapeProblem("cannot split a 0-d tensor", "`unsqueeze` it first")
    size = x[dim]
    if isinstance(sizes, (list, tuple)):
        if any(_is_int(s) and s < 0 for s in sizes):
            raise ShapeProblem(f"cannot split into negative sizes: {list(sizes)}")
        total = sum(sizes)
        if same(total, size) is False:
            raise ShapeProblem(
                f"splits dim {dim} of size {show(size)} into {list(sizes)}, which "
                f"add up to {show(total)}",
                "the sections must add up to the dim's size",
            )
        return tuple(_with(x, dim, s) for s in sizes)
    if not _is_int(sizes):
        raise Unknowable
    if sizes < 1 and not (sizes == 0 and size == 0):
        raise ShapeProblem(f"needs a split size of 1 or more, got {sizes}")
    if not _is_int(size):
        raise Unknowable  # how many pieces depends on the size
    return tuple(_with(x, dim, s) for s in (_pieces(size, sizes) if size else [0]))


def _pieces(size: int, each: int) -> list[int]:
    """`size` cut into pieces of `each`, the last one smaller."""
    full, rest = divmod(size, each)
    return [each] * full + ([rest] if rest else [])


def _with(x: Dims, dim: int, size: object) -> Dims:
    return (*x[:dim], size, *x[dim + 1 :])


def unbind(a: Args, x: Dims) -> tuple[Dims, ...]:
    dim = _dim(a.get("dim", 0), len(x))
    if not x:
        raise ShapeProblem("cannot unbind a 0-d tensor")
    size = x[dim]
    if not _is_int(size):
        raise Unknowable  # how many tensors depends on the size
    return tuple((*x[:dim], *x[dim + 1 :]) for _ in range(size))


def size(a: Args, x: Dims) -> Dims:
    """`size(x)`: the sizes themselves, as values; `size(x, d)` as a 1-tuple."""
    dim = a.get("dim")
    if dim is None:
        return x
    if not x:
        raise ShapeProblem(f"reads dim {dim} of a 0-d tensor, which has none")
    return (x[_dim(dim, len(x))],)


def expand(a: Args, x: Dims) -> Dims:
    sizes = list(a["size"])
    if len(sizes) < len(x):
        raise ShapeProblem(
            f"expands a {len(x)}-d tensor {describe(x)} to {len(sizes)} dims",
            "give a size for every dim (-1 keeps one)",
        )
    new = len(sizes) - len(x)
    out = []
    depends = []
    for i, want in enumerate(sizes):
        have = x[i - new] if i >= new else None
        if want == -1:
            if have is None:
                raise ShapeProblem(f"cannot keep (-1) the new leading dim {i}")
            out.append(have)
        elif have is None or have == 1 or same(have, want) is not False:
            if _is_int(want) and want < 0:
                raise ShapeProblem(f"cannot expand to a negative size {want}")
            if known(have) and have != 1 and same(have, want) is None:
                depends.append(f"dim {i} is {show(have)}, expanded to {show(want)}")
            out.append(want)
        else:
            raise ShapeProblem(
                f"cannot expand {describe(x)} to {describe(tuple(sizes))}: dim {i} "
                f"is {show(have)}, and only a dim of size 1 expands",
            )
    if depends:
        raise ShapeDepends(
            f"expands {describe(x)} to {describe(tuple(sizes))} for some input sizes "
            f"only: {', '.join(depends)}",
            "only a dim of size 1 expands; keep a dim with -1",
            tuple(out),
        )
    return tuple(out)


def dropout(a: Args, x: Dims) -> Dims:
    """`dropout(x, p)`: the shape it is given, for a probability torch takes."""
    p = a.get("p", 0.5)
    if isinstance(p, (int, float)) and not 0 <= p <= 1:
        raise ShapeProblem(
            f"needs a probability between 0 and 1, got {p}",
            "p is the chance of zeroing each element",
        )
    return x
