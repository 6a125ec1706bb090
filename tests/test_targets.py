"""A `for`'s targets (issue 12 item 5) are read as Python reads them: each
spelling's targets, lowered, against the target Python's own `ast` parses from the
same text, and the names one item binds against Python's own unpacking."""

from __future__ import annotations

import ast

import pytest

import archdsl
from archdsl.ir.targets import UnpackProblem, unpack

SPELLINGS = [
    "c",
    "(c)",
    "a, b",
    "(a, b)",
    "((a, b))",
    "i, (t, c, n, s)",
    "i, ((t, c), n)",
    "(i), (a, (b))",
]


def python_targets(text: str):
    """The target of `for TEXT in x: pass` as Python parses it, as nested tuples of
    names (the form of ir.For.targets)."""
    target = ast.parse(f"for {text} in x: pass").body[0].target

    def shape(node):
        if isinstance(node, ast.Name):
            return node.id
        return tuple(shape(e) for e in node.elts)

    found = shape(target)
    return (found,) if isinstance(found, str) else found


def lowered(text: str):
    spec = f"model M {{\n    for {text} in x {{\n    }}\n}}\n"
    loop = archdsl.parse(text=spec).definitions[0].body[0]
    comp = archdsl.parse(text=f"model M {{\n    y = [0 for {text} in x]\n}}\n")
    clause = comp.definitions[0].body[0].value.clauses[0]
    assert clause.targets == loop.targets  # a comprehension's are read alike
    return loop.targets


@pytest.mark.parametrize("text", SPELLINGS)
def test_targets_are_python_s(text):
    assert lowered(text) == python_targets(text)


ITEMS = [1, (1, 2), [1, (2, 3)], (1, (2, 3, 4, 5)), (1, ((2, 3), 4)), "ab", (1,)]


def python_binds(text: str, item) -> dict | str:
    scope: dict = {}
    try:
        exec(f"for {text} in [item]: pass", {"item": item}, scope)  # noqa: S102
    except (TypeError, ValueError):
        return "refused"
    return scope


@pytest.mark.parametrize("text", SPELLINGS)
@pytest.mark.parametrize("item", ITEMS, ids=repr)
def test_an_item_binds_what_python_binds(text, item):
    """Each spelling and item: the same names and values, or refused by both."""
    try:
        ours = unpack(lowered(text), item)
    except UnpackProblem:
        ours = "refused"
    assert ours == python_binds(text, item)
