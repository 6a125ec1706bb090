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

from lark import Lark
from lark.lexer import PatternStr

#: A token: (kind, text, offset, line, column). The kind is the literal itself for
#: a string terminal or keyword (`(`, `**`, `model`), else the terminal's name.
Tok = tuple[str, str, int, int, int]
END = "$END"


class Unscannable(Exception):
    """A character no terminal matches: lark reports it."""


class Lexicon:
    """What the scanner needs from one lark parser, worked out once."""

    def __init__(self, parser: Lark) -> None:
        root = parser.parser.lexer.lexer.root_lexer  # (post-lexer connector).lexer
        scanner = root.scanner
        if len(scanner._mres) != 1:  # over 100 terminals: lark splits its regex
            raise ValueError("lark's terminals do not fit one regex")
        # spaces before a token are skipped in the same match (lark ignores them
        # as a token of their own; nothing else starts with a space or a tab)
        self.regex = re.compile(r"[\t \f]*(?:" + scanner._mres[0].pattern + ")")
        self.kinds = {
            t.name: t.pattern.value if isinstance(t.pattern, PatternStr) else t.name
            for t in scanner.terminals
        }
        self.ignore = frozenset(root.ignore_types)
        self.lines = frozenset(root.newline_types)
        # a name that is exactly a keyword is that keyword (lark's UnlessCallback)
        self.keywords = {}
        self.lark_type = {kind: name for name, kind in self.kinds.items()}
        unless = root.callback.get("NAME")
        for terminal in unless.scanner.terminals if unless else ():
            self.keywords[terminal.pattern.value] = terminal.pattern.value
            self.lark_type[terminal.pattern.value] = terminal.name
        # Where the parser cannot take a keyword, lark's contextual lexer reads it
        # as a name (`block = Sequential(...)`, `f(model=m)`): the keywords that
        # are names where an expression, a statement or a parameter starts
        starts = _first_terminals(parser)
        spelled = {name: kind for kind, name in self.lark_type.items()}
        words = set(self.keywords)

        def names_before(*rules: str) -> frozenset[str]:
            taken = {spelled.get(t) for rule in rules for t in starts.get(rule, ())}
            return frozenset(words - taken)

        self.names_in_expr = names_before("expr", "arg")
        self.names_in_body = names_before("_stmt", "body")
        self.names_in_fbody = names_before("_fstmt", "fbody")
        self.names_in_params = names_before("param", "params")

    def scan(self, text: str) -> tuple[list[str], list[Tok]]:
        """Every token lark's parser would be given, then END; with their kinds
        alone in a second list (the parser looks at kinds far more than at text)."""
        kinds: list[str] = []
        tokens: list[Tok] = []
        kind_of, keywords, ignore, lines = (
            self.kinds, self.keywords, self.ignore, self.lines
        )  # fmt: skip
        line, line_start, depth, end = 1, 0, 0, 0
        for match in iter(self.regex.scanner(text).match, None):
            name = match.lastgroup
            value = match.group(name)
            start = match.start(name)
            end = match.end()
            column = start - line_start + 1
            at_line = line
            if name in lines and "\n" in value:
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
            if name in ignore:
                continue
            kind = kind_of[name]
            if kind == "NAME":
                kind = keywords.get(value, "NAME")
            elif kind == "(" or kind == "[":
                depth += 1
            elif kind == ")" or kind == "]":
                depth = depth - 1 if depth else 0
            elif kind == "_NL" and depth:
                continue
            kinds.append(kind)
            tokens.append((kind, value, start, at_line, column))
        if end != len(text):
            raise Unscannable
        # three, so the parser may look two tokens ahead anywhere
        kinds += [END] * 3
        tokens += [(END, "", end, line, end - line_start + 1)] * 3
        return kinds, tokens


def _first_terminals(parser: Lark) -> dict[str, set[str]]:
    """Each rule's FIRST set (the terminals it can start with), for the rules
    where the fast parser reads keywords as names, and everything they reach."""
    first: dict[str, set[str]] = {}
    empty: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule in parser.rules:
            origin = rule.origin.name
            known = first.setdefault(origin, set())
            size = len(known)
            for symbol in rule.expansion:
                if symbol.is_term:
                    known.add(symbol.name)
                    break
                known |= first.get(symbol.name, set())
                if symbol.name not in empty:
                    break
            else:
                if origin not in empty:
                    empty.add(origin)
                    changed = True
            changed |= len(known) != size
    return first
