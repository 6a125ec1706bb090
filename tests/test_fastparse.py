"""The recursive-descent fast path (archdsl/syntax/fastparse.py) against lark's
own two-pass path (lark's parse tree with propagated positions, then lark's
Transformer): wherever the fast path returns a program, it is the same IR with the
same span on every node; wherever lark reports an error, the fast path gives up
(so the error is lark's, as before)."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, fuzz_settings
from hypothesis import given
from hypothesis.extra.lark import from_lark
from lark import Lark
from oracle.programs import programs
from test_hostile import mutated_spec
from test_onepass import SPECS, chained, listed, nested, spans, two_pass

from archdsl.errors import ArchError
from archdsl.pipeline import read_source
from archdsl.source import Source
from archdsl.syntax import _fast, parse_source
from archdsl.syntax.fastlex import token_regex
from archdsl.syntax.fastparse import EXPECTED, fast_parse
from archdsl.syntax.fastrules import FOLLOWED, lowered_rules, stale_rules
from archdsl.syntax.onepass import Abandon
from archdsl.syntax.parser import (
    MAX_CHAIN,
    MAX_DEPTH,
    grammar_text,
    parser,
    parser_input,
)


def layered(layers: int) -> str:
    """benchmarks/run.py's spec: N Linear members chained in forward."""
    members = "\n".join(f"    l{i} = Linear(16, 16)" for i in range(layers))
    steps = "\n".join(f"        x = l{i}(x)" for i in range(layers))
    return f"model Deep {{\n{members}\n    forward(x) {{\n{steps}\n        return x\n    }}\n}}\n"


def fast(source: Source):
    """The fast path's own result, never the fallback."""
    return fast_parse(*_fast(), source, parser_input(source))


def agrees(source: Source) -> bool:
    """The fast path gives lark's program and spans, or gives up where lark does
    (True when it took the fast path)."""
    expected = two_pass(source)
    try:
        program = fast(source)
    except Abandon as exc:  # never from a bug in the fast path itself
        cause = exc.__cause__
        assert cause is None or isinstance(cause, EXPECTED), repr(cause)
        if isinstance(expected, list):  # and parse_source reports lark's error
            with pytest.raises(ArchError) as info:
                parse_source(source)
            assert [
                f"{d.span}: {d.message}" for d in info.value.diagnostics
            ] == expected
        return False
    assert not isinstance(expected, list), f"lark refuses it: {expected}"
    assert program == expected
    assert spans(program, []) == spans(expected, [])
    return True


@pytest.mark.parametrize("path", SPECS)
def test_every_spec_parses_as_lark_parses_it(path):
    agrees(read_source(ROOT / path))


def test_most_specs_take_the_fast_path():
    """Else the equality above would prove little."""
    taken = [agrees(read_source(ROOT / path)) for path in SPECS if "errors" not in path]
    assert sum(taken) >= 0.8 * len(taken), f"{sum(taken)} of {len(taken)}"


#: The specs with f-strings, and the diagnostics corpus's cases with one: those
#: reported while parsing come from lark, those the check reports (a nested
#: f-string, a module in a field, a duplicate key) from the fast path's IR.
F_STRING_SPECS = ["specs/multitask.arch", "specs/zoo/densenet.arch"] + sorted(
    f"tests/errors/{path.name}"
    for path in (ROOT / "tests" / "errors").glob("*.arch")
    if re.search(r"""\bf["']""", path.read_text(encoding="utf-8"))
)


@pytest.mark.parametrize("path", F_STRING_SPECS)
def test_f_strings_and_dicts_take_the_fast_path(path):
    """Their fields are read by the fast parser too, so these specs never need
    lark (tests/test_cold.py); every one lark reads, the fast path reads."""
    source = read_source(ROOT / path)
    taken = agrees(source)
    assert taken == (not isinstance(two_pass(source), list))
    assert taken or "errors" in path


@pytest.mark.parametrize("layers", [1, 10, 300])
def test_the_benchmark_spec_takes_the_fast_path(layers):
    assert agrees(Source("<deep>", layered(layers)))


def test_the_fast_path_follows_the_grammar_as_it_is():
    """A followed alternative changed in grammars/arch.lark: the fast path now
    gives up on that rule (specs still parse, by lark, more slowly). Bring
    fastparse.py and fastrules.FOLLOWED up to date with the rule."""
    stale = stale_rules(grammar_text())
    assert not stale, {name: FOLLOWED[name] for name in stale}


