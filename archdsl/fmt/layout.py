"""Statements, groups and bodies -> a document for the printer: where spaces go
between tokens (decided from the tokens' kinds, as ruff spaces Python), where lines
may break (inside brackets) and where trailing commas go."""

from __future__ import annotations

from .doc import HARD, SOFT, SPACE, BestOf, Group, IfBreak, Indent, Suffix
from .tokens import Comment, Tok
from .tree import Body, CommentLine
from .tree import Group as Brackets

#: Keywords that read as operators: a space on both sides, also before a bracket
#: (`if (a or b)`, `return (x, y)`, `not (a)`). Other keywords (`forward`,
#: `outputs`, `True`) take brackets like names do.
OPERATOR_KEYWORDS = {
    "if", "else", "elif", "return", "not", "and", "or", "in", "is", "for",
    "import", "from", "extends", "yield", "lambda", "assert", "while",
}  # fmt: skip
_WORDS = {"NAME", "DOTTED", "INT", "FLOAT", "STRING", "ELLIPSIS"}
_PREFIX_OPERATORS = {"-", "+", "*", "**", "~"}
#: What a single comma-less element in brackets means: `(a,)` is a tuple and
#: `x[a,]` is written as the author wrote it; their comma is not a magic one.
_KEEP_SINGLE_COMMA = {"paren", "subscript"}
#: Lists, tuples and shapes written out: when one breaks, every element goes on its
#: own line. A call's arguments (or a definition's parameters) first try all on
#: one line of their own (black's rule, which ruff follows).
_DISPLAYS = {"list", "paren", "shape", "brace"}


def is_word(token) -> bool:
    """A name, literal, non-operator keyword or a closed group: what a call's
    bracket may follow without a space."""
    if isinstance(token, Brackets):
        return True
    if not isinstance(token, Tok):
        return False
    if token.kind in _WORDS:
        return True
    return token.text.isidentifier() and token.text not in OPERATOR_KEYWORDS


def _simple(items: list) -> bool:
    """An operand `**` hugs and slices leave unspaced: a name, number or `-1`."""
    if len(items) == 2 and isinstance(items[0], Tok) and items[0].unary:
        items = items[1:]
    return len(items) <= 1 and all(
        isinstance(t, Tok) and t.kind in _WORDS - {"STRING"} for t in items
    )


