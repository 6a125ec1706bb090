"""Tokens -> statements, bracket groups and brace bodies: the only structure the
formatter knows. A statement is a run of items up to a newline or `;` at brace
level; `(`, `[` (and a `{` inside an expression) open groups whose newlines mean
nothing; a `{` that ends a statement header opens a body of statements."""

from __future__ import annotations

from dataclasses import dataclass, field

from .tokens import Comment, Event, Gap, Newline, Tok

OPENERS = {"(": ")", "[": "]", "{": "}"}
#: Tokens after which a `{` opens an expression (a future dict or set literal)
#: rather than a body: `x = {`, `f(a, {`.
_EXPRESSION_BEFORE_BRACE = {"=", ",", ":", "(", "[", "return"}


@dataclass
class Group:
    open: Tok
    items: list  # Tok | Group | Comment
    close: Tok


@dataclass
class Statement:
    items: list = field(default_factory=list)  # Tok | Group | Body | Comment
    blank_before: int = 0


@dataclass
class CommentLine:
    text: str
    blank_before: int = 0


@dataclass
class Body:
    lines: list  # Statement | CommentLine
    comment: str | None = None  # a comment right after the `{`


Line = Statement | CommentLine


class _Reader:
    def __init__(self, stream: list[Event]) -> None:
        self.stream = stream
        self.pos = 0

    def peek(self) -> Event | None:
        return self.stream[self.pos] if self.pos < len(self.stream) else None

    def next(self) -> Event:
        event = self.stream[self.pos]
        self.pos += 1
        return event


def build(stream: list[Event]) -> list[Line]:
    """The file's top-level lines."""
    return _lines(_Reader(stream), None).lines


def _lines(reader: _Reader, closer: str | None) -> Body:
    body = Body([])
    current = Statement()
    blank = 0
    while (event := reader.peek()) is not None:
        if isinstance(event, Tok) and event.text == closer and closer is not None:
            break
        reader.next()
        if isinstance(event, Gap):
            blank = event.blank
        elif isinstance(event, Newline) or (
            isinstance(event, Tok) and event.kind == "SEMICOLON"
        ):
            if _continues(current):
                continue
            current = _end(body, current)
        elif isinstance(event, Comment):
            _comment(body, current, event)
            if event.own_line and not current.items:
                blank = 0
        else:
            if not current.items:
                current.blank_before = blank
                blank = 0
            current.items.append(_item(reader, event, current.items))
    _end(body, current)
    return body


def _continues(statement: Statement) -> bool:
    """`builder b(...) =` may continue on the next line (the grammar's `"=" _NL?`)."""
    tokens = [i for i in statement.items if not isinstance(i, Comment)]
    return bool(tokens) and isinstance(tokens[-1], Tok) and tokens[-1].text == "="


def _end(body: Body, statement: Statement) -> Statement:
    if statement.items:
        body.lines.append(statement)
    return Statement()


def _comment(body: Body, current: Statement, comment: Comment) -> None:
    if current.items:  # at a line's end, or inside a statement that continues
        current.items.append(comment)
    elif comment.own_line:
        body.lines.append(CommentLine(comment.text, comment.blank_before))
    elif body.lines and isinstance(body.lines[-1], Statement):
        body.lines[-1].items.append(comment)  # after a `;`
    elif body.comment is None:
        body.comment = comment.text  # `forward(x) {  # ...`
    else:
        body.lines.append(CommentLine(comment.text))


def _item(reader: _Reader, token: Tok, before: list):
    if token.text not in OPENERS:
        return token
    if token.text == "{" and not _expression_brace(before):
        body = _lines(reader, "}")
        reader.next()  # the `}`
        return body
    return _group(reader, token)


def _expression_brace(before: list) -> bool:
    last = before[-1] if before else None
    return isinstance(last, Tok) and last.text in _EXPRESSION_BEFORE_BRACE


def _group(reader: _Reader, opener: Tok) -> Group:
    items: list = []
    closer = OPENERS[opener.text]
    while True:
        event = reader.next()
        if isinstance(event, Tok) and event.text == closer:
            return Group(opener, items, event)
        if isinstance(event, Tok):
            items.append(_group(reader, event) if event.text in OPENERS else event)
        elif isinstance(event, Comment):
            items.append(event)
