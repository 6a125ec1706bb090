"""archdsl/ir/walk.py's walks, held to the plainest walk there is: every field of
every node, recursively, in declaration order (a node's fields are its
`__dict__`). The fast walks skip fields declared plain (str, int, ...) and take
calls apart by hand; they must still see every node, in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ERRORS, ROOT, SPECS, ZOO_SPECS, every_node

from archdsl import ir
from archdsl.errors import ArchError
from archdsl.ir.base import Node
from archdsl.ir.walk import children, names_read, walk_expr
from archdsl.pipeline import parse

FILES = [*SPECS, *ZOO_SPECS, *ERRORS, ROOT / "tests" / "families.arch"]


def definitions(path: Path):
    try:
        program = parse(path)
    except ArchError:
        return []  # a corpus case the parser refuses: no IR
    return program.definitions


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_walks_see_every_node_in_order(path):
    for definition in definitions(path):
        expected = list(every_node(definition))
        walked = walk_expr(definition)
        assert [id(n) for n in walked] == [id(n) for n in expected]
        for node in walked:  # a node's walk: itself, then its children's
            below = [n for child in children(node) for n in walk_expr(child)]
            assert [id(n) for n in walk_expr(node)[1:]] == [id(n) for n in below]
        read = {n.id for n in expected if isinstance(n, ir.Name)}
        read |= {n.parts[0] for n in expected if isinstance(n, ir.Path)}
        assert names_read([definition]) == read


def test_node_classes_have_no_subclasses():
    """names_read tells node kinds apart by `type(node) is ...`: exact only while
    no node class is extended."""
    pending, extended = [Node], []
    while pending:
        cls = pending.pop()
        subclasses = cls.__subclasses__()
        if cls is not Node and subclasses:
            extended.append(cls.__name__)
        pending.extend(subclasses)
    assert extended == []
