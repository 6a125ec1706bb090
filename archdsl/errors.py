"""One error type for every stage, carrying structured diagnostics, and one renderer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .records import dataclass
from .source import Span

Severity = Literal["error", "warning"]

#: Semantic checks collect everything; the rendering is capped so a broken file
#: does not scroll the terminal away (sqlglot's "... and N more").
MAX_RENDERED = 20


@dataclass(frozen=True)
class Note:
    """A place that explains a diagnostic: the call that led into a block."""

    message: str
    span: Span | None = None

    def render(self) -> list[str]:
        head = (
            f"{self.span}: note: {self.message}"
            if self.span
            else f"note: {self.message}"
        )
        return [head, *_excerpt(self.span)]

    def to_json(self) -> dict[str, object]:
        return {"message": self.message, **_position(self.span)}


@dataclass(frozen=True)
class Diagnostic:
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = "error"
    notes: tuple[Note, ...] = ()

    @property
    def location(self) -> str:
        return str(self.span) if self.span else "<unknown>"

    def render(self) -> str:
        head = f"{self.severity}: {self.message}"
        if self.span is not None:
            head = f"{self.location}: {head}"
        lines = [head, *_excerpt(self.span)]
        for note in self.notes:
            lines += note.render()
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            **_position(self.span),
            "notes": [note.to_json() for note in self.notes],
        }


def _position(span: Span | None) -> dict[str, object]:
    return {
        "path": span.path if span else None,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
    }


def _excerpt(span: Span | None) -> list[str]:
    """The source line and a caret run under the span (to its end on that line)."""
    if span is None:
        return []
    text = span.source.line(span.line)
    # a lone carriage return (an old Mac file) ends no line for the parser, but a
    # terminal would go back over the excerpt at it: show the line up to one
    stop = text.find("\r", span.column - 1)
    text = (text if stop < 0 else text[:stop]).expandtabs(1)
    if not text.strip():
        return []
    last = span.end_column if span.end_line == span.line else len(text) + 1
    width = max(1, min(last, len(text) + 1) - span.column)
    gutter = f"{span.line:>4} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * (span.column - 1) + "^" * width
    return [gutter + text, caret]


def render_all(diagnostics: Iterable[Diagnostic], limit: int = MAX_RENDERED) -> str:
    diagnostics = list(diagnostics)
    shown = [d.render() for d in diagnostics[:limit]]
    if len(diagnostics) > limit:
        shown.append(f"... and {len(diagnostics) - limit} more")
    return "\n\n".join(shown)


class ArchError(Exception):
    """Raised by every stage with all the diagnostics it found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(render_all(self.diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A "did you mean" hint for a misspelt name, case-insensitively."""
    import difflib  # only once a name is wrong: not on a clean check's path

    pool = {c.lower(): c for c in candidates}
    matches = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.6)
    return f"did you mean `{pool[matches[0]]}`?" if matches else None
