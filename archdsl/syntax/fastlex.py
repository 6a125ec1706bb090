"""The fast path's tokenizer: lark's own terminals, scanned with one regex.

Lark's contextual lexer asks the parser for its state before every token and
makes a Token object for each; that was a third of the parse. This scanner runs
lark's master regex (the root lexer's: every terminal, in lark's priority order)
over the whole text at once. A name equal to a keyword becomes that keyword, as
lark's own "unless" callback makes it, and newlines inside (), [] and a dict's {}
are dropped as the post-lexer (parser._NewlinesInBrackets) drops them.

The contextual lexer can give a different token only where the parser state
rules out the one the global order picks (`for` read as a name after `.`, `a.b`
as three tokens after `.`); the fast parser accepts a token only where the
grammar does, so there it falls back instead (fastparse.py says why that is
enough). Terminals come from the grammar, so a new one is scanned as lark scans
it, and the fast parser falls back on it as on anything unknown.
"""

from __future__ import annotations

import re
from array import array
from typing import Any

END = "$END"
#: The tokens after which a `{` opens a dict (parser._DICT_AFTER, by kind): the
#: post-lexer drops newlines inside it, as inside brackets.
DICT_AFTER = frozenset({"=", ",", ":", "(", "[", "return"})


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
        # each token's line: a list, so the tokens of a line, and the spans made
        # from them, share one int (an array makes one each time it is read)
        self.line_of: list[int] = []
        #: where each line starts: line n (1-based) starts at lines[n - 1]
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]

    def moved(self, within: Tokens, offset: int, line: int) -> Tokens:
        """These tokens (of one line's text) as where that text is in `within`'s:
        from `offset`, on `line` (an f-string's field, scanned alone as lark's
        expression parser reads it, given the spans it has in the source)."""
        moved = Tokens.__new__(Tokens)
        moved.text, moved.lines, moved.kinds = within.text, within.lines, self.kinds
        moved.starts = array("l", [start + offset for start in self.starts])
        moved.ends = array("l", [end + offset for end in self.ends])
        moved.line_of = [line] * len(self.kinds)
        return moved


class Unscannable(Exception):
    """A character no terminal matches: lark reports it."""


class Lexicon:
    """What the scanner needs from lark's terminals, as plain data (`fields`):
    syntax/terminals.py works them out from a lark parser once per grammar and
    caches them, so that a spec the fast path parses never loads lark."""

    #: The fields: the scanner's pattern (token_regex() of lark's master regex,
    #: worked out with the rest: a process compiles one regex); each terminal's
    #: kind by its name; the terminals lark ignores and those holding newlines;
    #: keywords, each its own kind; the lark type of each kind; and the keywords
    #: that are names where an expression, a statement, a forward statement or a
    #: parameter starts.
    FIELDS = ("pattern", "kinds", "ignore", "lines", "keywords", "lark_type",
              "names_in_expr", "names_in_body", "names_in_fbody", "names_in_params")  # fmt: skip

    def __init__(self, fields: dict[str, Any]) -> None:
        self.regex = re.compile(fields["pattern"])
        self.kinds: dict[str, str] = fields["kinds"]
        self.ignore = frozenset(fields["ignore"])
        self.lines = frozenset(fields["lines"])
        self.keywords: dict[str, str] = fields["keywords"]
        self.lark_type: dict[str, str] = fields["lark_type"]
        self.names_in_expr = frozenset(fields["names_in_expr"])
        self.names_in_body = frozenset(fields["names_in_body"])
        self.names_in_fbody = frozenset(fields["names_in_fbody"])
        self.names_in_params = frozenset(fields["names_in_params"])
        self.groups = _Groups(self)

    def scan(self, text: str) -> Tokens:
        """Every token lark's parser would be given, then END."""
        tokens = Tokens(text)
        kinds, line_of = tokens.kinds, tokens.line_of
        add_kind, add_start = kinds.append, tokens.starts.append
        add_end, add_line = tokens.ends.append, line_of.append
        groups, keywords = self.groups, self.keywords
        plain, kind_of = groups.plain, groups.kinds
        ignored, multiline = groups.ignored, groups.multiline
        depth, line = 0, 1
        braces: list[bool] = []  # for each open `{`: whether it is a dict's
        match = None
        for match in iter(self.regex.scanner(text).match, None):
            group = match.lastindex  # the token's terminal
            start = match.end(1)  # after the spaces before it
            end = match.end()
            kind = plain[group]
            if kind is not None:  # most tokens: `(`, `=`, INT
                add_kind(kind)
                add_start(start)
                add_end(end)
                add_line(line)
                continue
            at = line
            if multiline[group]:  # a newline, a comment, a string, `\\` at the end
                line += text.count("\n", start, end)
            kind = kind_of[group]
            if kind == "NAME":
                kind = keywords.get(text[start:end], "NAME")
            elif ignored[group]:
                continue
            elif kind == "(" or kind == "[":
                depth += 1
            elif kind == ")" or kind == "]":
                depth = depth - 1 if depth else 0
            elif kind == "_NL" and depth:
                continue
            elif kind == "{":  # a dict's, as the post-lexer tells (a body's else)
                braces.append(bool(depth) or bool(kinds) and kinds[-1] in DICT_AFTER)
                depth += braces[-1]
            elif kind == "}" and braces and braces.pop():
                depth = depth - 1 if depth else 0
            add_kind(kind)
            add_start(start)
            add_end(end)
            add_line(at)
        end = match.end() if match else 0
        if end != len(text):
            raise Unscannable
        # three, so the parser may look two tokens ahead anywhere
        kinds += [END] * 3
        tokens.starts.extend([end] * 3)
        tokens.ends.extend([end] * 3)
        line_of.extend([line] * 3)
        return tokens


