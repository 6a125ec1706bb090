"""What a check may take from the check before it, for a spec being edited
(archdsl.incremental passes one to `analyze`; a check alone has none).

The caller gives each definition a *content key* before the check: its text and
those of every definition it reaches by name, in source order, with where each
starts from the definition's first line.
A definition's own checks read only those definitions (the one error that reads
them all, a "did you mean" hint, sends the editor's check down the full path
anyway), so while its key is the same, what they found is the same, moved by as many lines
as the definition moved (archdsl/shift.py; what names a line in its text is found
again instead):

- `check_definitions`: the diagnostics of its parameters, body and forward, and
  the DefInfo they filled in (nothing changes it after that pass);
- `check_inplace`: what its forward changes in place, where it found nothing
  wrong (what that pass finds wrong is an error);
- `check_unused`: its warnings;
- shape inference: each block's builds and forwards (shapes/memo.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .. import ir
from ..records import dataclass
from ..shapes.memo import ShapeMemo
from ..shift import Move, Unmovable
from .context import Context, DefInfo


@dataclass
class _Kept:
    key: Hashable
    node: ir.Node  # the definition it was found for
    found: Any  # the diagnostics (and DefInfo), or check_inplace's walk

    def get(self, info: DefInfo, moves: dict[int, Move]) -> bool:
        """Whether what was kept holds for `info`'s definition (its content key
        is the same: its text is), moved to where it is now (not when it names a
        line in its text). It stays kept as moved. `moves`: this update's, by
        distance (shared by the passes, and by the parse, which moved the
        definition's nodes: what was kept points at the new ones)."""
        old, new = self.node, info.node
        if old is new:
            return True
        if old.span is None or new.span is None:
            return False
        lines = new.span.line - old.span.line
        move = moves.get(lines)
        if move is None:
            move = moves[lines] = Move(lines, new.span.source, notes=True)
        if not move.knows(old):  # kept from before the last update
            move.same(old, new)
        try:
            self.found = move(self.found)
        except Unmovable:
            return False
        self.node = new
        return True


class CheckMemo:
    """What is kept, by definition name, with the content key it was found for."""

    def __init__(self) -> None:
        self.keys: dict[str, Hashable] = {}
        self.shapes = ShapeMemo()
        self._definitions: dict[str, _Kept] = {}
        self._unused: dict[str, _Kept] = {}
        self._flows: dict[str, _Kept] = {}
        self.checked = 0  # definitions checked again (not reused) since `start`
        self._moves: dict[int, Move] = {}  # this update's, by distance (_Kept.get)

    def start(self, keys: dict[str, Hashable], moves: dict[int, Move]) -> None:
        """The content key of each definition about to be checked, and what
        moved the definitions that moved, by distance; what was kept for other
        content is dropped."""
        self.keys = keys
        self.checked = 0
        self._moves = moves
        for kept in (self._definitions, self._unused, self._flows):
            for name in [n for n, k in kept.items() if keys.get(n) != k.key]:
                del kept[name]
        self.shapes.start(keys, moves)

    # ---- check_definitions ---------------------------------------------------------

    def reuse_definition(self, ctx: Context, info: DefInfo) -> bool:
        """Put back what checking `info`'s definition found, if it is kept."""
        kept = self._definitions.get(info.name)
        if kept is None or not kept.get(info, self._moves):
            return False
        ctx.defs[info.name], diagnostics = kept.found
        ctx.diagnostics.extend(diagnostics)
        return True

    def keep_definition(self, ctx: Context, info: DefInfo, first: int) -> None:
        """Keep what checking `info` found: the diagnostics from `first` on."""
        self.checked += 1
        key = self.keys.get(info.name)
        if key is not None:
            found = ctx.diagnostics[first:]
            self._definitions[info.name] = _Kept(key, info.node, (info, found))

    # ---- check_unused --------------------------------------------------------------

    def reuse_unused(self, ctx: Context, info: DefInfo) -> bool:
        kept = self._unused.get(info.name)
        if kept is None or not kept.get(info, self._moves):
            return False
        ctx.diagnostics.extend(kept.found)
        return True

    def keep_unused(self, ctx: Context, info: DefInfo, first: int) -> None:
        key = self.keys.get(info.name)
        if key is not None:
            found = ctx.diagnostics[first:]
            self._unused[info.name] = _Kept(key, info.node, found)

    # ---- check_inplace -------------------------------------------------------------

    def reuse_flow(self, info: DefInfo) -> tuple | None:
        kept = self._flows.get(info.name)
        return kept.found if kept is not None and kept.get(info, self._moves) else None

    def keep_flow(self, info: DefInfo, found: tuple) -> None:
        key = self.keys.get(info.name)
        if key is not None:
            self._flows[info.name] = _Kept(key, info.node, found)
