"""archdsl/records.py's `dataclass` against the standard library's: the same
class bodies under each decorator behave alike (construction and its errors,
repr, equality, hashing, frozen fields, defaults, inheritance, replace)."""

from __future__ import annotations

import copy
import dataclasses
from typing import ClassVar

import pytest

from archdsl import records


def family(dataclass, field):
    """The same classes, made by one `dataclass`/`field` pair."""

    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0
        label: str = field(default="p", compare=False)
        count: ClassVar[int] = 0

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

    @dataclass
    class Bag:
        name: str
        items: list[int] = field(default_factory=list)
        hidden: dict = field(default_factory=dict, repr=False)
        size: int = field(init=False, default=-1)

        def __post_init__(self) -> None:
            self.size = len(self.items)

    @dataclass(frozen=True)
    class Point3(Point):
        z: int = 0

    @dataclass(eq=False)
    class Node:
        value: int

    @dataclass(frozen=True)
    class Lines:
        text: str
        lines: list[str] = field(init=False, repr=False, compare=False)

        def __post_init__(self) -> None:
            object.__setattr__(self, "lines", self.text.splitlines())

    return Point, Bag, Point3, Node, Lines


STD = family(dataclasses.dataclass, dataclasses.field)
OURS = family(records.dataclass, records.field)


def outcome(call):
    """What a call gives: its value's repr, or its exception's type (the messages
    may word it differently)."""
    try:
        return ("value", repr(call()))
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return (
            "raised",
            AttributeError if isinstance(exc, AttributeError) else type(exc),
        )


CALLS = {
    "positional": lambda P, B, P3, N, L: P(1, 2),
    "keywords": lambda P, B, P3, N, L: P(y=2, x=1, label="q"),
    "defaults": lambda P, B, P3, N, L: (P(1), B("b"), P3(1)),
    "too many": lambda P, B, P3, N, L: P(1, 2, "l", 4),
    "unknown keyword": lambda P, B, P3, N, L: P(1, w=2),
    "twice": lambda P, B, P3, N, L: P(1, x=2),
    "missing": lambda P, B, P3, N, L: P(),
    "init=False given": lambda P, B, P3, N, L: B("b", size=3),
    "post_init": lambda P, B, P3, N, L: (B("b", [1, 2, 3]).size, L("a\nb").lines),
    "inherited": lambda P, B, P3, N, L: P3(1, 2, "l", 3),
    "equal": lambda P, B, P3, N, L: (P(1, 2, "a") == P(1, 2, "b"), P(1) == P(2)),
    "subclass not equal": lambda P, B, P3, N, L: P(1) == P3(1),
    "not a record": lambda P, B, P3, N, L: (P(1) == (1, 0), P(1) != 1),
    "mutable equal": lambda P, B, P3, N, L: B("b", [1]) == B("b", [1]),
    "compare=False": lambda P, B, P3, N, L: L("a") == L("a"),
    "hash frozen": lambda P, B, P3, N, L: hash(P(1, 2, "x")) == hash(P(1, 2, "y")),
    "hash set": lambda P, B, P3, N, L: len({P(1), P(1), P(2), P3(1)}),
    "unhashable": lambda P, B, P3, N, L: hash(B("b")),
    "identity": lambda P, B, P3, N, L: (N(1) == N(1), hash(N(1)) != 0),
    "frozen set": lambda P, B, P3, N, L: setattr(P(1), "x", 2),
    "frozen delete": lambda P, B, P3, N, L: delattr(P(1), "x"),
    "mutable set": lambda P, B, P3, N, L: _set(B("b")),
    "fresh factory": lambda P, B, P3, N, L: B("a").items is not B("a").items,
    "method": lambda P, B, P3, N, L: P(-3, 4).norm(),
    "classvar": lambda P, B, P3, N, L: (P.count, "count" in repr(P(1))),
    "copies": lambda P, B, P3, N, L: (
        copy.deepcopy(P3(1, 2)),
        copy.copy(B("b", [1])),
        copy.deepcopy(L("a\nb")).lines,
    ),  # fmt: skip
}


def _set(bag):
    bag.name = "c"
    return bag


def _replace(module):
    return lambda P, B, P3, N, L: (
        module.replace(P(1, 2), y=5),
        module.replace(B("b", [1]), items=[1, 2]).size,
        module.replace(L("a\nb"), text="c").lines,
        outcome(lambda: module.replace(B("b"), size=2)),
        outcome(lambda: module.replace(P(1), w=2)),
    )


@pytest.mark.parametrize("name", sorted(CALLS))
def test_behaves_as_the_standard_dataclass(name):
    call = CALLS[name]
    assert outcome(lambda: call(*OURS)) == outcome(lambda: call(*STD))


def test_replace_as_the_standard_one():
    ours = outcome(lambda: _replace(records)(*OURS))
    assert ours == outcome(lambda: _replace(dataclasses)(*STD))


def test_replace_takes_standard_dataclasses():
    point = STD[0](1, 2)
    assert records.replace(point, x=3) == dataclasses.replace(point, x=3)


def test_fields_and_is_dataclass():
    point = OURS[2](1)
    assert records.fields(point) == tuple(f.name for f in dataclasses.fields(STD[2]))
    assert records.is_dataclass(point) and records.is_dataclass(OURS[2])
    assert not records.is_dataclass(STD[2](1)) and not records.is_dataclass(1)


def definition_error(dataclass, field, body: str):
    """What defining a class with `body` under `dataclass` raises, by type."""
    namespace = {"dataclass": dataclass, "field": field}
    try:
        exec(f"@dataclass\nclass C:\n{body}", namespace)  # noqa: S102 - test input
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return type(exc)
    return None


@pytest.mark.parametrize(
    "body",
    [
        "    a: int = 0\n    b: int\n",
        "    a: list = []\n",
        "    a: dict = {}\n",
        "    a: int = field(default_factory=int)\n    b: int\n",
        "    a: int = field(init=False, default=0)\n    b: int\n",
        "    a: int\n    b: int = 0\n",
    ],
    ids=["order", "list", "dict", "factory-order", "init-false", "fine"],
)
def test_definition_errors_as_the_standard_ones(body):
    ours = definition_error(records.dataclass, records.field, body)
    assert ours == definition_error(dataclasses.dataclass, dataclasses.field, body)
