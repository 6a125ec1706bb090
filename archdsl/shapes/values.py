"""Build-time values for the evaluator of shapes (modules.py): symbols for the
parameters nobody gave, the builtins, symbolic arithmetic kept within bounds, and
what makes two instances of a block evaluate alike (for its counting pass)."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..check import types
from ..check.consts import BINARY_OPS, MAX_INT_BITS
from ..check.context import DefInfo
from ..check.families import ClassRef
from ..check.partials import PartialRef
from ..ops.shapes import UNKNOWN
from . import dims


def symbol_for(param: ir.Param) -> Any:
    """A parameter nobody gave: an int one is a symbol that may be 0 (`extra`
    features), not assumed to be at least 1 as an input's size is."""
    if param.type is None or param.type.name == "int":
        return dims.parameter(param.name)
    return UNKNOWN


def memo_key(info: DefInfo, bound: dict[str, Any]) -> tuple | None:
    """What makes two instances of a definition evaluate alike; None when an
    argument is a module or otherwise not comparable by value."""
    items = []
    for name in sorted(bound):
        value = frozen(bound[name])
        if value is None:
            return None
        items.append((name, value))
    return (info.name, tuple(items))


def frozen(value: Any) -> Any:
    if value is UNKNOWN:
        return ("unknown",)
    if isinstance(value, PartialRef):
        bound = frozen((value.positional, tuple(sorted(value.keywords.items()))))
        return None if bound is None else ("partial", value.name, bound)
    if isinstance(value, ClassRef):
        return ("class", value.name)
    if plain(value) or isinstance(value, dims.Poly):
        return (type(value).__name__, value)  # 1, True and 1.0 differ
    if isinstance(value, (list, tuple)):
        items = [frozen(v) for v in value]
        return None if None in items else (type(value).__name__, tuple(items))
    return None


def call_key(name: str, positional: list, keywords: dict) -> tuple | None:
    """A layer call's key when every value given is a plain scalar (by type and
    value; a float by its repr: -0.0 is not 0.0): calls of equal keys bind,
    type-check and count alike (Evaluator._layer). None otherwise."""
    key: list[object] = [name, len(positional)]
    for given, value in (*enumerate(positional), *keywords.items()):
        if not (value is None or type(value) in _SCALARS):
            return None
        written = repr(value) if type(value) is float else value
        key.append((given, type(value), written))  # given: a position or a keyword
    return tuple(key)


#: The values call_key keys by.
_SCALARS = frozenset({bool, int, float, str})


def call_text(node: ir.Call) -> str:
    written = node.span.text() if node.span else None
    if written is None:
        return node.func.id if isinstance(node.func, ir.Name) else "?"
    return written


def known_count(count: Any) -> int:
    """A parameter count for the limits: only what is known counts."""
    return count if isinstance(count, int) and count > 0 else 0


#: Bounds on symbolic arithmetic: beyond them a size is not followed (UNKNOWN).
_MAX_TERMS = 1_000
_MAX_DEGREE = 64


def symbolic(op: str, left: Any, right: Any) -> Any:
    """`left op right` where one side is a symbolic size: computed when the result
    stays small (squaring `n + 1` forty times would not)."""
    if not all(isinstance(v, (int, dims.Poly)) for v in (left, right)):
        return UNKNOWN
    terms = [len(v.terms) if isinstance(v, dims.Poly) else 1 for v in (left, right)]
    if op == "*" and terms[0] * terms[1] > _MAX_TERMS:
        return UNKNOWN
    result = BINARY_OPS[op](left, right)
    if result is NotImplemented:
        return UNKNOWN
    if isinstance(result, dims.Poly) and not _small(result):
        return UNKNOWN
    return result


def _small(poly: dims.Poly) -> bool:
    return all(
        len(mono) <= _MAX_DEGREE and abs(coeff).bit_length() <= MAX_INT_BITS
        for mono, coeff in poly.terms
    )


def truth(value: Any) -> bool | None:
    """Python's truth of a build-time value (`if 1`, `x if [1] else y`, `0 and
    b`); None when not known here: a symbol may be 0, and a module's truth is
    torch's (an empty Sequential is false)."""
    if plain(value) or isinstance(value, (list, tuple)):
        return bool(value)  # a list's truth is its length, whatever its items
    return None


def plain_type(value: Any) -> str | None:
    """The build-time type of a plain value, a list or tuple of them; None for
    what is not known here (symbols, modules, UNKNOWN inside)."""
    if plain(value):
        return types.of_constant(value)
    if isinstance(value, (list, tuple)) and all(plain(v) for v in value):
        return types.of_constant(value)
    return None


def plain(value: object) -> bool:
    return isinstance(value, (bool, int, float, str)) or value is None


def builtin(name: str, args: list[Any]) -> Any:
    if any(not (plain(a) or isinstance(a, (list, tuple))) for a in args):
        return UNKNOWN
    if name == "range":
        return list(range(*args))
    if name == "zip":
        return [tuple(t) for t in zip(*args, strict=False)]
    if name == "enumerate":
        return [tuple(t) for t in enumerate(args[0])]
    functions = {"len": len, "min": min, "max": max, "abs": abs, "int": int,
                 "float": float, "str": str, "sum": sum, "round": round}  # fmt: skip
    return functions[name](*args)


def sliced(value: Any, index: ir.Slice, env, evaluate) -> Any:
    """`widths[1:]`, `cfg[::2]` at build time: Python's slice of a list, tuple or
    string; UNKNOWN when a bound or the value is not known here (a step of 0 is
    refused by the checks' evaluator of literals, and unknown here)."""
    bounds = [None if b is None else evaluate(b, env) for b in
              (index.lower, index.upper, index.step)]  # fmt: skip
    if not isinstance(value, (list, tuple, str)) or bounds[2] == 0:
        return UNKNOWN
    if any(b is not None and not isinstance(b, int) for b in bounds):
        return UNKNOWN
    return value[slice(*bounds)]
