"""A small line writer that tracks indentation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .pretty import Doc, layout


class Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, doc: Doc = "", *, first_group: bool = False) -> None:
        if doc == "":
            self.lines.append("")
            return
        self.lines.extend(layout(doc, self.depth, first_group=first_group))

    def blank(self, count: int = 1) -> None:
        self.lines.extend([""] * count)

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"
