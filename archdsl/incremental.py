"""Re-checking a spec as it is edited, for editors (the language server).

`Workspace.update(path, text)` returns the diagnostics a full `archdsl check` of
`text` reports, but parses and checks again only what the edit touched:

- The text is cut into top-level definitions: a definition starts on a line that
  begins with a word the grammar accepts first at the top level (`block`, `model`,
  `builder`, `import`, `from`: read from the parser, so new ones count too). Each
  piece is parsed on its own, and kept by its text, so an edit inside one
  definition re-parses that one alone; a piece that moved (lines added or removed
  above it) has its IR moved to its new lines (archdsl/shift.py). The grammar is context-free at the top
  level, so the pieces parse as the whole does; a cut in the wrong place (such a
  word at the start of a line inside a body) leaves a piece that does not parse,
  and then the whole text is parsed as usual.
- Definitions are grouped into components: two definitions are in one component
  when one mentions the other's name (or both have the same name). The checks of a
  component see only its own definitions, so each component's warnings are kept
  until one of its definitions changes (moved with it when it moves as a whole).
- Within a component, what each definition's checks found, and what each block
  built and how its forward ran on shapes, are kept (check/memo.py,
  shapes/memo.py), keyed by the definition's text and those of every definition
  it refers to, with where each starts from its first line (`_content_keys`):
  when one model uses every block, an edit inside one block checks that block
  and the model again (the model's inference enters the edited block again; the
  others' results are reused), and an Enter in the first block does the same,
  the results kept for the definitions below moved down a line with them.
- A spec with errors is checked whole. Errors are not local: one silences the
  passes that run only for a sound program (shapes, in-place changes, unused
  values) everywhere, and "did you mean" hints draw on every definition's name.

Anything the incremental path cannot decide the way a full check would (a syntax
error, an error that stops the checks, imports) is handed to the full pipeline,
whose diagnostics are returned unchanged. tests/test_incremental.py compares the
two on many random edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from . import ir
from .check import Limits, analyze
from .check.memo import CheckMemo
from .errors import ArchError, Diagnostic
from .gc_pause import no_gc_pauses
from .imports import resolve_imports
from .shift import Move, Unmovable
from .source import Source
from .syntax import parse_source
from .syntax.parser import parser


@dataclass
class Update:
    """What one update found: every diagnostic (errors and warnings, in the order
    `diagnostic_order` gives), the program when it parsed, and how much work the
    update did (pieces parsed, components, definitions and block forwards on
    shapes checked again)."""

    diagnostics: list[Diagnostic]
    program: ir.Program | None
    parsed: int = 0
    checked: int = 0
    definitions: int = 0
    forwards: int = 0
    full: bool = False  # the full pipeline decided (see the module docstring)


@dataclass
class _Piece:
    """A top-level definition's text, parsed where it stands."""

    text: str
    line: int  # the line it starts on
    nodes: tuple[ir.Node, ...]  # the definitions (or imports) it holds
    names: frozenset[str]  # every string in its IR: what it may refer to

    @property
    def key(self) -> tuple[str, int]:
        return (self.text, self.line)

    def moved(self, line: int, source: Source, moves: dict[int, Move]) -> _Piece:
        """This piece starting on `line` of `source`: its spans moved there
        (cheaper than parsing it again), by this update's `moves` (by distance:
        what was kept for its definitions is moved by the same, which knows
        their new nodes)."""
        lines = line - self.line
        move = moves.get(lines) or moves.setdefault(
            lines, Move(lines, source, notes=True)
        )
        nodes = move.nodes(self.nodes)
        return _Piece(self.text, line, nodes, self.names)


@dataclass
class _Checked:
    """A component's warnings (it has no errors), the evaluation steps they
    took, and the line its first definition started on then."""

    diagnostics: list[Diagnostic]
    steps: int
    line: int

    def moved(self, line: int, source: Source) -> _Checked | None:
        """These warnings for the component now starting on `line`, or None when
        their text names a line otherwise than as shape inference does (the
        component is checked again)."""
        if line == self.line:
            return self
        try:
            found = Move(line - self.line, source, notes=True)(self.diagnostics)
        except Unmovable:
            return None
        return _Checked(found, self.steps, line)


