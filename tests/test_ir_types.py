"""pydantic checks the IR the compiler builds.

IR nodes are plain frozen classes (archdsl/ir/base.py): the compiler makes them
from values of the right types and validates nothing, so that a cold `archdsl
check` need not build ~60 pydantic models. Validation moved here, to the boundary
tests can watch: every node of every spec, zoo spec, corpus case and formatter
sample (as parsed, and each definition's forward as the checks rewrote it) is
validated by pydantic, in strict mode, against the annotations its class declares.
A lowering that puts a str where a node belongs, a float where an int belongs or a
wrong `kind` fails here, with the file and the node.
"""

from __future__ import annotations

import typing
from functools import cache
from pathlib import Path

import pytest
from conftest import ERRORS, ROOT, SPECS, ZOO_SPECS, every_node

from archdsl import ir
from archdsl.errors import ArchError
from archdsl.ir import nodes
from archdsl.ir.base import Node
from archdsl.pipeline import compile_spec, parse
from archdsl.source import Span

pydantic = pytest.importorskip("pydantic")

FILES = [
    *SPECS,
    *ZOO_SPECS,
    *ERRORS,
    ROOT / "tests" / "families.arch",
    *sorted((ROOT / "tests" / "format").glob("*.arch")),
]


@cache
def validator(cls: type[Node]) -> type[pydantic.BaseModel]:
    """A pydantic model with the fields `cls` declares; nested nodes are checked by
    type here and each validated in its own turn by the walk."""
    hints = typing.get_type_hints(cls, globalns=vars(nodes), localns={"Span": Span})
    fields = {
        name: (hints[name], ... if default is ir.base.REQUIRED else default)
        for name, default in cls.model_fields.items()
    }
    config = pydantic.ConfigDict(strict=True, arbitrary_types_allowed=True)
    return pydantic.create_model(cls.__name__, __config__=config, **fields)


def programs(path: Path):
    """The IR of `path` as parsed, and the forwards the checks worked on."""
    try:
        yield parse(path)
    except ArchError:
        return  # a corpus case refused by the parser: no IR to check
    try:
        compiled = compile_spec(path)
    except ArchError:
        return
    for info in compiled.context.defs.values():
        if getattr(info, "forward", None) is not None:
            yield info.forward


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_node_has_the_types_its_class_declares(path):
    checked = 0
    for program in programs(path):
        for node in every_node(program):
            try:
                validator(type(node)).model_validate(node.__dict__)
            except pydantic.ValidationError as exc:
                pytest.fail(f"{path.name}: {type(node).__name__} at {node.span}: {exc}")
            checked += 1
    if path not in ERRORS:
        assert checked > 0, "every spec has nodes to check"


def test_a_wrong_type_is_caught():
    """The check bites: a Name whose id is not a string, a string where an
    expression node belongs, a wrong kind."""
    bad = [
        ir.Name(id=3),
        nodes.ListExpr(items=("x",)),
        ir.Name(id="x", kind="path"),
    ]
    for node in bad:
        with pytest.raises(pydantic.ValidationError):
            validator(type(node)).model_validate(node.__dict__)