class Layout:
    def __init__(self, no_comma: set[int]) -> None:
        self.no_comma = no_comma  # groups (by opener offset) that take no added comma

    # ---- statements and bodies ----------------------------------------------
    def lines(self, lines: list, top: bool = False) -> list:
        doc: list = []
        previous = None
        for line in lines:
            if previous is not None:
                doc.append(HARD)
                if self._blank(previous, line, top):
                    doc.append(HARD)
            doc.append(self.line(line))
            previous = line
        return doc

    @staticmethod
    def _blank(previous, line, top: bool) -> bool:
        if top and not isinstance(previous, CommentLine):
            if _multi_line(previous) or _multi_line(line):
                return True  # definitions stand apart
        return line.blank_before > 0

    def line(self, line) -> list:
        if isinstance(line, CommentLine):
            return [line.text]
        doc: list = []
        segment: list = []
        closed = False  # after a body: the next segment starts with its `}`
        for item in line.items:
            if isinstance(item, Body) and (item.lines or item.comment):
                before = "}" if closed else ""
                doc += [self.sequence(segment, "statement", before, " {")]
                doc.append(self.body(item))
                segment, closed = [], True
            else:
                segment.append(item)
        return doc + [self.sequence(segment, "statement", "}" if closed else "")]

    def body(self, body: Body) -> list:
        doc: list = [Suffix(body.comment)] if body.comment else []
        return doc + [Indent([HARD, self.lines(body.lines)]), HARD]

    # ---- a run of items at one level ----------------------------------------
    def sequence(
        self, items: list, context: str, before: str = "", after: str = ""
    ) -> list:
        """Items at one bracket level; `before` is a `}` that ends the previous
        body, `after` the ` {` that opens the next."""
        _mark_operators(items)
        split = _operator_split(items, context)
        if split is not None:
            return self._operands(items, split, context)
        if context == "statement" and (cut := _expression(items)) is not None:
            start, end, expression, wrap = cut
            head = self.sequence(items[:start], context, before)
            rest = self.sequence(items[end:], context, after=after)
            if not wrap:  # its redundant parentheses dropped, its brackets break
                return [head, " ", self.sequence(expression, context), rest]
            return [head, " ", _parenthesized(self.sequence(expression, "paren")), rest]
        doc: list = [before] if before else []
        prev = Tok("RBRACE", "}", 0) if before else None
        slices = context == "subscript" and any(_is_token(i, ":") for i in items)
        spaced = slices and not all(_simple(p) for p in _split(items, ":"))
        spacing = _Spacing(context, slices, spaced)
        for index, item in enumerate(items):
            if isinstance(item, Comment):
                doc += self._comment(item, prev is None, index == len(items) - 1)
                continue
            if spacing.between(prev, item):
                doc.append(" ")
            if isinstance(item, Brackets):
                doc.append(self.group(item, prev))
            elif isinstance(item, Body):  # an empty body: `{}`
                doc.append("{}")
            elif _hangs(items, index, context):
                rest = self.sequence(items[index + 1 :], "statement")
                below = Indent([HARD, rest])
                note = items[index + 1]
                if isinstance(note, Comment):  # the expression starts below it
                    doc += ["=", Indent(rest) if not note.own_line else below]
                else:
                    doc += ["=", BestOf([[" ", rest], below])]
                break
            else:
                doc.append(_text(item))
            spacing.annotated |= _is_token(item, ":")
            prev = item
        return doc + ([after] if after else [])

    def _operands(self, items: list, split: list[int], context: str) -> Group:
        """`a + b * c` inside brackets: may break before each operator of the
        lowest precedence, each operand on its own line (as ruff does)."""
        doc: list = []
        start = 0
        for index in [*split, len(items)]:
            part = self.sequence(items[start:index], context)
            doc += [SPACE, items[start - 1].text, " ", part] if start else [part]
            start = index + 1
        return Group(doc)

    @staticmethod
    def _comment(comment: Comment, first: bool, last: bool) -> list:
        if comment.own_line:
            return ([] if first else [HARD]) + [comment.text, HARD]
        return [Suffix(comment.text)] + ([] if last else [HARD])

    # ---- bracket groups -----------------------------------------------------
    def group(self, group: Brackets, prev) -> list | Group:
        kind = _kind(group, prev)
        split = kind != "comprehension"  # `for a, b in ...`: not a list of elements
        elements, has_comma, opener_comment, tail = _elements(group.items, split)
        opener = [group.open.text] + (
            [Suffix(opener_comment)] if opener_comment else []
        )
        close = group.close.text
        if not elements and not tail:
            return opener + [close]
        if kind == "comprehension":
            inner = Group(self._comprehension(elements[0]))
            return Group(opener + [Indent([SOFT, inner, *tail]), SOFT, close])
        docs = [self.sequence(e, kind) for e in elements]
        single = len(docs) == 1
        if single and has_comma and kind in _KEEP_SINGLE_COMMA:
            inner = [docs[0], ",", *tail]
        elif single and not has_comma:
            inner = [docs[0], *tail]
        else:
            comma = "" if group.open.start in self.no_comma or kind == "shape" else ","
            joined: list = []
            for index, doc in enumerate(docs):
                joined += [",", SPACE, doc] if index else [doc]
            added = IfBreak(comma, key=group.open.start)
            if kind in _DISPLAYS:  # broken: one element a line, like black and ruff
                return Group(
                    opener + [Indent([SOFT, joined, added, *tail]), SOFT, close],
                    broken=has_comma,
                )
            inner = Group([joined, added, *tail], broken=has_comma)
        return Group(opener + [Indent([SOFT, inner]), SOFT, close])

    def _comprehension(self, items: list) -> list:
        """`[f(x) for row in cfg for x in row if x]`: breaks before each `for` and
        `if` clause, as ruff does. After the first `for`, an `if` of this level is
        a clause: the grammar's iterables and filters hold no conditional."""
        parts = _split(items, "for", keep_comments=True)
        doc = [self.sequence(parts[0], "comprehension")]
        for part in parts[1:]:
            clauses = _split(part, "if", keep_comments=True)
            for index, clause in enumerate(clauses):
                keyword = "if" if index else "for"
                token = Tok(keyword.upper(), keyword, 0)
                doc += [SPACE, self.sequence([token, *clause], "comprehension")]
        return doc


