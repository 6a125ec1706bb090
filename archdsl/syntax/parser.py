"""Text -> Lark parse tree, with positions, and syntax errors as diagnostics."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import lark
from lark import Lark, Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from ..cache import cache_dir
from ..errors import ArchError, Diagnostic
from ..source import Source, Span
from .grammar import BOM as BOM  # fmt/tokens.py reads it here
from .grammar import CHAINS, MAX_CHAIN, MAX_DEPTH, grammar_text, parser_input
from .messages import explain_unexpected

_OPENERS = {"LPAR", "LSQB"}
_CLOSERS = {"RPAR", "RSQB"}


#: Tokens after which a `{` opens a dict (`x = {`, `f({`, `{"a": {`), not a body;
#: inside brackets every `{` does. archdsl/fmt/tree.py tells them apart alike.
_DICT_AFTER = {"EQUAL", "COMMA", "COLON", "LPAR", "LSQB", "RETURN"}


class _NewlinesInBrackets:
    """Drop newline tokens inside () and [] (and a dict's {}) so calls and lists
    may span lines, as in Python. Other braces are statement blocks, so newlines
    inside them still count."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        braces: list[bool] = []  # for each open `{`: whether it is a dict's
        previous = None
        for token in stream:
            kind = token.type
            if kind in _OPENERS:
                depth += 1
            elif kind in _CLOSERS:
                depth = max(0, depth - 1)
            elif kind == "_NL" and depth:
                continue
            elif kind == "LBRACE":
                braces.append(bool(depth) or previous in _DICT_AFTER)
                depth += braces[-1]
            elif kind == "RBRACE" and braces:
                depth = max(0, depth - braces.pop())
            previous = kind
            yield token


@cache
def parser() -> Lark:
    return _lark("start")


def parser_of(grammar: str) -> Lark:
    """The parser of a grammar's text, with this package's options: the one from
    parser() when that is the grammar (syntax/terminals.py reads its terminals)."""
    return parser() if grammar == grammar_text() else _lark("start", grammar)


@cache
def expression_parser() -> Lark:
    """The grammar's `expr` alone: the fields of an f-string (syntax/fstrings.py),
    built only when a spec has one."""
    return _lark("expr")


def _lark(start: str, text: str | None = None) -> Lark:
    """A parser of `text` (the grammar's, unless given) from `start`."""
    text = grammar_text() if text is None else text
    options = dict(
        parser="lalr",
        lexer="contextual",
        postlex=_NewlinesInBrackets(),
        propagate_positions=True,
        maybe_placeholders=True,
        start=start,
    )
    cache_file = _cache_file(text if start == "start" else f"{start}\n{text}")
    if cache_file is not None:
        try:  # building the LALR tables costs ~70 ms; a cold `archdsl check` wants them ready
            return Lark(text, cache=str(cache_file), **options)
        except Exception:  # an unwritable or damaged cache only costs time
            cache_file.unlink(missing_ok=True)
    return Lark(text, **options)


def _cache_file(grammar: str) -> Path | None:
    """Parser tables cached in the user's own cache directory: lark's cache is a
    pickle, so only the user may write it."""
    folder = cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(f"{lark.__version__}\n{grammar}".encode()).hexdigest()[:16]
    return folder / f"grammar-{key}.lark-cache"


def parse_tree(source: Source) -> Tree:
    """Parse a source, or raise ArchError with one diagnostic at the first syntax error."""
    try:
        tree = parser().parse(parser_input(source))
    except UnexpectedInput as exc:
        raise ArchError([_syntax_diagnostic(source, exc)]) from None
    _check_depth(source, tree)
    return tree


def _check_depth(source: Source, tree: Tree) -> None:
    stack = [(tree, 1, 0)]
    while stack:
        node, depth, chain = stack.pop()
        if depth > MAX_DEPTH or chain >= MAX_CHAIN:
            meta = node.meta
            start = getattr(meta, "start_pos", 0) if not meta.empty else 0
            what = (
                f"this is nested more than {MAX_DEPTH} levels deep"
                if depth > MAX_DEPTH
                else f"this chains more than {MAX_CHAIN} operators"
            )
            raise ArchError(
                [
                    Diagnostic(
                        what,
                        Span.at_offsets(source, start, start + 1),
                        hint="split it into named values, constants or blocks",
                    )
                ]
            )
        for index, child in enumerate(node.children):
            if not isinstance(child, Tree):
                continue
            if index == 0 and node.data in CHAINS and child.data == node.data:
                stack.append((child, depth, chain + 1))  # the left spine of `a + b + c`
            else:
                stack.append((child, depth + 1, chain))


def _syntax_diagnostic(source: Source, exc: UnexpectedInput) -> Diagnostic:
    message, hint = explain_unexpected(source, exc, parser())
    if isinstance(exc, UnexpectedEOF) or getattr(exc, "token", None) == "$END":
        end = len(source.text.rstrip())
        span = Span.at_offsets(source, end, end + 1)
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        start = token.start_pos or 0
        span = Span.at_offsets(
            source, start, max(start + 1, token.end_pos or start + 1)
        )
    elif isinstance(exc, UnexpectedCharacters):
        span = Span.at_offsets(source, exc.pos_in_stream, exc.pos_in_stream + 1)
    else:  # pragma: no cover - lark raises only the three above from parse()
        span = None
    return Diagnostic(message, span, hint)
