"""The grammar's text, the text the parsers read, and the nesting limits: what
every parser needs, without lark (a cold `archdsl check` parses with the fast
path alone and never imports lark: issue 15)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ..source import Source

BOM = "\ufeff"

#: How deeply a spec may nest (brackets, operators, blocks): far beyond any real
#: spec, and low enough that the recursive stages after parsing never run out of
#: Python stack. Checked on the parse tree, iteratively, before anything recurses.
MAX_DEPTH = 100
#: A flat chain of one operator (`a + b + ... + z`) is not nesting to a reader, but
#: every later stage recurses down its left spine: links count apart, up to this many
#: on top of the nesting (tests/test_syntax.py runs the worst case through every stage).
MAX_CHAIN = 300
CHAINS = frozenset({"binop", "or_", "and_"})


@cache
def grammar_text() -> str:
    """The grammar: inside the installed package, or at the top of a source checkout
    (read once: the parser's cache key and the fast path's rules both need it)."""
    here = Path(__file__).resolve().parents[1]  # the package's own directory
    for path in (
        here / "grammars" / "arch.lark",
        here.parent / "grammars" / "arch.lark",
    ):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    # A package not laid out as files (a zip): importlib.resources reads it there.
    from importlib import resources

    return (resources.files("archdsl") / "grammars" / "arch.lark").read_text("utf-8")


def parser_input(source: Source) -> str:
    """The text the parser reads: a byte-order mark (editors on Windows write one)
    becomes a space, which keeps columns, and a final newline ends the last line."""
    text = source.text
    if text.startswith(BOM):
        text = " " + text[1:]
    return text + "\n"
