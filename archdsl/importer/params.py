"""Parameters from what differs between the instances of one class.

Every instance of a block is recorded with the same slots (the literals of its
members and forward, in order). A slot becomes an expression of the class's own
constructor arguments (as its `__init__` received them) when that expression gives
the slot's value in every instance: `planes`, `planes * 4`, `in_channels // 2`. A
slot that differs between instances and matches no argument becomes a parameter of
its own, named after the argument it fills. A slot equal in every instance stays a
literal. So each generated call passes exactly the values the original used.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from ..check.names import why_reserved
from .exprs import BinOp, Lit, Name, is_literal

#: Factors tried for a slot that is a multiple or a fraction of an argument.
FACTORS = (2, 3, 4, 6, 8)

#: Values too common to say anything when they match an argument that never varies.
UNTELLING = (0, 1, -1, 2, None, True, False, "")
#: ... even when the argument has the name of the one the slot fills.
UNTELLING_NAMED = (0, 1, -1, None, True, False, "")


@dataclass(frozen=True)
class Param:
    name: str
    type: str | None
    default: object = inspect.Parameter.empty

    @property
    def has_default(self) -> bool:
        return self.default is not inspect.Parameter.empty


@dataclass
class Inferred:
    params: list[Param]
    slots: list[object]  # the expression for each slot
    values: list[dict[str, object]]  # per instance: parameter -> value


def infer(
    cls: type, slots: list[list[Lit]], arguments: list[dict[str, object]]
) -> Inferred:
    """`slots[k]` are instance k's literals; `arguments[k]` its constructor arguments."""
    candidates = [name for name in arguments[0] if all(name in a for a in arguments)]
    used: dict[str, None] = {}
    synthetic: dict[str, list[object]] = {}
    exprs: list[object] = []
    bound: dict[
        str, str
    ] = {}  # argument -> the hint of the first slot it took by value
    for j, first in enumerate(slots[0]):
        values = [s[j].value for s in slots]
        expr = _match(first.hint, values, candidates, arguments, bound)
        if expr is not None:
            used.update({n: None for n in _names(expr)})
        elif all(_same(v, values[0]) for v in values):
            expr = Lit(values[0], first.hint, first.default)
        else:  # one parameter for the slots that hold the same value in each
            name = next((n for n, v in synthetic.items() if _all_same(v, values)), None)
            if name is None:
                name = _synthetic_name(first.hint, synthetic, candidates)
                synthetic[name] = values
            expr = Name(name)
        exprs.append(expr)
    return _finish(cls, used, synthetic, exprs, arguments)


def _match(
    hint: str, values: list, candidates: list[str], arguments: list[dict], bound: dict
):
    """An expression of the arguments giving `values`. An argument that never varies
    matches by value alone only slots of one kind (the first one's hint): `3` as
    `n_channels` in `Conv2d(n_channels, ...)` is not also the `padding=3` next to it."""
    varies = not all(_same(v, values[0]) for v in values)
    ordered = sorted(candidates, key=lambda n: n != hint)
    for name in ordered:
        given = [a[name] for a in arguments]
        steady = all(_same(g, given[0]) for g in given)
        if steady and len(arguments) > 1:
            continue  # an argument that never varies cannot be told from a constant
        if all(_same(v, g) for v, g in zip(values, given, strict=True)):
            named = name == hint and not _untelling(values[0], UNTELLING_NAMED)
            if varies or named:
                return Name(name)
            if not _untelling(values[0]) and bound.setdefault(name, hint) == hint:
                return Name(name)
    if not varies or not all(_int(v) for v in values):
        return None
    for name in ordered:
        given = [a[name] for a in arguments]
        if not all(_int(g) for g in given):
            continue
        for factor in FACTORS:
            if all(v == g * factor for v, g in zip(values, given, strict=True)):
                return BinOp("*", Name(name), Lit(factor))
            if all(v == g // factor for v, g in zip(values, given, strict=True)):
                return BinOp("//", Name(name), Lit(factor))
    return None


def _finish(cls, used, synthetic, exprs, arguments) -> Inferred:
    defaults = _defaults(cls)
    params: list[Param] = []
    for name in [n for n in arguments[0] if n in used]:  # the constructor's order
        given = [a[name] for a in arguments]
        default = defaults.get(name, inspect.Parameter.empty)
        if not all(type(default) is type(g) for g in given):
            default = inspect.Parameter.empty  # `mid_channels=None` for an int
        params.append(Param(name, _type(given), default))
    params += [Param(n, _type(v)) for n, v in synthetic.items()]
    params.sort(key=lambda p: p.has_default)  # required first, as Python orders them
    values = []
    for k, args in enumerate(arguments):
        row = {name: args[name] for name in used}
        row.update({name: v[k] for name, v in synthetic.items()})
        values.append(row)
    return Inferred(params, exprs, values)


def _defaults(cls: type | dict) -> dict[str, object]:
    if isinstance(cls, dict):  # a builder the importer makes up: its defaults
        return cls
    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {
        p.name: p.default
        for p in params
        if p.default is not inspect.Parameter.empty and is_literal(p.default)
    }


def _synthetic_name(hint: str, taken: dict, candidates: list[str]) -> str:
    base = re.sub(r"\W", "_", hint) or "value"
    name, n = base, 1
    while name in taken or name in candidates or why_reserved(name) is not None:
        n += 1
        name = f"{base}{n}"
    return name


def _names(expr: object) -> list[str]:
    if isinstance(expr, Name):
        return [expr.name]
    if isinstance(expr, BinOp):
        return _names(expr.left) + _names(expr.right)
    return []


def _type(values: list) -> str | None:
    kinds = {type(v) for v in values}
    if len(kinds) != 1:
        return None
    return {int: "int", float: "float", bool: "bool", str: "str"}.get(kinds.pop())


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _all_same(a: list, b: list) -> bool:
    return all(_same(x, y) for x, y in zip(a, b, strict=True))


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _untelling(value: object, common: tuple = UNTELLING) -> bool:
    return any(_same(value, u) for u in common)


def infer_optional(
    cls: type,
    common: list[list[Lit]],
    optional: list[list[Lit]],
    arguments: list[dict[str, object]],
    condition: tuple[str, list[str]],
    has: list[bool],
) -> Inferred | None:
    """Parameters of a block whose optional members only some instances have
    (optional.py): `common[k]` are instance k's shared slots, `optional[j]` the
    optional members' slots of the j-th instance that has them, `condition` the
    test that tells them apart and the arguments it reads (none: it is a boolean
    parameter of its own, named by the text). The slots come back shared first."""
    shared = infer(cls, common, arguments)
    having = [a for a, h in zip(arguments, has, strict=True) if h]
    part = infer(cls, optional, having)
    names = [n for n in arguments[0] if all(n in a for a in arguments)]
    if any(p.name not in names for p in part.params):
        return None  # a value only the instances with the member have
    synthetic = {
        p.name: [row[p.name] for row in shared.values]
        for p in shared.params
        if p.name not in names
    }
    used = {p.name: None for p in shared.params + part.params if p.name in names}
    text, reads = condition
    used |= {n: None for n in reads}
    inferred = _finish(cls, used, synthetic, shared.slots + part.slots, arguments)
    if not reads:
        inferred.params.append(Param(text, "bool", False))
        for row, value in zip(inferred.values, has, strict=True):
            row[text] = value
    return inferred
