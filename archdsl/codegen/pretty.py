"""Laying out generated statements the way `ruff format` would.

A statement is a small document: strings, sequences, and bracket groups. A line that
does not fit in 88 columns is split at its last bracket group (its first, for a
`def`), as black and ruff do: the contents go on one indented line if they fit, else
one item per line with a trailing comma, recursively.
"""

from __future__ import annotations

from dataclasses import dataclass

LINE_LENGTH = 88
INDENT = "    "


@dataclass(frozen=True)
class Group:
    open: str
    items: tuple[Doc, ...]
    close: str
    one_tuple: bool = False  # `(x,)` keeps its comma even when flat


Doc = str | Group | tuple  # a tuple is a sequence of docs


def flat(doc: Doc) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, Group):
        inner = ", ".join(flat(item) for item in doc.items)
        return doc.open + inner + ("," if doc.one_tuple else "") + doc.close
    return "".join(flat(part) for part in doc)


def _parts(doc: Doc) -> list[Doc]:
    if isinstance(doc, tuple):
        out: list[Doc] = []
        for part in doc:
            out.extend(_parts(part))
        return out
    return [doc]


def layout(doc: Doc, depth: int, *, first_group: bool = False) -> list[str]:
    """The lines of one statement at indentation `depth` (4 spaces each)."""
    indent = INDENT * depth
    text = flat(doc)
    if len(indent) + len(text) <= LINE_LENGTH:
        return [indent + text]
    parts = _parts(doc)
    groups = [
        i for i, part in enumerate(parts) if isinstance(part, Group) and part.items
    ]
    if not groups:
        return [indent + text]
    at = groups[0] if first_group else groups[-1]
    group = parts[at]
    assert isinstance(group, Group)
    head = "".join(flat(p) for p in parts[:at]) + group.open
    tail = group.close + "".join(flat(p) for p in parts[at + 1 :])
    return [indent + head, *_body(group, depth + 1), indent + tail]


def _body(group: Group, depth: int) -> list[str]:
    one_line = ", ".join(flat(item) for item in group.items)
    if group.one_tuple:
        one_line += ","
    if len(INDENT * depth) + len(one_line) <= LINE_LENGTH and not group.one_tuple:
        return [INDENT * depth + one_line]
    if len(group.items) == 1 and not group.one_tuple:
        return layout(group.items[0], depth)
    lines: list[str] = []
    for item in group.items:
        item_lines = layout(item, depth)
        item_lines[-1] += ","
        lines.extend(item_lines)
    return lines