def token_regex(pattern: str) -> re.Pattern[str]:
    """Lark's master regex `(?P<A>a)|(?P<B>b)|...`, for scan(): the spaces before a
    token skipped in the same match, as group 1 (lark ignores them as a token of
    their own; nothing else starts with a space or a tab), and each terminal's
    group moved to after it, empty, `(?:a)(?P<A>)|(?:b)(?P<B>)`: the same matches
    in the same order, and the regex engine can rule out an alternative by its
    first character before entering it (it cannot past an opening group), which
    was a third of the scan, trying some twenty terminals before a `(` or `,`. A
    pattern not made as lark makes it is used as it is."""
    spaces = r"([\t \f]*)"
    plain = re.compile(spaces + "(?:" + pattern + ")")
    if re.search(r"\\[1-9]|\(\?P=", pattern):  # a reference by group number or name
        return plain
    alternatives = []
    for part in re.split(r"\|(?=\(\?P<)", pattern):
        named = re.fullmatch(r"\(\?P<(\w+)>(.*)\)", part, re.DOTALL)
        if named is None:
            return plain
        alternatives.append(f"(?:{named.group(2)})(?P<{named.group(1)}>)")
    try:
        moved = re.compile(spaces + "(?:" + "|".join(alternatives) + ")")
    except re.error:  # a `|(?P<` inside a terminal's own pattern
        return plain
    if moved.groupindex.keys() != plain.groupindex.keys():
        return plain
    return moved


class _Groups:
    """What scan() needs to know of each of the regex's groups, by number: the
    kind of a token that needs nothing more (`plain`, else None), each terminal's
    kind, whether lark ignores it, whether it may hold a newline."""

    def __init__(self, lexicon: Lexicon) -> None:
        size = lexicon.regex.groups + 1
        self.kinds: list[str | None] = [None] * size
        self.plain: list[str | None] = [None] * size
        self.ignored = [False] * size
        self.multiline = [False] * size
        special = {"NAME", "_NL", "(", "[", ")", "]", "{", "}"}
        for name, group in lexicon.regex.groupindex.items():
            kind = self.kinds[group] = lexicon.kinds[name]
            self.ignored[group] = name in lexicon.ignore
            self.multiline[group] = name in lexicon.lines
            if not (self.ignored[group] or self.multiline[group] or kind in special):
                self.plain[group] = kind
