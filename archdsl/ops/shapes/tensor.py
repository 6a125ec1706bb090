"""Tensor operations (`cat`, `reshape`, `mean`, ...) and broadcasting."""

from __future__ import annotations

from collections.abc import Sequence

from ...shapes.dims import Poly, Size, floordiv, show
from .core import (
    UNKNOWN,
    Args,
    Dims,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
    _depends,
    _dim,
    _int,
    _may_be_one,
    _product,
    _sum_of,
    check_size,
    describe,
    known,
    same,
)


def flatten_dims(x: Dims, start: object, end: object) -> Dims:
    first, last = _dim(start, len(x)), _dim(end, len(x))
    if not x:
        return (1,)
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


def cat(a: Args, tensors: Sequence[Dims]) -> Dims:
    first = tensors[0]
    rank = len(first)
    dim = _dim(a.get("dim", 0), rank)
    if not rank:
        raise ShapeProblem(
            "cannot join 0-d tensors", "`stack` them, or `unsqueeze` each first"
        )
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
    listed = dims if isinstance(dims, (list, tuple)) else [dims]
    chosen = {_dim(d, len(x)) for d in listed}
    if len(chosen) != len(listed):
        raise ShapeProblem(f"names a dimension twice: {list(listed)}")
    if not x:
        return x
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
    if not x:
        return x
    out = list(x)
    out[d0], out[d1] = x[d1], x[d0]
    return tuple(out)


def mean(a: Args, x: Dims) -> Dims:
    dims = a.get("dim")
    keep = a.get("keepdim") is True
    listed = list(dims) if isinstance(dims, (list, tuple)) else [dims]
    if dims is None and keep:  # torch.mean has no form with keepdim but no dim
        raise ShapeProblem(
            "keeps the reduced dims but names none",
            f"name the dims to reduce, e.g. dim={list(range(len(x)))}",
        )
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
    """What the generated helper does: pad (or crop) the last two dims of `input`
    by how much `other`'s dims 2 and 3 differ from `input`'s."""
    if len(x) < 4 or len(other) < 4:
        raise ShapeProblem(
            f"pads 4-d tensors, receives {describe(x)} and {describe(other)}"
        )
    if len(x) == 4:
        return (*x[:2], *other[2:4])
    out = (*x[:-2], x[-2] + other[2] - x[2], x[-1] + other[3] - x[3])
    for size in out[-2:]:
        if isinstance(size, int) and size < 0:
            raise ShapeProblem(
                f"crops {describe(x)} to a negative size to match {describe(other)}"
            )
    return out


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
        elif b == 1:  # `a` whatever it is, an unknown size too (not 1)
            out.append(a)
        elif verdict is True or not (known(a) and known(b)):
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
