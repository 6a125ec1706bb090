"""Friendly syntax errors: a table of known mistakes replayed with lark's
`match_examples`, and plain wording for every other unexpected token."""

from __future__ import annotations

from lark import Lark
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from ..errors import did_you_mean
from ..source import Source

#: The words a spec's top level starts with, and the terminals lark names them by.
TOP_LEVEL_WORDS = ("block", "model", "builder", "import", "from")

# message -> (hint, small programs that fail in the same parser state)
KNOWN_MISTAKES: dict[str, tuple[str, list[str]]] = {
    "`forward` takes a `=` expression or a `{ ... }` body, not a colon": (
        "write `forward(x) = layer(x)` or `forward(x) { return layer(x) }`",
        ["block A() {\n forward(x): return x\n}", "block A() { forward(x, y): x }"],
    ),
    "conditions in `if` use `==`, not `=`": (
        "write `if a == b { ... }`",
        ["block A(a: int) {\n if a = 1 { }\n}"],
    ),
    "blocks and models use braces, not a colon": (
        "write `block Name(...) { ... }`",
        ["block A():\n", "model A():\n", "model A:\n"],
    ),
    "members are named without `self.`": (
        "archdsl writes `self.` for you: `conv = Conv2d(3, 8, 3)`",
        ["block A() {\n self.conv = 1\n}"],
    ),
}

_TOKEN_WORDS = {
    "_NL": "end of line",
    "$END": "end of file",
    "NAME": "a name",
    "DOTTED": "a dotted path",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": "a string",
    "FSTRING": "an f-string",
    "COMP_OP": "a comparison",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`/`, `//` or `%`",
}


def explain_unexpected(
    source: Source, exc: UnexpectedInput, parser: Lark
) -> tuple[str, str | None]:
    """(message, hint) for a syntax error; `parser` replays the known mistakes."""
    top_level = _unknown_top_level_word(exc)
    if top_level:
        return top_level
    keyword = _keyword_as_name(exc)
    if keyword:
        return keyword
    clause = _else_in_comprehension(exc)
    if clause:
        return clause
    known = _match_known(exc, parser)
    if known:
        return known
    if isinstance(exc, UnexpectedCharacters):
        char = source.text[exc.pos_in_stream : exc.pos_in_stream + 1]
        return f"unexpected character {char!r}", _expected_hint(exc.allowed, parser)
    if isinstance(exc, UnexpectedEOF) or _is_end(exc):
        return "unexpected end of file", "a closing `}`, `)` or `]` may be missing"
    assert isinstance(exc, UnexpectedToken)
    return f"unexpected {_describe_token(exc.token)}", _expected_hint(
        exc.accepts or exc.expected, parser
    )


def _unknown_top_level_word(exc: UnexpectedInput) -> tuple[str, str] | None:
    """A name where a definition must start: `def` from Python, or a misspelt or
    unknown word (`modle`), each said as what it is."""
    if not isinstance(exc, UnexpectedToken) or exc.token.type != "NAME":
        return None
    if not {"BLOCK", "MODEL"} <= set(exc.expected or ()):
        return None
    word = str(exc.token)
    if word == "def":
        return (
            "`def` is Python; blocks are declared with `block`",
            "write `block Name(param: int) { ... }`",
        )
    listed = ", ".join(f"`{w}`" for w in TOP_LEVEL_WORDS)
    hint = did_you_mean(word, TOP_LEVEL_WORDS) or f"a definition starts with {listed}"
    return f"unknown word `{word}` where a definition should start", hint


def _else_in_comprehension(exc: UnexpectedInput) -> tuple[str, str] | None:
    """`[c for c in cs if c else 0]`: an `else` where a comprehension's clauses
    go on (another `for` or `if` was possible), as in Python a syntax error."""
    if not isinstance(exc, UnexpectedToken) or exc.token.type != "ELSE":
        return None
    if not {"FOR", "IF"} <= set(exc.accepts or exc.expected or ()):
        return None
    return (
        "a comprehension's `if` keeps or drops items; it takes no `else`",
        "a value chosen per item goes before `for`: `[a if c else b for c in cs]`",
    )


def _is_end(exc: UnexpectedInput) -> bool:
    return isinstance(exc, UnexpectedToken) and exc.token.type == "$END"


def _keyword_as_name(exc: UnexpectedInput) -> tuple[str, str] | None:
    """A keyword of the language where a name was expected: `forward = fc(x)`."""
    if not isinstance(exc, UnexpectedToken) or "NAME" not in (exc.expected or ()):
        return None
    word = str(exc.token)
    if not word.isidentifier() or exc.token.type != word.upper():
        return None  # not a keyword: `forward` lexes as the terminal FORWARD
    return (
        f"`{word}` is a keyword of the language and cannot name a value",
        f"rename it, e.g. `{word}_out`",
    )


def _match_known(exc: UnexpectedInput, parser: Lark) -> tuple[str, str] | None:
    examples = {
        message: samples for message, (_hint, samples) in KNOWN_MISTAKES.items()
    }
    try:
        message = exc.match_examples(parser.parse, examples, use_accepts=True)
    except Exception:  # a table entry that stopped failing must not hide the real error
        return None
    return (message, KNOWN_MISTAKES[message][0]) if message else None


def _describe_token(token: object) -> str:
    kind = getattr(token, "type", "")
    if kind in ("_NL", "$END"):
        return _TOKEN_WORDS[kind]
    return f"`{token}`"


def _expected_hint(expected: object, parser: Lark) -> str | None:
    words = sorted({_terminal_word(name, parser) for name in (expected or ())})
    if not words:
        return None
    if len(words) > 6:
        words = words[:6] + ["..."]
    return "expected " + ", ".join(words)


def _terminal_word(name: str, parser: Lark) -> str:
    if name in _TOKEN_WORDS:
        return _TOKEN_WORDS[name]
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return name
    return f"`{pattern.value}`" if pattern.type == "str" else name
