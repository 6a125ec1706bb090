"""Source text and spans: where every piece of the IR came from."""

from __future__ import annotations

from pathlib import Path

from .records import dataclass, field

#: Specs are small; anything larger is refused before it is parsed.
MAX_SPEC_BYTES = 10_000_000


@dataclass(frozen=True, eq=False)
class Source:
    """One `.arch` file (or string) as the compiler saw it."""

    path: str
    text: str
    _lines: list[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lines", text_lines(self.text))

    @classmethod
    def from_file(cls, path: str | Path) -> Source:
        """Read a spec: a regular file (never a device or a FIFO, which could block
        or never end) of at most MAX_SPEC_BYTES."""
        target = Path(path)
        if target.exists() and not target.is_file():
            raise OSError(f"{path} is not a regular file")
        with target.open("rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise OSError(f"{path} is larger than {MAX_SPEC_BYTES // 1_000_000} MB")
        return cls(str(path), raw.decode("utf-8"))

    @property
    def name(self) -> str:
        """The file name alone: what generated headers mention, so output is the same
        whatever directory the build ran from."""
        return Path(self.path).name

    @property
    def sha256(self) -> str:
        import hashlib  # (OpenSSL's library: not for a check)

        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def line(self, lineno: int) -> str:
        """The 1-based line `lineno`, or '' past the end."""
        if 1 <= lineno <= len(self._lines):
            return self._lines[lineno - 1]
        return ""

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset, clamped into the text."""
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, column


@dataclass(frozen=True, init=False)
class Span:
    """A half-open range of characters in a source, with 1-based line and column."""

    source: Source = field(repr=False, compare=False)
    line: int
    column: int
    end_line: int
    end_column: int

    def __init__(
        self, source: Source, line: int, column: int, end_line: int, end_column: int
    ) -> None:
        # a frozen dataclass's own __init__ sets each field through
        # object.__setattr__: a quarter of the lowering of a 10,000-layer spec.
        # Stored one by one, the spans share one table of keys (less memory).
        values = self.__dict__
        values["source"] = source
        values["line"] = line
        values["column"] = column
        values["end_line"] = end_line
        values["end_column"] = end_column

    @property
    def path(self) -> str:
        return self.source.path

    @classmethod
    def at_offsets(cls, source: Source, start: int, end: int) -> Span:
        line, column = source.position(start)
        end_line, end_column = source.position(max(start, end))
        return cls(source, line, column, end_line, end_column)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def text(self) -> str | None:
        """What the span covers, as written, when it lies on one line."""
        if self.line != self.end_line:
            return None
        return self.source.line(self.line)[self.column - 1 : self.end_column - 1]


def text_lines(text: str) -> list[str]:
    """The lines as the parser and spans count them: ended by "\n" (or "\r\n")
    alone. `str.splitlines` also ends a line at a form feed, which the grammar
    reads as a space, and at other separators, so it would shift every line after."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines[-1] == "":  # what a final newline ends is not a line
        lines.pop()
    return lines
