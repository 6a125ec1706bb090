"""Parse `.arch` text and lower it to IR."""

from __future__ import annotations

from functools import cache

from .. import ir
from ..source import Source
from . import terminals
from .fastlex import Abandon, Lexicon
from .fastparse import fast_parse
from .grammar import grammar_text, parser_input


def parse_source(source: Source, read: Source | None = None) -> ir.Program:
    """The IR of a source: by the recursive-descent fast path (fastparse.py) where
    it follows the spec, else lowered while lark's parser runs (no parse tree); a
    spec that has something to report goes through the tree, which reports it.
    `read`: what to parse, when not the whole source: one piece of it, put on its
    lines by newlines before it (archdsl.incremental); spans point at `source`.
    Only the fast path's spec never loads lark (a cold `archdsl check`, issue 15)."""
    read = read or source
    text = parser_input(read)
    try:  # the common part of the language, by recursive descent
        return fast_parse(*_fast(), source, text)
    except Abandon:
        pass
    from .lower import lower
    from .onepass import parse_and_lower
    from .parser import MAX_CHAIN, MAX_DEPTH, parse_tree

    try:
        return parse_and_lower(_rules(), source, text, MAX_DEPTH, MAX_CHAIN)
    except Abandon:
        return lower(parse_tree(read), source)


def parse_source_via_tree(source: Source) -> ir.Program:
    """The two-pass path: lark's parse tree with positions, then the lowering
    Transformer over it (what parse_source returns, more slowly)."""
    from .lower import lower
    from .parser import parse_tree

    return lower(parse_tree(source), source)


@cache
def _rules():  # -> onepass.Rules
    from .onepass import Rules
    from .parser import parser  # not a name here: it would hide the module `parser`

    return Rules(parser())


@cache
def _fast() -> tuple[Lexicon, frozenset[str]]:
    """The fast parser's scanner and the rules it may follow in this grammar."""
    return terminals.load(grammar_text())


__all__ = ["parse_source", "parse_source_via_tree"]
