"""The build-time type lattice: plain strings such as "int", "list[int]", "module"."""

from __future__ import annotations

from collections.abc import Iterable

#: Parameter annotations a spec may write.
PARAM_TYPES = ("int", "float", "bool", "str")
LIST_ITEM_TYPES = PARAM_TYPES


def of_constant(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return list_of([of_constant(v) for v in value])
    return type(value).__name__  # bool, int, float, str


def list_of(items: list[str]) -> str:
    """The type of a list whose items have these types: "list[int]", or "list"
    when they differ; [0.5, 1] is a list[float], as an int is a fine float."""
    if not items:
        return "list"
    first = items[0]
    if all(t == first for t in items):
        return f"list[{first}]"
    if all(t in ("int", "float") for t in items):
        return "list[float]"
    return "list"


def base(type_: str) -> str:
    return type_.split("[", 1)[0]


def item(type_: str) -> str:
    """The element type of "list[int]"; "any" when unknown."""
    return type_[5:-1] if type_.startswith("list[") else "any"


def accepts(expected: Iterable[str], actual: str) -> bool:
    """Whether a value of type `actual` may be passed where `expected` is allowed.

    bool and int do not mix (a `bias=1` is a mistake); an int is a fine float, and
    lists and tuples stand for each other as they do for torch's size arguments."""
    expected = tuple(expected)
    key = (expected, actual)
    found = _ACCEPTS.get(key)
    if found is None:  # a few dozen pairs in a spec, asked once per argument
        if len(_ACCEPTS) > 4096:  # nested list types made up by a spec: bounded
            _ACCEPTS.clear()
        found = _ACCEPTS[key] = _accepts(expected, actual)
    return found


#: accepts() by (expected, actual): both are strings, the answer never changes.
_ACCEPTS: dict[tuple[tuple[str, ...], str], bool] = {}


def _accepts(expected: tuple[str, ...], actual: str) -> bool:
    kind = base(actual)
    if kind == "any" or "any" in expected or kind in expected:
        return True
    if kind in ("list", "tuple") and any(_list_accepts(e, actual) for e in expected):
        return True
    widen = {"int": "float", "list": "tuple", "tuple": "list"}
    return widen.get(kind) in expected


def _list_accepts(expected: str, actual: str) -> bool:
    """`list[int]` takes a list whose items are ints (or not known)."""
    if not expected.startswith("list["):
        return False
    return item(actual) == "any" or accepts((item(expected),), item(actual))


def join(a: str, b: str) -> str:
    """The type of `a if c else b`."""
    if a == b:
        return a
    if {a, b} == {"int", "float"}:
        return "float"
    if base(a) == base(b) == "list":
        return "list"
    return "any"


def describe(type_: str) -> str:
    names = {"none": "None", "module": "a module", "tensor": "a tensor"}
    names["class"] = "a block or layer type"
    names["state"] = "a parameter or buffer"  # check/state.py
    return names.get(type_, type_)


def describe_expected(types: Iterable[str]) -> str:
    return " or ".join(describe(t) for t in types)
