"""The grammar's own tokens, with what the parser throws away kept: comments, where
lines break and how many blank lines there were. The formatter works on this stream
(and the bracket structure built from it), never on grammar rules, so syntax added
to arch.lark is formatted without changes here."""

from __future__ import annotations

from dataclasses import dataclass

from lark.lexer import LexerThread

from ..syntax.parser import BOM, parser

#: Whitespace and `\` line continuations: the lexer's ignored patterns. Comments are
#: ignored by the parser too, but the formatter keeps them.
_SPACE_PREFIX = "__IGNORE"


@dataclass
class Tok:
    kind: str  # the grammar's terminal name: NAME, LPAR, COMMA, IF, __ANON_0, ...
    text: str
    start: int  # offset in the source
    spaced: bool = False  # whitespace before it in the source
    unary: bool = False  # set by the layout: a prefix operator (`-x`, `*xs`)
    hugs: bool = False  # set by the layout: a `**` written without spaces


@dataclass
class Comment:
    text: str
    own_line: bool  # nothing but indentation before it on its line
    blank_before: int = 0  # blank lines just above it (own-line comments)


@dataclass
class Newline:
    """A line break at statement level ends a statement; inside brackets it means
    nothing (the parser drops it there)."""


@dataclass
class Gap:
    """Blank lines before the next token."""

    blank: int


Event = Tok | Comment | Newline | Gap


def events(text: str) -> list[Event]:
    """The source as tokens, comments, line breaks and blank-line gaps, in order.
    The text must lex (callers parse it first, which reports errors properly)."""
    if text.startswith(BOM):
        text = " " + text[1:]
    lexer = parser()._build_lexer(dont_ignore=True)
    out: list[Event] = []
    spaced = False
    for token in LexerThread.from_text(lexer, text).lex(None):
        kind = token.type
        if kind.startswith(_SPACE_PREFIX):
            spaced = True
            continue
        if kind == "COMMENT":
            line_start = text.rfind("\n", 0, token.start_pos) + 1
            own = not text[line_start : token.start_pos].strip()
            out.append(Comment(str(token).rstrip(), own))
        elif kind == "_NL":
            out += _line_breaks(str(token))
        else:
            out.append(Tok(kind, str(token), token.start_pos, spaced))
        spaced = kind in ("_NL", "COMMENT")
    return out


def _line_breaks(text: str) -> list[Event]:
    """One newline token covers every line up to the next token: blank lines and
    whole-line comments among them."""
    out: list[Event] = [Newline()]
    blank = 0
    for line in text.split("\n")[1:-1]:
        stripped = line.strip()
        if stripped.startswith("#"):
            out.append(Comment(stripped.rstrip(), True, blank))
            blank = 0
        else:
            blank += 1
    out.append(Gap(blank))
    return out
