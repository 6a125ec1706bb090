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


# Docs are never changed once made, but not frozen: a frozen dataclass's __init__
# sets each field through object.__setattr__, four times the cost of plain slots,
# and a 10,000-layer spec makes 20,000 groups.
@dataclass(slots=True)
class Group:
    open: str
    items: tuple[Doc, ...]
    close: str
    one_tuple: bool = False  # `(x,)` keeps its comma even when flat
    #: split, one item per line with a trailing comma, even where they would fit
    #: on one (ruff's layout of a tuple on an assignment's right-hand side)
    explode: bool = False


@dataclass(slots=True)
class Split:
    """Operands joined by spaces on one line, or one per line: `a`, `+ b`, `+ c`."""

    parts: tuple[Doc, ...]


Doc = str | Group | Split | tuple  # a tuple is a sequence of docs


def flat(doc: Doc) -> str:
    """The doc on one line. Every generated line passes through here (10,000
    layers make 20,000 lines), so strings, the common leaves, are taken as they
    are, without a call or a generator each."""
    kind = type(doc)
    if kind is str:
        return doc
    if kind is Group:
        inner = ", ".join([i if type(i) is str else flat(i) for i in doc.items])
        return doc.open + inner + ("," if doc.one_tuple else "") + doc.close
    if kind is Split:
        return " ".join([p if type(p) is str else flat(p) for p in doc.parts])
    return "".join([p if type(p) is str else flat(p) for p in doc])


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
    if not inside and splits and _only_text_after(parts, splits[-1]):
        return _right_hand_side(parts, splits[-1], depth)
    groups = [
        i for i, part in enumerate(parts) if isinstance(part, Group) and part.items
    ]
    if not groups:
        return [indent + text]
    at = groups[0] if first_group else _trailing_group(parts, groups, indent)
    group = parts[at]
    assert isinstance(group, Group)
    head = "".join(flat(p) for p in parts[:at]) + group.open
    tail = group.close + "".join(flat(p) for p in parts[at + 1 :])
    return [indent + head, *_body(group, depth + 1), indent + tail]


def _only_text_after(parts: list[Doc], at: int) -> bool:
    return all(isinstance(p, str) for p in parts[at + 1 :])


def _trailing_group(parts: list[Doc], groups: list[int], indent: str) -> int:
    """The bracket to split at: the last one, unless the line up to its opening is
    itself too long; then an earlier one whose opening fits, as ruff omits short
    trailers (`f(...)[0]` splits inside `f(`, not inside `[0]`)."""
    for at in reversed(groups):
        opening = "".join(flat(p) for p in parts[:at]) + parts[at].open
        if len(indent) + len(opening) <= LINE_LENGTH:
            return at
    return groups[-1]


def _right_hand_side(parts: list[Doc], at: int, depth: int) -> list[str]:
    """A statement whose expression is an operator expression (`x = a + b`,
    `return y * (...)`, `if a and b:`). As ruff does, it splits at the expression's
    last bracket when the expression has a single operator, ends in that bracket,
    and the line fits up to its opening; otherwise the whole expression goes in
    parentheses of its own."""
    head, split, tail = parts[:at], parts[at], parts[at + 1 :]
    assert isinstance(split, Split)
    body = _spread(split)
    spread = [*head, *body]
    last = [i for i, p in enumerate(spread) if isinstance(p, Group) and p.items][-1:]
    if len(split.parts) == 2 and last and _brackets_read_well(body, depth):
        opening = "".join(flat(p) for p in spread[: last[0]]) + spread[last[0]].open
        if len(INDENT * depth) + len(opening) <= LINE_LENGTH:
            return layout(tuple(spread + tail), depth)
    prefix = INDENT * depth + "".join(flat(p) for p in head)
    closing = INDENT * depth + ")" + "".join(flat(p) for p in tail)
    return [prefix + "(", *layout(split, depth + 1, inside=True), closing]


def _brackets_read_well(body: list[Doc], depth: int) -> bool:
    """Whether ruff splits an expression of one operator at its brackets rather
    than in parentheses of its own: when it ends in a bracket, or starts with one
    whose closing is followed, up to the next bracket, by what fits on a line."""
    if isinstance(body[-1], Group) and body[-1].items:
        return True
    if not isinstance(body[0], Group):
        return False
    after = ")"
    for part in body[1:]:
        if isinstance(part, Group):
            after += part.open
            break
        after += flat(part)
    return len(INDENT * depth) + len(after) <= LINE_LENGTH


def _spread(split: Split) -> list[Doc]:
    """A split's operands as one sequence, with the spaces between them, and so for
    the splits inside them: what is left to break at are the brackets."""
    out: list[Doc] = []
    for index, operand in enumerate(split.parts):
        if index:
            out.append(" ")
        for part in _parts(operand):
            out.extend(_spread(part) if isinstance(part, Split) else [part])
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
    fits = len(INDENT * depth) + len(one_line) <= LINE_LENGTH
    if fits and not group.one_tuple and not group.explode:
        return [INDENT * depth + one_line]
    if len(group.items) == 1 and not group.one_tuple and not group.explode:
        return layout(group.items[0], depth, inside=True)
    lines: list[str] = []
    for item in group.items:  # the comma counts toward the line's length
        lines.extend(layout((item, ","), depth, inside=True))
    return lines
