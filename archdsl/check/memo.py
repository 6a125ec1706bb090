"""What a check may take from the check before it, for a spec being edited
(archdsl.incremental passes one to `analyze`; a check alone has none).

The caller gives each definition a *content key* before the check: its text and
position and those of every definition it reaches by name, in source order.
A definition's own checks read only those definitions (the one error that reads
them all, a "did you mean" hint, sends the editor's check down the full path
anyway), so while its key is the same, what they found is the same:

- `check_definitions`: the diagnostics of its parameters, body and forward, and
  the DefInfo they filled in (nothing changes it after that pass);
- `check_inplace`: what its forward changes in place, where it found nothing
  wrong (what that pass finds wrong is an error);
- `check_unused`: its warnings;
- shape inference: each block's builds and forwards (shapes/memo.py).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from .. import ir
from ..errors import Diagnostic
from ..shapes.memo import ShapeMemo
from .context import Context, DefInfo


@dataclass
class _Kept:
    key: Hashable
    info: DefInfo
    diagnostics: list[Diagnostic]


class CheckMemo:
    """What is kept, by definition name, with the content key it was found for."""

    def __init__(self) -> None:
        self.keys: dict[str, Hashable] = {}
        self.shapes = ShapeMemo()
        self._definitions: dict[str, _Kept] = {}
        self._unused: dict[str, _Kept] = {}
        self._flows: dict[str, tuple[Hashable, ir.Node, tuple]] = {}
        self.checked = 0  # definitions checked again (not reused) since `start`

    def start(self, keys: dict[str, Hashable]) -> None:
        """The content key of each definition about to be checked; what was kept
        for other content is dropped."""
        self.keys = keys
        self.checked = 0
        for kept in (self._definitions, self._unused):
            for name in [n for n, k in kept.items() if keys.get(n) != k.key]:
                del kept[name]
        for name in [n for n, k in self._flows.items() if keys.get(n) != k[0]]:
            del self._flows[name]
        self.shapes.start(keys)

    # ---- check_definitions ---------------------------------------------------------

    def reuse_definition(self, ctx: Context, info: DefInfo) -> bool:
        """Put back what checking `info`'s definition found, if it is kept."""
        kept = self._definitions.get(info.name)
        if kept is None or kept.info.node is not info.node:
            return False
        ctx.defs[info.name] = kept.info
        ctx.diagnostics.extend(kept.diagnostics)
        return True

    def keep_definition(self, ctx: Context, info: DefInfo, first: int) -> None:
        """Keep what checking `info` found: the diagnostics from `first` on."""
        self.checked += 1
        key = self.keys.get(info.name)
        if key is not None:
            found = ctx.diagnostics[first:]
            self._definitions[info.name] = _Kept(key, info, found)

    # ---- check_unused --------------------------------------------------------------

    def reuse_unused(self, ctx: Context, info: DefInfo) -> bool:
        kept = self._unused.get(info.name)
        if kept is None or kept.info.node is not info.node:
            return False
        ctx.diagnostics.extend(kept.diagnostics)
        return True

    def keep_unused(self, ctx: Context, info: DefInfo, first: int) -> None:
        key = self.keys.get(info.name)
        if key is not None:
            self._unused[info.name] = _Kept(key, info, ctx.diagnostics[first:])

    # ---- check_inplace -------------------------------------------------------------

    def reuse_flow(self, info: DefInfo) -> tuple | None:
        kept = self._flows.get(info.name)
        return kept[2] if kept is not None and kept[1] is info.node else None

    def keep_flow(self, info: DefInfo, found: tuple) -> None:
        key = self.keys.get(info.name)
        if key is not None:
            self._flows[info.name] = (key, info.node, found)
