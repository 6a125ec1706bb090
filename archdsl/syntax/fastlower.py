"""lower.py's lowering as the fast parser (fastparse.py) calls it: a rule's extent
is the indices of its first and last tokens, and a span is worked out from the
scanner's arrays only where a lowering method asks for one (lark's Meta object,
with its four positions, was made for every node). Leaves the spec is made of
(names, integers) are lowered from their token alone, without the Token object
lark would hand to lower.py. An f-string's fields are read by the fast parser
too (`read_field`: fastexpr.read_field), so no f-string needs lark.
tests/test_fastparse.py holds the IR and every span equal to the tree path's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import ir
from ..source import Source, Span
from .lower import _Lower, int_constant

if TYPE_CHECKING:
    from .fastlex import Tokens

#: A rule's extent: the indices of its first and last tokens, or None where it
#: matched no text (an empty `args`), which has no span, as in lark.
Extent = tuple[int, int] | None
#: Parses and lowers an f-string field's text at (line, column) of what the
#: FastLower given lowers (fastexpr.read_field, with the scanner and rules bound).
ReadField = Callable[["FastLower", str, int, int], Any]


class FastLower(_Lower):
    """The lowering of one scanned text (`tokens`), its spans in `source`."""

    def __init__(self, source: Source, tokens: Tokens, read_field: ReadField) -> None:
        super().__init__(source)
        self.read_field = read_field
        #: the parser of this text's f-string fields, made for the first one
        #: (fastexpr.read_field): making one costs more than parsing a field
        self.fields: Any = None
        self.read(tokens)

    def read(self, tokens: Tokens) -> None:
        """Lower from `tokens` from now on (a field parser's next field)."""
        self.tokens = tokens
        # what spans are read from, one attribute away
        self.text, self.lines = tokens.text, tokens.lines
        self.starts, self.ends = tokens.starts, tokens.ends
        self.line_of = tokens.line_of

    def _span(self, meta: Extent) -> Span | None:  # type: ignore[override]
        if meta is None:
            return None
        first, last = meta
        line, end_line = self.line_of[first], self.line_of[last]
        return Span(
            self.source,
            line,
            self.starts[first] - self.lines[line - 1] + 1,
            end_line,
            self.ends[last] - self.lines[end_line - 1] + 1,
        )

    def _sugared(self, meta: Extent) -> bool:  # type: ignore[override]
        """Sugar rewrites only dotted names: are there any? They are DOTTED tokens,
        or inside an f-string's fields (one FSTRING token: `f"{x.shape}"`)."""
        if meta is None:
            return False
        kinds = self.tokens.kinds
        return any(_holds(kinds, kind, meta[0], meta[1] + 1) for kind in _SUGARED)

    def _field(self, text: str, line: int, column: int) -> Any:
        """An f-string field, by the fast parser (Abandon where it gives up)."""
        return self.read_field(self, text, line, column)

    def _leaf(self, i: int) -> tuple[str, Span]:
        """Token i's text and span (a token never spans lines)."""
        start, end, line = self.starts[i], self.ends[i], self.line_of[i]
        column = start - self.lines[line - 1] + 1
        span = Span(self.source, line, column, line, column + end - start)
        return self.text[start:end], span

    # ---- leaves, by token index: lower.py's rule of the same name ----------------

    def leaves(self) -> dict[str, Callable[[int], ir.Node]]:
        """The rules lowered here from a token's index, by name."""
        return {"name": self.name_at, "int_": self.int_at, "dotted": self.dotted_at}

    def name_at(self, i: int) -> ir.Name:
        # _leaf() written out: a third of the leaves of a spec are names
        start, end, line = self.starts[i], self.ends[i], self.line_of[i]
        column = start - self.lines[line - 1] + 1
        span = Span(self.source, line, column, line, column + end - start)
        return ir.Name(id=self.text[start:end], span=span)

    def int_at(self, i: int) -> ir.Constant:
        return int_constant(*self._leaf(i))

    def dotted_at(self, i: int) -> ir.Path:
        text, span = self._leaf(i)
        return ir.Path(parts=tuple(text.split(".")), span=span)


#: The tokens that may hold a dotted name for sugar to rewrite
_SUGARED = ("DOTTED", "FSTRING")


def _holds(kinds: list[str], kind: str, start: int, stop: int) -> bool:
    """Whether kinds[start:stop] holds `kind` (list.index searches in C)."""
    try:
        kinds.index(kind, start, stop)
    except ValueError:
        return False
    return True
