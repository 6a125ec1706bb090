"""`archdsl fmt`: one canonical layout for `.arch` files.

The formatter reads the grammar's own token stream (comments and blank lines kept),
builds only statements, bracket groups and brace bodies from it (tree.py), spaces
and breaks them as ruff lays out Python (layout.py, printed by doc.py: lines of at
most 88 columns, magic trailing commas), and then proves its output: the output
must parse to the same tree as the input, with the same comments in the same
order, or the input is left alone and the error says so."""

from __future__ import annotations

from lark import Token, Tree
from lark.exceptions import UnexpectedInput, UnexpectedToken

from ..errors import ArchError, Diagnostic
from ..source import Source
from ..syntax.parser import parse_tree, parser
from .doc import render
from .layout import Layout, normal_string
from .tokens import Comment, events
from .tree import build

WIDTH = 88  # ruff's and black's default line length


def format_text(text: str, name: str = "<string>") -> str:
    """The formatted text; raises ArchError when `text` has a syntax error."""
    before = parse_tree(Source(name, text))
    stream = events(text + "\n")
    lines = build(stream)
    no_comma: set[int] = set()
    while True:
        try:
            output, commas = render(Layout(no_comma).lines(lines, top=True), WIDTH)
        except Exception:  # a formatter bug must not cost the user a traceback
            raise ArchError([_bug(name)]) from None
        output = output.strip("\n") + "\n" if output.strip() else ""
        if _crlf(text):  # keep Windows line endings, as ruff does
            output = output.replace("\n", "\r\n")
        if output == text:
            return output  # nothing to prove
        after, refused = _reparse(output, commas)
        if refused is None or refused in no_comma:
            break
        no_comma.add(refused)  # the grammar takes no trailing comma there
    _prove(name, before, after, stream, output)
    return output


def _crlf(text: str) -> bool:
    """Whether the text's first line ends in CR LF."""
    end = text.find("\n")
    return end > 0 and text[end - 1] == "\r"


def _reparse(output: str, commas: dict[int, int]) -> tuple[Tree | None, int | None]:
    """The output's parse tree; or the group whose added trailing comma the grammar
    refuses (-1: some other error)."""
    try:
        return parser().parse(output + "\n"), None
    except UnexpectedToken as exc:
        return None, commas.get(exc.token.start_pos or 0, -1)
    except UnexpectedInput:
        return None, -1


def _prove(name: str, before: Tree, after: Tree | None, stream, output: str) -> None:
    """Refuse to return output that parses differently or lost a comment: a bug
    here must never change a user's file."""
    comments_before = [e.text for e in stream if isinstance(e, Comment)]
    comments_after = [e.text for e in events(output + "\n") if isinstance(e, Comment)]
    if after is None or not _same(before, after) or comments_before != comments_after:
        raise ArchError([_bug(name)])


def _bug(name: str) -> Diagnostic:
    return Diagnostic(
        f"{name}: archdsl fmt could not format this file without changing it "
        "(a formatter bug); the file is left as it was",
        hint="please report it with the file attached",
    )


def _same(a: Tree, b: Tree) -> bool:
    """Parse trees equal, positions aside; strings by their quoted text with
    ruff's preferred quotes."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, Tree) and isinstance(y, Tree):
            if x.data != y.data or len(x.children) != len(y.children):
                return False
            stack.extend(zip(x.children, y.children, strict=True))
        elif isinstance(x, Token) and isinstance(y, Token):
            if x.type != y.type or _token_text(x) != _token_text(y):
                return False
        elif x != y:
            return False
    return True


def _token_text(token: Token) -> str:
    return normal_string(str(token)) if token.type == "STRING" else str(token)