@dataclass
class _File:
    pieces: dict[str, _Piece] = field(default_factory=dict)  # by text
    checked: dict[frozenset, _Checked] = field(default_factory=dict)
    memo: CheckMemo = field(default_factory=CheckMemo)


class Workspace:
    """Open specs and what is kept of them between edits."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._files: dict[str, _File] = {}

    def close(self, path: str) -> None:
        self._files.pop(path, None)

    def update(self, path: str, text: str) -> Update:
        """The diagnostics of `text`, the new content of the spec at `path`."""
        source = Source(path, text)
        state = self._files.setdefault(path, _File())
        with no_gc_pauses():
            try:
                return self._incremental(source, state)
            except _Full:
                return full_update(source, self.limits)

    def _incremental(self, source: Source, state: _File) -> Update:
        pieces, parsed, moves = self._parse(source, state)
        nodes = [node for piece in pieces for node in piece.nodes]
        if any(isinstance(node, ir.Import) for node in nodes):
            raise _Full  # imported definitions are not kept yet
        found: list[Diagnostic] = []
        checked: dict[frozenset, _Checked] = {}
        steps = rechecked = 0
        links = _links(pieces)
        groups = [(_group_key(group), group) for group in _components(pieces, links)]
        reused = {}
        for key, group in groups:
            kept = state.checked.get(key)
            reused[key] = kept and kept.moved(group[0].line, source)
        memo = state.memo
        again = not all(reused.values())
        if again:  # (text seen before needs no content keys)
            memo.start(_content_keys(pieces, links), moves)
        for key, group in groups:
            result = reused[key]
            if result is None:
                result = self._check(source.path, group, memo)
                rechecked += 1
            checked[key] = result
            found += result.diagnostics
            steps += result.steps
        state.checked = checked
        if steps >= self.limits.max_steps:  # the budget is the whole check's
            raise _Full
        program = ir.Program(path=source.path, definitions=tuple(nodes))
        return Update(
            diagnostic_order(found),
            program,
            parsed,
            rechecked,
            memo.checked if again else 0,
            memo.shapes.ran if again else 0,
        )

    def _parse(self, source: Source, state: _File) -> tuple[list[_Piece], int, dict]:
        """The text's pieces: those whose text was seen before are taken from
        then, moved to where they are now; the others are parsed. And the moves
        made, by distance."""
        pieces, parsed = [], 0
        kept: dict[str, _Piece] = {}
        moves: dict[int, Move] = {}
        for text, line in _cut(source.text):
            piece = state.pieces.get(text)
            if piece is None:
                piece = _parse_piece(source, text, line)
                parsed += 1
            elif piece.line != line:
                piece = piece.moved(line, source, moves)
            kept[text] = piece
            pieces.append(piece)
        state.pieces = kept
        return pieces, parsed, moves

    def _check(self, path: str, group: list[_Piece], memo: CheckMemo) -> _Checked:
        definitions = tuple(node for piece in group for node in piece.nodes)
        program = ir.Program(path=path, definitions=definitions)
        try:
            ctx = analyze(program, self.limits, memo)
        except ArchError:
            raise _Full from None  # an error that stops the checks
        if ctx.has_errors:
            raise _Full
        return _Checked(ctx.diagnostics, ctx.eval_steps, group[0].line)


class _Full(Exception):
    """This update needs the full pipeline."""


def full_update(source: Source, limits: Limits | None = None) -> Update:
    """What `archdsl check` reports for a source: the reference the incremental
    path must agree with."""
    with no_gc_pauses():
        try:
            program = resolve_imports(parse_source(source), source)
        except ArchError as exc:
            return Update(diagnostic_order(exc.diagnostics), None, full=True)
        try:
            ctx = analyze(program, limits or Limits())  # every pass, as check runs them
        except ArchError as exc:
            return Update(diagnostic_order(exc.diagnostics), program, full=True)
    return Update(diagnostic_order(ctx.diagnostics), program, full=True)


def diagnostic_order(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By place, then severity and message: the order an editor lists them in."""

    def key(d: Diagnostic) -> tuple:
        span = d.span
        where = (span.path, span.line, span.column) if span else ("", 0, 0)
        return (*where, d.severity, d.message, d.hint or "")

    return sorted(diagnostics, key=key)


