"""f-strings: `f"denselayer{i + 1}"`, `f"conv{k:02d}"`.

The lexer reads an f-string as one token (grammar's FSTRING), so the formatter,
the highlighters and the parser's fast paths see a string like any other. Here its
text is split into literal parts and `{fields}`, each field parsed with the
grammar's own `expr` rule and lowered with spans where it is written: by lark's
expression parser on the lark paths (lower.py), by the fast parser's own on the
fast path (fastlower.py), so a spec with f-strings never needs lark. A field may
end in a format spec from Python's format mini-language (`:02d`, `:>4`, `:.2f`);
conversions (`!r`) and nested fields in a spec are not part of the language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .. import ir
from ..errors import ArchError, Diagnostic
from ..source import Span

_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}

#: Python's format spec mini-language, without nested fields: fill and align, sign,
#: `z`, `#`, `0`, width, grouping, precision, type. The fill may not be a brace, a
#: quote or a backslash (the spec is written back into an f-string); width and
#: precision have at most three digits (a name is not a megabyte long); no `n`,
#: whose text depends on the locale the model is built in.
FORMAT_SPEC = re.compile(
    r"(?:[^{}\\'\"\n]?[<>=^])?[-+ ]?z?#?0?[0-9]{0,3}[,_]?(?:\.[0-9]{1,3})?"
    r"[bcdeEfFgGosxX%]?"
)

#: Parses and lowers a field's expression text written at (line, column) of the
#: source: its IR, or None where the text is not an expression.
LowerField = Callable[[str, int, int], Any]


def fstring(token: str, span: Span, lower_field: LowerField) -> ir.FString:
    """The IR of an f-string token: literal text as string Constants, fields as
    FormattedValues, in order."""
    body = str(token)[2:-1]
    column = span.column + 2  # of the body's first character
    parts: list[ir.Node] = []
    text: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char in "{}" and body[i + 1 : i + 2] == char:  # `{{`, `}}`
            text.append(char)
            i += 2
        elif char == "}":
            raise _error("a single `}` in an f-string", span, column + i, 1,
                         hint="write `}}` for a brace")  # fmt: skip
        elif char == "{":
            if text:
                parts.append(ir.Constant(value="".join(text), span=span))
                text = []
            end = _field_end(body, i + 1, span, column)
            parts.append(_field(body, i + 1, end, span, column, lower_field))
            i = end + 1
        elif char == "\\":
            text.append(_ESCAPES[body[i + 1]])
            i += 2
        else:
            text.append(char)
            i += 1
    if text:
        parts.append(ir.Constant(value="".join(text), span=span))
    return ir.FString(parts=tuple(parts), span=span)


def _field_end(body: str, start: int, span: Span, column: int) -> int:
    """The index of the `}` closing the field that starts at `start`: brackets and
    the strings inside it are skipped."""
    for i, char, depth in _outside_strings(body, start):
        if depth < 0:  # a closing bracket the field did not open
            return i if char == "}" else _unbalanced(span, column + i)
    raise _error("this f-string field has no closing `}`", span, column + start - 1, 1)


def _outside_strings(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(index, character, bracket depth) for each character of `text` from `start`
    that is not inside a string; a closing bracket counts at the depth it returns
    to, so one the text did not open is at depth -1."""
    depth = 0
    inner: str | None = None  # the quote of a string being skipped
    for i in range(start, len(text)):
        char = text[i]
        if inner is not None:
            inner = None if char == inner else inner
            continue
        if char in "'\"":
            inner = char
            continue
        if char in ")]}":
            depth -= 1
        yield i, char, depth
        if char in "([{":
            depth += 1


def _unbalanced(span: Span, column: int) -> int:
    raise _error("an unbalanced bracket in an f-string field", span, column, 1)


def _field(
    body: str, start: int, end: int, span: Span, column: int, lower_field: LowerField
) -> ir.FormattedValue:
    """`{expr}` or `{expr:spec}` between `start` and `end` of the body."""
    field = body[start:end]
    expr_text, spec = _split_spec(field)
    where = Span(
        span.source, span.line, column + start - 1, span.line, column + end + 1
    )
    conversion = re.search(r"!(?!=)", expr_text)  # `!r`, not `!=`
    if conversion is not None:
        raise _error(
            "f-string conversions (`!r`, `!s`) are not supported",
            span,
            column + start + conversion.start(),
            2,
            hint="format the value itself: `{x}`",
        )
    if not expr_text.strip():
        raise ArchError([Diagnostic("an f-string field needs an expression", where)])
    if FORMAT_SPEC.fullmatch(spec) is None:
        spec_column = column + start + len(expr_text) + 1
        raise _error(
            f"`{spec}` is not a format spec archdsl knows",
            span,
            spec_column,
            len(spec),
            hint="Python's format mini-language: `{i:02d}`, `{x:>4}`, `{r:.2f}`",
        )
    value = lower_field(expr_text, span.line, column + start)
    if value is None:
        raise ArchError([Diagnostic("this f-string field is not an expression", where)])
    return ir.FormattedValue(value=value, spec=spec, span=where)


def _split_spec(field: str) -> tuple[str, str]:
    """`i + 1:02d` -> (`i + 1`, `02d`): the first `:` outside brackets and strings
    starts the spec."""
    for i, char, depth in _outside_strings(field):
        if char == ":" and depth == 0:
            return field[:i], field[i + 1 :]
    return field, ""


def _error(
    message: str, span: Span, column: int, width: int, hint: str | None = None
) -> ArchError:
    where = Span(span.source, span.line, column, span.line, column + width)
    return ArchError([Diagnostic(message, where, hint)])