class _Spacing:
    """Whether a space goes between two items of one sequence."""

    def __init__(self, context: str, slices: bool, spaced_slice: bool) -> None:
        self.context = context
        self.slices = slices  # a subscript with `:`: its colons are slice colons
        self.spaced_slice = spaced_slice  # `x[a + 1 :]`, but `x[1:n]`
        self.annotated = False  # `name: type = default` spaces its `=`, `a=1` not

    def between(self, prev, item) -> bool:
        if prev is None:
            return False
        text = item.open.text if isinstance(item, Brackets) else _raw(item)
        before = prev.text if isinstance(prev, Tok) else ")"
        if text in (",", ";", ".") or before == "." or getattr(prev, "unary", False):
            return False
        if (
            isinstance(item, Tok)
            and not item.spaced
            and is_word(prev)
            and is_word(item)
        ):
            return False  # `f"..."` if a prefix ever lexes apart: keep what was written
        if self.slices and ":" in (text, before):
            return self.spaced_slice and before != ":" and text != ":"
        if text == ":":
            return False
        if "=" in (text, before) and self.context != "statement":
            return self.annotated
        if text == "**" and not item.unary:
            return not item.hugs
        if before == "**" and not prev.unary:
            return not prev.hugs
        if isinstance(item, Brackets):
            return not (is_word(prev) and text in "([")
        return True


def _raw(item) -> str:
    return item.text if isinstance(item, Tok) else "{}"


def _hangs(items: list, index: int, context: str) -> bool:
    """The `=` of `builder b(...) = expr`: the expression may go on the next line,
    indented, when its first line would not fit after the `=` (the grammar's
    `"=" _NL?`, as ruff breaks after an assignment's `=`)."""
    return (
        context == "statement"
        and _is_token(items[index], "=")
        and _is_token(items[0], "builder")
        and index + 1 < len(items)
    )


def _multi_line(line) -> bool:
    if isinstance(line, CommentLine):
        return False
    first = line.items[0]
    return any(isinstance(i, Body) for i in line.items) or _is_token(first, "builder")


def _is_token(item, text: str) -> bool:
    return isinstance(item, Tok) and item.text == text


def _text(token: Tok) -> str:
    return normal_string(token.text) if token.kind == "STRING" else token.text


def normal_string(text: str) -> str:
    """Double quotes, ruff's preference, where that changes nothing else."""
    if text[0] == "'" and '"' not in text and "\\" not in text:
        return '"' + text[1:-1] + '"'
    return text


def _starts_operand(prev) -> bool:
    """Whether an operator here is a prefix one: nothing before it in its element,
    or an operator or operator keyword."""
    if prev is None:
        return True
    if isinstance(prev, Tok):
        return not is_word(prev) or prev.text in OPERATOR_KEYWORDS
    return False


def _split(items: list, separator: str, keep_comments: bool = False) -> list[list]:
    parts: list[list] = [[]]
    for item in items:
        if _is_token(item, separator):
            parts.append([])
        elif keep_comments or not isinstance(item, Comment):
            parts[-1].append(item)
    return parts


#: Binary operators a line may break before, by precedence (lowest first), as in
#: Python: the conditional expression's `if`/`else`, `or`, `and`, comparisons, `|`,
#: `+ -`, `* / // %`.
_PRECEDENCE = {
    "if": 0, "else": 0, "or": 1, "and": 2,
    "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3,
    "|": 4, "+": 5, "-": 5, "*": 6, "/": 6, "//": 6, "%": 6,
}  # fmt: skip


def _operator_split(items: list, context: str) -> list[int] | None:
    """Where a run inside brackets may break: before its operators of the lowest
    precedence. None at statement level (a newline there ends the statement), in
    slices and in a comprehension's `for ... in ...`."""
    if not items or context == "statement" or _is_token(items[0], "for"):
        return None
    if context == "subscript" and any(_is_token(i, ":") for i in items):
        return None
    found = [
        (_PRECEDENCE[item.text], index)
        for index, item in enumerate(items)
        if index and isinstance(item, Tok) and item.text in _PRECEDENCE
        and not item.unary
    ]  # fmt: skip
    if not found:
        return None
    lowest = min(level for level, _ in found)
    return [index for level, index in found if level == lowest]


#: What a statement's expression follows: `x = `, `x += `, `return `, `if `.
_BEFORE_EXPRESSION = {"=", "return", "if"}


