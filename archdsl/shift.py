"""Moving what was found for a definition to where the definition is now.

An editor's re-check (archdsl.incremental) keeps what it parsed and checked for a
definition by the definition's text, not by its place: pressing Enter above a
definition moves it one line down without changing what it means. What is kept
names places (spans in the IR, in diagnostics and their notes, in what the checks
learned), so before it is reused it is copied with every span moved by the same
number of lines, into the new source text.

The copy is structural: spans, IR nodes, dataclasses (diagnostics, notes, DefInfo,
symbols) and containers are rebuilt, anything else is shared. Text that names a
line ("`x` (line 12)") cannot be moved this way, so a value holding such text is
not moved at all (`Unmovable`): the caller parses or checks the definition again,
as a full check would. One such text is moved: shape inference's "(line 12)"
(`LINE_NOTE`), which names where every tensor was made, when the caller asks
(`notes=True`): archdsl.incremental does, since what it moves was found for
definitions whose content keys say that every definition they reach moved as far,
and a kept forward's key says so of its inputs' origins (shapes/memo.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from . import ir, records
from .source import Source, Span

#: Text that names a line of the spec: it would be wrong once the spec moves.
_NAMES_A_LINE = re.compile(r"\bline \d")

#: How shape inference names where a tensor was made: "`conv(x)` (line 12)"
#: (shapes/tensors.py's `origin`, and the calls that led somewhere).
LINE_NOTE = re.compile(r"\(line (\d+)\)")

#: Values shared as they are: they hold no place.
_PLAIN = frozenset({int, float, complex, bool, type(None), bytes, range})


#: Field annotations that never hold a place (a node, a span).
_PLAIN_FIELDS = frozenset({"str", "int", "float", "bool", "None", "tuple[str, ...]"})


@cache
def _placed_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class but its span that may hold a place: all but
    those whose annotation is plainly a value (as ir/walk.py tells them)."""
    hints: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        hints.update(klass.__dict__.get("__annotations__", {}))

    def plain(annotation: object) -> bool:
        parts = str(annotation).split("|") if isinstance(annotation, str) else ["?"]
        return all(p.strip() in _PLAIN_FIELDS or p.strip().startswith("Literal[")
                   for p in parts)  # fmt: skip

    return tuple(
        name
        for name in cls.model_fields  # type: ignore[attr-defined]
        if name != "span" and not plain(hints.get(name))
    )


class Unmovable(Exception):
    """A kept value names a line in its text."""


class Move:
    """Copies values with their spans `lines` lines further down (up when
    negative), pointing into `source`. Each value is copied once (shared parts
    stay shared); `same` says which copy an old node already has (the node now in
    the program), so that what a check kept points at the program's own nodes;
    `swap` gives, by type, the value now in place of an old one (what the checks
    learned about a definition: the DefInfo this check has), or None to copy it."""

    def __init__(
        self,
        lines: int,
        source: Source,
        swap: dict[type, Callable[[Any], Any]] | None = None,
        *,
        notes: bool = False,
    ) -> None:
        self.lines = lines
        self.source = source
        self.swap = swap or {}
        self.notes = notes
        self._copies: dict[int, Any] = {}
        self._keep: list[Any] = []  # the originals, so that their ids stay theirs

    def knows(self, value: Any) -> bool:
        """Whether `value` was moved already (its copy is known)."""
        return id(value) in self._copies

    def same(self, old: ir.Node, new: ir.Node) -> None:
        """`new` is `old` moved (equal text, `lines` further down): walk both
        trees and take `new`'s nodes as the copies of `old`'s."""
        stack = [(old, new)]
        while stack:
            a, b = stack.pop()
            if isinstance(a, ir.Node):
                self._copies[id(a)] = b
                self._keep.append(a)
                for key, value in a.__dict__.items():
                    stack.append((value, b.__dict__[key]))
            elif isinstance(a, tuple) and len(a) == len(b):
                stack.extend(zip(a, b, strict=True))

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is str:
            return self._text(value) if "line " in value else value
        if kind is Span:  # the most common value, and never shared but by nodes
            return Span(
                self.source,
                value.line + self.lines,
                value.column,
                value.end_line + self.lines,
                value.end_column,
            )
        copied = self._copies.get(id(value))
        if copied is not None:
            return copied
        swap = self.swap.get(kind)
        copied = swap(value) if swap is not None else None
        if copied is None:
            copied = self._copy(value)
        self._copies[id(value)] = copied
        self._keep.append(value)
        return copied

    def _text(self, text: str) -> str:
        if self.notes:
            rest = LINE_NOTE.sub("", text)
            text = LINE_NOTE.sub(lambda m: f"(line {int(m[1]) + self.lines})", text)
        else:
            rest = text
        if _NAMES_A_LINE.search(rest):
            raise Unmovable(text)
        return text

    def nodes(self, nodes: tuple[ir.Node, ...]) -> tuple[ir.Node, ...]:
        """Parsed IR moved: its nodes, tuples, spans and constants only (a faster
        walk than __call__'s, for what an edit moves most)."""
        return tuple(map(self._node, nodes))

    def _node(self, node: ir.Node) -> ir.Node:
        fields = node.__dict__.copy()
        span = fields["span"]
        if span is not None:
            fields["span"] = Span(
                self.source,
                span.line + self.lines,
                span.column,
                span.end_line + self.lines,
                span.end_column,
            )
        for key in _placed_fields(type(node)):
            value = fields[key]
            if type(value) is tuple:
                if value:
                    fields[key] = tuple(
                        self._node(v) if isinstance(v, ir.Node) else self(v)
                        for v in value
                    )
            elif isinstance(value, ir.Node):
                fields[key] = self._node(value)
            elif value is not None:
                fields[key] = self(value)
        copied = object.__new__(type(node))
        object.__setattr__(copied, "__dict__", fields)
        self._copies[id(node)] = copied  # for what checks kept (see `same`)
        self._keep.append(node)
        return copied

    def _copy(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return tuple(self(v) for v in value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, set | frozenset):
            return type(value)(self(v) for v in value)
        if (
            isinstance(value, ir.Node)
            or records.is_dataclass(value)  # the compiler's own (archdsl/records.py)
            or dataclasses.is_dataclass(value)
        ):
            return self._fields(value)
        if callable(value):  # a function or class kept in a table: no place
            return value
        raise Unmovable(type(value).__name__)  # what this module does not know

    def _fields(self, value: Any) -> Any:
        fields = getattr(value, "__dict__", None)
        if fields is None:  # slots: not expected in what is kept
            raise Unmovable(type(value).__name__)
        copied = object.__new__(type(value))
        # registered before the fields are, so that a cycle meets the copy
        self._copies[id(value)] = copied
        try:
            moved = {k: self(v) for k, v in fields.items()}
        except Unmovable:
            del self._copies[id(value)]  # not half a copy for the next value
            raise
        object.__setattr__(copied, "__dict__", moved)
        return copied