@pytest.mark.parametrize(
    "text",
    [nested(d) for d in range(MAX_DEPTH // 2 - 6, MAX_DEPTH // 2 + 1)]
    + [listed(d) for d in range(MAX_DEPTH - 8, MAX_DEPTH)]
    + [chained(n) for n in (MAX_CHAIN - 1, MAX_CHAIN, MAX_CHAIN + 1)],
)  # fmt: skip
def test_the_nesting_limits_fall_where_lark_puts_them(text):
    agrees(Source("<string>", text))


@fuzz_settings(150, scale=0.2)
@given(programs())
def test_generated_programs_parse_as_lark_parses_them(program):
    agrees(Source("<gen>", program.text))


@fuzz_settings(400, scale=0.5)
@given(from_lark(Lark(grammar_text(), parser="lalr", lexer="contextual")))
def test_programs_from_the_grammar_parse_as_lark_parses_them(text):
    agrees(Source("<grammar>", text))


@fuzz_settings(600, scale=0.5)
@given(mutated_spec())
def test_broken_specs_are_left_to_lark(text):
    """Deleted, duplicated and swapped tokens of real specs: never a program lark
    would refuse, never a different one."""
    agrees(Source("<mutated>", text))


@pytest.mark.parametrize(
    "text",
    [
        "model M {\n    x = f(a).b.c\n}\n",  # lark reads `b.c` after `.` as 3 tokens
        "model M {\n    x = f(a).for\n}\n",  # and `for` there as a name
        "model M { x = 1 } model N { y = 2 }\n",
        "model M {\n    x = f(\n        1,\n        2,\n    )\n}\n",
        "model M {\n    x = a if b else c if d else e\n    y = -2 ** -x\n}\n",
        "model M {\n    x = a < b < c\n}\n",
        "model M {\n    x = (a)(b)[c](d)\n    y = ((a), (b,))\n}\n",
        "builder b(x: int | None = None, y: list[int] = [1,]) =\n    f(x)\n",
        "model M {\n    forward(x: [N, 3]) {\n        a, b = x, x\n        a += b\n"
        "        if a > 1 { return a } else if b { return b } else { return x }\n"
        "    }\n}\n",
        "model blockX { }\nmodelM { }\n",
        'from "a.arch" import A, B\nimport "b.arch"\n',
        "model M {\n    x = 0777\n    y = 1.5e3 + 1_000 + .5\n}\n",
        "model M {\n    x = f(*a, b=1, *c)\n    y = [a, b][0, 1]\n}\n",
        # keywords where lark's parser state cannot take them: names to lark
        "block B(block: module, model=None) {\n    block = model\n    x = f(in=1, if=for)\n"
        "    forward(x) { None = block(x); return x }\n}\n",
        "model M {\n    x = a + not\n    forward(for) = for\n}\n",  # lark: names
        "model M {\n    x = [a for a, b in c if a for d in e]\n    y = x[1:, ::2, ...]\n"
        '    for i, j in k { z = i }\n    init { Conv2d, "fc": zeros_(weight) }\n}\n',
        "model m(a: int = 1) = M(a)\nmodel n = M()\n",
        # parenthesised loop targets, nested, alone, with a trailing comma (lark: no)
        "model M {\n    for i, (a, (b, c)) in k { x = [a for (a) in b] }\n"
        "    for (i) in k { y = [(a, b) for ((a), b), c in d] }\n}\n",
        "model M {\n    for (a, b,) in k { x = a }\n    for () in k { x = a }\n}\n",
        "model M {\n    forward(x) {\n        for (a, b) in x { return a }\n    }\n}\n",
    ],
)
def test_corner_cases(text):
    agrees(Source("<corner>", text))


#: f-strings: fields of every kind, with format specs, braces and quotes, nested
#: f-strings, and fields lark's expression parser refuses or the lowering reports
#: (each diagnostic must be lark's, at the same place)
F_STRINGS = [
    'f"a{i}b{ i + 1 :02d}{{c}}{x[1:]}{f(a, b=2)}{-x ** 2:>4}"',
    "f'{ {\"k\": 1}[\"k\"] }{[a for a in b if a]}{(x)}{x.y.z}{a if b else c}'",
    "f\"{f'{n}'}\" + f'{\"s\"}'",  # nested: the check reports it
    'f"{x !r}"', 'f"{x!s}"', 'f"{x:q}"', 'f"{x:{y}}"', 'f"a}b"', 'f"{x"', 'f"{ }"',
    'f"{x y}"', 'f"{x,}"', 'f"{(x}"', 'f"{x)}"', 'f"{1e999}"', 'f"{0777}"',
    'f"{\\n}"', 'f"{x # c}"', 'f"{for}"', 'f"{return}"', 'f"{x.for}"', 'f"{a:=b}"',
    'f"{x!=y}"', 'f"{x[:, ::2]}{y[...]}"', 'f"{1 < 2 < 3}"', 'f"{x: >4}"',
    'f"{x.shape}{x.size(1)}{F.relu(x)}"',
]  # fmt: skip


def lark_reads(source: Source) -> bool:
    return not isinstance(two_pass(source), list)


@pytest.mark.parametrize("value", F_STRINGS)
def test_f_string_fields_parse_as_lark_parses_them(value):
    """Every f-string lark reads, the fast path reads (the same IR and spans)."""
    for text in (
        f"model M {{\n    x = {value}\n}}\n",
        f"builder b(n) =\n    g({value}, {{{value}: n}})\n",
        # in a forward, where sugar rewrites a field's dotted names (x.shape)
        f"model M {{\n    forward(x) {{\n        y = {value}\n        return x\n    }}\n}}\n",
    ):
        source = Source("<f>", text)
        assert agrees(source) == lark_reads(source)


@pytest.mark.parametrize(
    "text",
    [
        'model M {\n    x = {\n        "a": 1,\n\n        "b": [\n2],\n    }\n}\n',
        "model M {\n    x = {}\n    y = {a: b for a, b in c if a for d in e}\n}\n",
        'model M {\n    x = a + {\n"a": 1}\n}\n',  # a body's brace to lark
        'model M {\n    x = {"a": 1 for a in b, }\n    y = {"a": 1, for a in b}\n}\n',
        'model M {\n    x = {"a": {\n"b": 1}}\n    y = f({\n1: 2})\n}\n',
        'model M {\n    forward(x) {\n        return {\n"a": x,\n"b": x}\n    }\n}\n',
        'model M {\n    forward(x) = {"a": x}, {1: [x\n]}\n}\n',
        'model M {\n    x = {"a": 1\n}\n    init { Conv2d: {\n1: 2} }\n}\n',
        'model M {\n    x = {"a": 1, "b"}\n}\n',
        'model M {\n    x = {"a": 1}["a"].b\n}\n',
    ],
)
def test_dicts_parse_as_lark_parses_them(text):
    """Newlines inside a dict are dropped where lark's post-lexer drops them;
    every dict lark reads, the fast path reads."""
    source = Source("<dict>", text)
    assert agrees(source) == lark_reads(source)


@pytest.mark.parametrize(
    "text",
    [
        "model M {\n    if return {\n        x = f(a)\n        (b)\n    }\n}\n",
        "model M {\n    if return {\n        x = 1\n    }\n}\n",
        "model M {\n    for i in return { x = i }\n}\n",
    ],
)
def test_a_brace_after_return_read_as_a_name_is_left_to_lark(text):
    """lark reads `return` as a name here, so its post-lexer takes the brace for
    a body's; the scanner cannot tell (it took a dict's), so the fast path gives
    up (the first spec would otherwise read as `x = f(a)(b)`, which lark refuses)."""
    source = Source("<return>", text)
    assert not agrees(source)


def test_a_changed_rule_is_left_to_lark():
    """A followed alternative no longer in the grammar: specs that use it parse
    with lark, the others still take the fast path."""
    grammar = grammar_text()
    changed = grammar.replace(
        'for_stmt: "for" targets "in"', 'for_stmt: "for" targets "of"'
    )
    assert changed != grammar and stale_rules(changed) == ["for_stmt"]
    lexicon, _ = _fast()
    rules = lowered_rules(changed)
    looped = Source("<s>", "model M {\n    for i in k { x = i }\n}\n")
    with pytest.raises(Abandon):
        fast_parse(lexicon, rules, looped, parser_input(looped))
    plain = Source("<s>", layered(3))
    assert fast_parse(lexicon, rules, plain, parser_input(plain)) == two_pass(plain)


@pytest.mark.parametrize("path", SPECS)
def test_the_scanner_matches_as_lark_master_regex(path):
    """fastlex.token_regex moves each terminal's group after its pattern (for
    speed): from every token's start, the terminal and extent lark's own master
    regex matches there."""
    lexer = parser().parser.lexer.lexer.root_lexer
    (theirs,) = lexer.scanner._mres
    ours = _fast()[0].regex
    assert ours.groups == theirs.groups + 1  # the moved form, not the fallback
    text = parser_input(read_source(ROOT / path))
    position, tokens = 0, 0
    while (match := ours.match(text, position)) and match.end() > position:
        start = match.end(1)
        spaces = theirs.match(text, position) if start > position else None
        assert spaces is None or (spaces.lastgroup in lexer.ignore_types
                                  and spaces.end() == start)  # fmt: skip
        lark = theirs.match(text, start)
        assert (match.lastgroup, match.end()) == (lark.lastgroup, lark.end())
        position, tokens = match.end(), tokens + 1
    assert position == len(text) or "errors" in path, (path, position)
    assert tokens > 0


def test_a_terminal_pattern_not_made_by_lark_is_scanned_as_it_is():
    """token_regex keeps a pattern it cannot split into lark's alternatives."""
    for pattern in ["(?P<A>a)|b", r"(?P<A>(a))|(?P<B>\1)", "(?P<A>a|(?P<B>b))"]:
        regex = token_regex(pattern)
        assert regex.pattern == r"([\t \f]*)(?:" + pattern + ")"
    moved = token_regex("(?P<A>ab)|(?P<B>a)")
    assert moved.match("  a").lastgroup == "B" and moved.match("ab").lastgroup == "A"