def _expression(items: list) -> tuple[int, int, list, bool] | None:
    """A statement's expression with operators at its top (`x = a + b`, `if a and
    b {`, `return a * b`), to be put in parentheses when it breaks, as ruff does:
    (start, end, its items, whether to parenthesize it). Redundant parentheses
    around an expression are dropped, to be put back only where the line breaks."""
    if not items or _is_token(items[0], "builder"):
        return None
    index = next(
        (
            i
            for i, item in enumerate(items)
            if isinstance(item, Tok)
            and (item.text in _BEFORE_EXPRESSION or item.kind == "AUG_OP")
        ),
        None,
    )
    if index is None:
        return None
    item = items[index]
    if item.text == "if" and not (index == 0 or _is_token(items[index - 1], "else")):
        return None
    start = index + 1
    end = len(items)
    while end > start and isinstance(items[end - 1], Comment):
        end -= 1
    expression = items[start:end]
    unwrapped = False
    if len(expression) == 1 and isinstance(expression[0], Brackets):
        inner = expression[0]
        bare = inner.open.text == "(" and not any(
            isinstance(i, Comment) or _is_token(i, ",") for i in inner.items
        )
        if bare and inner.items and not is_word(items[start - 1]):
            expression, unwrapped = inner.items, True
    if any(isinstance(i, Comment) or _is_token(i, ",") for i in expression):
        return None
    _mark_operators(expression)
    split = _operator_split(expression, "paren")
    wrap = split is not None and not _ends_in_brackets(expression, split)
    if not (wrap or unwrapped):
        return None
    return start, end, expression, wrap


def _ends_in_brackets(expression: list, split: list[int]) -> bool:
    """`y * (a + b)`, `x + f(a, b)`: one operator, then brackets, which break
    instead (ruff leaves out the parentheses then)."""
    last = expression[split[-1] + 1 :]
    return (
        len(split) == 1
        and isinstance(last[-1], Brackets)
        and _operator_split(last, "paren") is None
    )


def _parenthesized(expression) -> Group:
    """Parentheses only when the expression breaks (ruff's parenthesize-if-expands)."""
    return Group([IfBreak("("), Indent([SOFT, expression]), SOFT, IfBreak(")")])


def _mark_operators(items: list) -> None:
    """Which operators are prefix ones (`-x`, `*xs`), and which `**` hug their
    operands: `x**2`, but `f(x) ** 2` (ruff)."""
    prev = None
    for item in items:
        if isinstance(item, Tok):
            item.unary = item.text in _PREFIX_OPERATORS and _starts_operand(prev)
        if not isinstance(item, Comment):
            prev = item
    for index, item in enumerate(items):
        if _is_token(item, "**") and 0 < index < len(items) - 1:
            left = items[index - 1 : index]
            right = items[index + 1 : index + 3]
            if not (len(right) == 2 and _is_token(right[0], "-")):
                right = right[:1]
            after = (
                items[index + 1 + len(right)]
                if index + 1 + len(right) < len(items)
                else None
            )
            item.hugs = (
                _simple(left) and _simple(right) and not isinstance(after, Brackets)
            )


def _kind(group: Brackets, prev) -> str:
    opener = group.open.text
    if any(_is_token(i, "for") for i in group.items) and opener in "[{":
        return "comprehension"  # a list's or a dict's
    called = is_word(prev) and not (isinstance(prev, Tok) and prev.unary)
    if opener == "(":
        return "call" if called else "paren"
    if opener == "[":
        if _is_token(prev, ":"):
            return "shape"
        return "subscript" if called else "list"
    return "brace"


def _elements(items: list, split: bool = True):
    """Split a group's items at its own commas. Returns the elements, whether a
    comma ends the last one (magic, unless the group means something else by it),
    a comment right after the opener, and the comments before the closer."""
    elements: list[list] = [[]]
    opener_comment = None
    for item in items:
        if split and _is_token(item, ","):
            elements.append([])
            continue
        if isinstance(item, Comment) and not item.own_line:
            if len(elements) == 1 and not elements[0] and opener_comment is None:
                opener_comment = item.text
                continue
            if not elements[-1] and len(elements) > 1:
                elements[-2].append(item)  # `a,  # note` belongs to `a`
                continue
        elements[-1].append(item)
    last = elements[-1]
    has_comma = len(elements) > 1 and all(isinstance(i, Comment) for i in last)
    tail: list = []
    if has_comma or all(isinstance(i, Comment) for i in last):
        tail_comments = elements.pop()
    else:  # own-line comments after the last element go before the closer
        cut = len(last)
        while isinstance(last[cut - 1], Comment) and last[cut - 1].own_line:
            cut -= 1
        tail_comments = last[cut:]
        del last[cut:]
    for comment in tail_comments:
        tail += [HARD, comment.text] if comment.own_line else [Suffix(comment.text)]
    return elements, has_comma, opener_comment, tail
