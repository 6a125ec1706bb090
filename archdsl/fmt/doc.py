"""A small Wadler/Prettier document printer, the algorithm ruff's formatter uses:
a group prints flat when it fits in the rest of the line (up to the next place the
line could break), otherwise its line breaks become newlines. A hard break (a
comment's end, a magic trailing comma) breaks every enclosing group.

A document is a str, a list (concatenation) or one of the classes below."""

from __future__ import annotations

from dataclasses import dataclass, field

INDENT = "    "
FLAT, BREAK = 0, 1


@dataclass(eq=False)
class Line:
    """Breaks in break mode; in flat mode `flat` (a space, or nothing)."""

    flat: str = ""
    hard: bool = False


SOFT = Line("")
SPACE = Line(" ")
HARD = Line("", hard=True)


@dataclass(eq=False)
class Group:
    contents: object
    broken: bool = False  # must break: set by propagate()


@dataclass(eq=False)
class Indent:
    contents: object


@dataclass(eq=False)
class IfBreak:
    """`broken` when the enclosing group breaks, else `flat`. `key` names a trailing
    comma the printer adds, so a caller can find where it went."""

    broken: str
    flat: str = ""
    key: int | None = None


@dataclass(eq=False)
class Suffix:
    """Text put at the end of the current line (a trailing comment): printed just
    before the next line break, after whatever else the line gets (a comma)."""

    text: str


@dataclass(eq=False)
class BestOf:
    """The first option whose first line fits; the last option otherwise."""

    options: list = field(default_factory=list)


def propagate(doc) -> bool:
    """Mark every group that holds a hard break (or a broken group) as broken;
    returns whether `doc` holds one."""
    if isinstance(doc, list):
        found = False
        for part in doc:
            found |= propagate(part)
        return found
    if isinstance(doc, Line):
        return doc.hard
    if isinstance(doc, Suffix):
        return True
    if isinstance(doc, Group):
        doc.broken |= propagate(doc.contents)
        return doc.broken
    if isinstance(doc, Indent):
        return propagate(doc.contents)
    if isinstance(doc, BestOf):
        for option in doc.options[1:]:
            propagate(option)
        return propagate(doc.options[0])
    return False


class Printer:
    def __init__(self, width: int) -> None:
        self.width = width
        self.out: list[str] = []
        self.column = 0
        self.suffixes: list[str] = []
        self.commas: dict[int, int] = {}  # output offset of an added comma -> key
        self.length = 0

    def print(self, doc) -> str:
        propagate(doc)
        stack = [(0, BREAK, doc)]
        while stack:
            self._step(stack)
        self._flush()
        return "".join(self.out)

    def _write(self, text: str) -> None:
        self.out.append(text)
        self.column += len(text)
        self.length += len(text)

    def _flush(self) -> None:
        for text in self.suffixes:
            self._write("  " + text)
        self.suffixes.clear()

    def _newline(self, indent: int) -> None:
        self._flush()
        while self.out and self.out[-1].endswith(" "):  # no trailing whitespace
            last = self.out.pop()
            self.length -= len(last)
            self.out.append(last.rstrip(" "))
            self.length += len(self.out[-1])
        self.out.append("\n" + INDENT * indent)
        self.length += 1 + len(INDENT) * indent
        self.column = len(INDENT) * indent

    def _step(self, stack: list) -> None:
        indent, mode, doc = stack.pop()
        if isinstance(doc, str):
            self._write(doc)
        elif isinstance(doc, list):
            stack.extend((indent, mode, part) for part in reversed(doc))
        elif isinstance(doc, Indent):
            stack.append((indent + 1, mode, doc.contents))
        elif isinstance(doc, Group):
            flat = not doc.broken and (
                mode == FLAT
                or fits([(indent, FLAT, doc.contents)], stack, self.width - self.column)
            )
            stack.append((indent, FLAT if flat else BREAK, doc.contents))
        elif isinstance(doc, IfBreak):
            text = doc.broken if mode == BREAK else doc.flat
            if doc.key is not None and mode == BREAK:
                self.commas[self.length] = doc.key
            self._write(text)
        elif isinstance(doc, Line):
            if mode == FLAT and not doc.hard:
                self._write(doc.flat)
            else:
                self._newline(indent)
        elif isinstance(doc, Suffix):
            self.suffixes.append(doc.text)
        elif isinstance(doc, BestOf):
            stack.append((indent, mode, self._choose(doc, indent, mode)))

    def _choose(self, doc: BestOf, indent: int, mode: int):
        if mode == FLAT:
            return doc.options[0]
        room = self.width - self.column
        for option in doc.options[:-1]:
            if fits([(indent, BREAK, option)], [], room):
                return option
        return doc.options[-1]


def fits(next_: list, rest: list, width: int) -> bool:
    """Whether `next_` fits in `width` columns, followed by `rest` up to the first
    place where the line breaks."""
    commands = list(next_)
    rest_index = len(rest)
    while width >= 0:
        if not commands:
            if rest_index == 0:
                return True
            rest_index -= 1
            commands.append(rest[rest_index])
            continue
        indent, mode, doc = commands.pop()
        if isinstance(doc, str):
            width -= len(doc)
        elif isinstance(doc, list):
            commands.extend((indent, mode, part) for part in reversed(doc))
        elif isinstance(doc, Indent):
            commands.append((indent + 1, mode, doc.contents))
        elif isinstance(doc, Group):
            commands.append((indent, BREAK if doc.broken else mode, doc.contents))
        elif isinstance(doc, IfBreak):
            width -= len(doc.broken if mode == BREAK else doc.flat)
        elif isinstance(doc, Line):
            if mode == BREAK or doc.hard:
                return True
            width -= len(doc.flat)
        elif isinstance(doc, BestOf):
            option = doc.options[0] if mode == FLAT else doc.options[-1]
            commands.append((indent, mode, option))
    return False


def render(doc, width: int = 88) -> tuple[str, dict[int, int]]:
    """The text, and where trailing commas were added (offset -> key)."""
    printer = Printer(width)
    text = printer.print(doc)
    return text, printer.commas