def _cut(text: str) -> list[tuple[str, int]]:
    """The text in pieces, one per top-level definition, with the line each
    starts on (what comes before the first definition goes with it)."""
    starts = [m.start() for m in _definition_start().finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = [*starts[1:], len(text)]
    out, line = [], 1
    for start, end in zip(starts, ends, strict=True):
        piece = text[start:end]
        out.append((piece, line))
        line += piece.count("\n")
    return out


@cache
def _definition_start() -> re.Pattern[str]:
    """A line that starts with a keyword the parser accepts first in a file."""
    lark = parser()
    first = lark.parse_interactive("").accepts()
    words = sorted(
        terminal.pattern.value
        for terminal in lark.terminals
        if terminal.name in first
        and terminal.pattern.type == "str"
        and terminal.pattern.value.isidentifier()
    )
    return re.compile(rf"^(?:{'|'.join(map(re.escape, words))})\b", re.M)


def _parse_piece(source: Source, text: str, line: int) -> _Piece:
    """Parse one piece where it stands: the newlines before it put every position
    on its line in the whole source (the parser reads a run of them as one token).
    Its spans point at the whole source; while the piece is kept, later versions
    of the source have the same text on those lines."""
    padded = Source(source.path, "\n" * (line - 1) + text)
    try:
        program = parse_source(source, read=padded)
    except ArchError:
        raise _Full from None  # the first syntax error of the whole text wins
    nodes = program.definitions
    return _Piece(text, line, nodes, frozenset(_words(nodes)))


def _words(value: object):
    """Every string in a piece's IR (names, paths, strings; not its comments):
    whatever it could refer to another definition by."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, ir.Node):
            stack.extend(v for k, v in value.__dict__.items() if k != "span")
        elif isinstance(value, tuple | list):
            stack.extend(value)


def _links(pieces: list[_Piece]) -> list[set[int]]:
    """For each piece, the pieces it refers to: those defining a name it mentions
    (or the same name as it)."""
    defined: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces):
        for node in piece.nodes:
            defined.setdefault(getattr(node, "name", None), []).append(i)
    links: list[set[int]] = [set() for _ in pieces]
    for i, piece in enumerate(pieces):
        for node in piece.nodes:  # the same name twice: linked both ways
            links[i].update(defined[getattr(node, "name", None)])
        for word in defined.keys() & piece.names:
            links[i].update(defined[word])
        links[i].discard(i)
    return links


def _group_key(group: list[_Piece]) -> frozenset:
    """A component's key: its pieces' texts and where each starts from the first
    (a component moved as a whole keeps its warnings, moved with it)."""
    first = group[0].line
    return frozenset((piece.text, piece.line - first) for piece in group)


def _content_keys(pieces: list[_Piece], links: list[set[int]]) -> dict[str, tuple]:
    """Each definition's content key for what checks keep (check/memo.py): the
    texts of its piece and of every piece it reaches by names, in source order,
    so that the order the checks meet them in is part of it, and where each
    starts from the definition's own first line: what was found for it is moved
    with it when lines are added or removed above it (archdsl/shift.py)."""
    keys: dict[str, tuple] = {}
    for i, piece in enumerate(pieces):
        reached, stack = {i}, [i]
        while stack:
            for j in links[stack.pop()] - reached:
                reached.add(j)
                stack.append(j)
        order = sorted(reached)
        key = tuple((pieces[j].text, pieces[j].line - piece.line) for j in order)
        for node in piece.nodes:
            keys[getattr(node, "name", "")] = key
    return keys


def _components(pieces: list[_Piece], links: list[set[int]]) -> list[list[_Piece]]:
    """The pieces grouped by the names they share, each group in source order."""
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, linked in enumerate(links):
        for j in linked:
            parent[root(i)] = root(j)
    groups: dict[int, list[_Piece]] = {}
    for i, piece in enumerate(pieces):
        groups.setdefault(root(i), []).append(piece)
    return list(groups.values())
