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

from lark import Lark
from lark.lexer import PatternStr

END = "$END"


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
