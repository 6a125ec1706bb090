"""Laying out generated statements the way `ruff format` would.

A statement is a small document: strings, sequences, bracket groups and splits. A
line that does not fit in 88 columns is split at its last bracket group (its first,
for a `def`), as black and ruff do: the contents go on one indented line if they fit,
else one item per line with a trailing comma, recursively. Inside brackets, a line
that holds an expression with delimiters of its own (`a + b`, `x if c else y`,
`elt for i in items`) is first split at those, one operand per line, as ruff's
delimiter split does; the outermost operator of the expression is the one ruff
splits at, so a `Split` stands for exactly that operator.
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


@dataclass(frozen=True)
class Split:
    """Operands joined by spaces on one line, or one per line: `a`, `+ b`, `+ c`."""

    parts: tuple[Doc, ...]


Doc = str | Group | Split | tuple  # a tuple is a sequence of docs


def flat(doc: Doc) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, Group):
        inner = ", ".join(flat(item) for item in doc.items)
        return doc.open + inner + ("," if doc.one_tuple else "") + doc.close
    if isinstance(doc, Split):
        return " ".join(flat(part) for part in doc.parts)
    return "".join(flat(part) for part in doc)


def _parts(doc: Doc) -> list[Doc]:
    if isinstance(doc, tuple):
        out: list[Doc] = []
        for part in doc:
            out.extend(_parts(part))
        return out
    return [doc]


def layout(
    doc: Doc, depth: int, *, first_group: bool = False, inside: bool = False
) -> list[str]:
    """The lines of one statement at indentation `depth` (4 spaces each); `inside`:
    the line lies inside brackets, where delimiters may split it."""
    indent = INDENT * depth
    text = flat(doc)
    if len(indent) + len(text) <= LINE_LENGTH:
        return [indent + text]
    parts = _parts(doc)
    splits = [i for i, part in enumerate(parts) if isinstance(part, Split)]
    if inside and splits:
        return _split(parts, splits[0], depth)
    if not inside and splits and splits[-1] == len(parts) - 1:
        return _right_hand_side(parts, depth)
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


def _right_hand_side(parts: list[Doc], depth: int) -> list[str]:
    """A statement ending in an operator expression (`x = a + b`, `return y * (...)`).
    As ruff does, it splits at the expression's last bracket when the expression has
    a single operator, ends in that bracket, and the line fits up to its opening;
    otherwise the whole expression goes in parentheses of its own."""
    *head, split = parts
    assert isinstance(split, Split)
    spread = [*head, *_spread(split)]
    last = spread[-1]
    if len(split.parts) == 2 and isinstance(last, Group) and last.items:
        opening = "".join(flat(p) for p in spread[:-1]) + last.open
        if len(INDENT * depth) + len(opening) <= LINE_LENGTH:
            return layout(tuple(spread), depth)
    prefix = INDENT * depth + "".join(flat(p) for p in head)
    return [prefix + "(", *layout(split, depth + 1, inside=True), INDENT * depth + ")"]


def _spread(split: Split) -> list[Doc]:
    """A split's operands as one sequence, with the spaces between them."""
    out: list[Doc] = []
    for index, operand in enumerate(split.parts):
        out.extend([" ", *_parts(operand)] if index else _parts(operand))
    return out


def _split(parts: list[Doc], at: int, depth: int) -> list[str]:
    """One operand of the split per line; what stands before and after the split
    (`*`, `name=`, a closing comma) stays on its first and last line."""
    split = parts[at]
    assert isinstance(split, Split)
    head = "".join(flat(p) for p in parts[:at])
    tail = "".join(flat(p) for p in parts[at + 1 :])
    operands = list(split.parts)
    operands[0] = (head, operands[0])
    operands[-1] = (operands[-1], tail)
    lines: list[str] = []
    for operand in operands:
        lines.extend(layout(operand, depth, inside=True))
    return lines


def _body(group: Group, depth: int) -> list[str]:
    one_line = ", ".join(flat(item) for item in group.items)
    if group.one_tuple:
        one_line += ","
    if len(INDENT * depth) + len(one_line) <= LINE_LENGTH and not group.one_tuple:
        return [INDENT * depth + one_line]
    if len(group.items) == 1 and not group.one_tuple:
        return layout(group.items[0], depth, inside=True)
    lines: list[str] = []
    for item in group.items:
        item_lines = layout(item, depth, inside=True)
        item_lines[-1] += ","
        lines.extend(item_lines)
    return lines
