"""Lowering during the parse (archdsl/syntax/onepass.py) against lark's own
two-pass path: lark's parse tree with propagated positions, then lark's
Transformer over it. Both must give the same IR with the same spans everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from archdsl import ir
from archdsl.errors import ArchError
from archdsl.pipeline import read_source
from archdsl.source import Source
from archdsl.syntax import _rules, parse_source, parse_source_via_tree
from archdsl.syntax.onepass import Abandon, parse_and_lower
from archdsl.syntax.parser import MAX_CHAIN, MAX_DEPTH, parser_input

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(
    str(p.relative_to(ROOT))
    for folder in ("specs", "examples", "tests")
    for p in (ROOT / folder).rglob("*.arch")
)


def one_pass(source: Source) -> ir.Program:
    """The one-pass result itself, never the fallback."""
    return parse_and_lower(_rules(), source, parser_input(source), MAX_DEPTH, MAX_CHAIN)


def spans(node: object, out: list) -> list:
    """Every node's kind and span, in field order, all the way down."""
    if isinstance(node, ir.Node):
        span = node.span
        where = span and (span.line, span.column, span.end_line, span.end_column)
        out.append((type(node).__name__, where))
        for name, value in node.__dict__.items():
            if name != "span":
                spans(value, out)
    elif isinstance(node, tuple | list):
        for value in node:
            spans(value, out)
    return out


def two_pass(source: Source) -> ir.Program | list[str]:
    try:
        return parse_source_via_tree(source)
    except ArchError as exc:
        return [f"{d.span}: {d.message}" for d in exc.diagnostics]


@pytest.mark.parametrize("path", SPECS)
def test_one_pass_lowers_every_spec_as_the_parse_tree_does(path):
    source = read_source(ROOT / path)
    expected = two_pass(source)
    if isinstance(expected, list):  # a syntax error or a refused literal
        with pytest.raises(Abandon):
            one_pass(source)
        with pytest.raises(ArchError) as info:
            parse_source(source)
        assert [f"{d.span}: {d.message}" for d in info.value.diagnostics] == expected
        return
    program = one_pass(source)
    assert program == expected
    assert spans(program, []) == spans(expected, [])


def nested(depth: int) -> str:
    """Calls inside calls (a call and its arguments are two levels; the
    parentheses around each argument add none)."""
    value = "f((" * depth + "1" + "))" * depth
    return f"model M {{\n    c = {value}\n}}\n"


def listed(depth: int) -> str:
    return f"model M {{ c = {'[' * depth}1{']' * depth} }}\n"


def chained(links: int) -> str:
    return f"model M {{\n    c = {' + '.join(['1'] * (links + 1))}\n}}\n"


@pytest.mark.parametrize(
    "text",
    [nested(d) for d in range(MAX_DEPTH // 2 - 6, MAX_DEPTH // 2 + 1)]
    + [listed(d) for d in range(MAX_DEPTH - 8, MAX_DEPTH)]
    + [chained(n) for n in (MAX_CHAIN - 1, MAX_CHAIN, MAX_CHAIN + 1)],
)  # fmt: skip
def test_the_nesting_limits_fall_where_the_parse_tree_puts_them(text):
    """One pass measures nesting bottom-up as it reduces; the tree path measures it
    top-down. A spec one refuses, the other refuses too, and the error is the same."""
    source = Source("<string>", text)
    expected = two_pass(source)
    if isinstance(expected, list):
        with pytest.raises(Abandon):
            one_pass(source)
        with pytest.raises(ArchError) as info:
            parse_source(source)
        assert [f"{d.span}: {d.message}" for d in info.value.diagnostics] == expected
    else:
        assert one_pass(source) == expected


def test_some_of_the_nesting_cases_are_refused():
    """The cases above straddle both limits (else they would prove little)."""
    refused = [
        isinstance(two_pass(Source("<s>", text)), list)
        for text in (nested(MAX_DEPTH // 2), nested(MAX_DEPTH // 2 - 6),
                     listed(MAX_DEPTH - 8), listed(MAX_DEPTH), chained(MAX_CHAIN + 1))
    ]  # fmt: skip
    assert refused == [True, False, False, True, True]
