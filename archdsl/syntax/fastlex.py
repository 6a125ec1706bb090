"""The fast path's tokenizer: lark's own terminals, scanned with one regex.

Lark's contextual lexer asks the parser for its state before every token and
makes a Token object for each; that was a third of the parse. This scanner runs
lark's master regex (the root lexer's: every terminal, in lark's priority order)
over the whole text at once. A name equal to a keyword becomes that keyword, as
lark's own "unless" callback makes it, and newlines inside () and [] are dropped
as the post-lexer (parser._NewlinesInBrackets) drops them.

The contextual lexer can give a different token only where the parser state
rules out the one the global order picks (`for` read as a name after `.`, `a.b`
as three tokens after `.`); the fast parser accepts a token only where the
grammar does, so there it falls back instead (fastparse.py says why that is
enough). Terminals come from the grammar, so a new one (an f-string) is scanned
as lark scans it, and the fast parser falls back on it as on anything unknown.
"""

from __future__ import annotations

import re
from array import array
from typing import Any

END = "$END"


class Abandon(Exception):
    """The fast paths (fastparse.py, onepass.py) cannot decide this spec; the
    two-pass path will, and reports what there is to report."""


class Tokens:
    """The tokens of one text, compactly (100,000 layers make 1.6 million): each
    one's kind (the literal itself for a string terminal or a keyword: `(`, `**`,
    `model`; else the terminal's name) and where it starts and ends; its text,
    line and column are read only for the tokens a node keeps or starts or ends
    with. A token never spans lines (none the parser keeps can hold a newline)."""

    __slots__ = ("kinds", "starts", "ends", "line_of", "text", "lines")

    def __init__(self, text: str) -> None:
        self.text = text
        self.kinds: list[str] = []
        self.starts = array("l")
        self.ends = array("l")
        self.line_of = array("l")  # each token's line
        #: where each line starts: line n (1-based) starts at lines[n - 1]
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]

    def value(self, i: int) -> str:
        return self.text[self.starts[i] : self.ends[i]]

    def start(self, i: int) -> tuple[int, int, int]:
        """(line, column, offset) where token i starts, as lark counts them."""
        offset, line = self.starts[i], self.line_of[i]
        return line, offset - self.lines[line - 1] + 1, offset


class Unscannable(Exception):
    """A character no terminal matches: lark reports it."""


class Lexicon:
    """What the scanner needs from lark's terminals, as plain data (`fields`):
    syntax/terminals.py works them out from a lark parser once per grammar and
    caches them, so that a spec the fast path parses never loads lark."""

    #: The fields: the master regex's pattern; each terminal's kind by its name;
    #: the terminals lark ignores and those holding newlines; keywords, each its
    #: own kind; the lark type of each kind; and the keywords that are names where
    #: an expression, a statement, a forward statement or a parameter starts.
    FIELDS = ("pattern", "kinds", "ignore", "lines", "keywords", "lark_type",
              "names_in_expr", "names_in_body", "names_in_fbody", "names_in_params")  # fmt: skip

    def __init__(self, fields: dict[str, Any]) -> None:
        # spaces before a token are skipped in the same match (lark ignores them
        # as a token of their own; nothing else starts with a space or a tab)
        self.regex = re.compile(r"[\t \f]*(?:" + fields["pattern"] + ")")
        self.kinds: dict[str, str] = fields["kinds"]
        self.ignore = frozenset(fields["ignore"])
        self.lines = frozenset(fields["lines"])
        self.keywords: dict[str, str] = fields["keywords"]
        self.lark_type: dict[str, str] = fields["lark_type"]
        self.names_in_expr = frozenset(fields["names_in_expr"])
        self.names_in_body = frozenset(fields["names_in_body"])
        self.names_in_fbody = frozenset(fields["names_in_fbody"])
        self.names_in_params = frozenset(fields["names_in_params"])

    def scan(self, text: str) -> Tokens:
        """Every token lark's parser would be given, then END."""
        tokens = Tokens(text)
        kinds, starts, ends = tokens.kinds, tokens.starts, tokens.ends
        line_of = tokens.line_of
        kind_of, keywords, ignore, lines = (
            self.kinds, self.keywords, self.ignore, self.lines
        )  # fmt: skip
        depth, line = 0, 1
        match = None
        for match in iter(self.regex.scanner(text).match, None):
            name = match.lastgroup
            if name in lines:  # a newline, a comment, a string, a `\\` at the end
                start, end = match.span(name)
                at = line
                line += text.count("\n", start, end)
            else:
                at = line
            if name in ignore:
                continue
            kind = kind_of[name]
            if kind == "NAME":
                kind = keywords.get(match.group(name), "NAME")
            elif kind == "(" or kind == "[":
                depth += 1
            elif kind == ")" or kind == "]":
                depth = depth - 1 if depth else 0
            elif kind == "_NL" and depth:
                continue
            kinds.append(kind)
            start, end = match.span(name)
            starts.append(start)
            ends.append(end)
            line_of.append(at)
        end = match.end() if match else 0
        if end != len(text):
            raise Unscannable
        # three, so the parser may look two tokens ahead anywhere
        kinds += [END] * 3
        starts.extend([end] * 3)
        ends.extend([end] * 3)
        line_of.extend([line] * 3)
        return tokens
