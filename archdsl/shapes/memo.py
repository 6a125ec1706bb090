"""Shape inference results kept between checks of a spec being edited
(archdsl.incremental): after an edit inside one block, that block is built and
run on shapes again, and so is every call into it, while the other blocks' builds
and forwards are taken from the check before.

An entry is keyed by everything that decides it:

- the definition's *content key*, given by the caller for each definition name:
  its text and those of every definition it refers to, with where each starts
  from its own first line, so an edit anywhere in what a block builds misses its
  entries, and lines added or removed above them all do not;
- its arguments, by value (a block given a module is not kept);
- for a build: counting or building, inside a branch evaluated only to count it
  or not, and how deeply the calls nest here (the nesting limit);
- for a forward: the input tensors (shapes, and where they were made, which hints
  name), the input sizes given, and training or eval mode.

An entry found for a definition that has moved since (lines added or removed above
it and what it reaches) names the old lines, in spans and in text (a tensor's
origin, "`x` (line 12)"): it is moved to the new ones (archdsl/shift.py), with the
DefInfos of this check in place of those it was made with. A forward's key counts
the lines its inputs' origins name from the block's first line, so what it finds
was run on inputs made as far up as now, and every line it names moves as far as
the block. A counting build is not moved: only its counts are read.

Reusing an entry must give what evaluating again would, limits included: an entry
records the steps, modules and parameters it counted, and is taken only when adding
them crosses no limit; otherwise the block is evaluated again and reports the limit
where a full check does. An evaluation that raised is not kept. A forward's entry
replays the diagnostics reported inside it through `report`, so the notes naming
the calls that led there, and the folding of one bad line hit by several calls,
come out as in a full check. Summary rows inside a reused forward are not made:
`archdsl check` does not read them (`summary` and `graph` run without a memo).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..check.context import Context, DefInfo
from ..gc_pause import no_gc_pauses
from ..records import dataclass, replace
from ..shift import LINE_NOTE, Move, Unmovable
from ..source import Source, Span
from . import values
from .built import BlockModule
from .dims import Poly
from .infer import Inference
from .modules import Evaluator
from .tensors import Tensor


@dataclass
class _Built:
    """A block as built for some arguments, and what building it counted."""

    block: BlockModule
    modules: int
    params: int
    steps: int
    #: counting only: the evaluator's own memo entries its build made (the
    #: blocks inside, each built once per evaluator), and those it found made
    #: already (built before it, counted no steps): see MemoEvaluator._fits
    inner: dict[tuple, tuple]
    found: frozenset[tuple]
    line: int  # where the block's definition started when it was built

    def moved(
        self, memo: ShapeMemo, ctx: Context, info: DefInfo, counting: bool
    ) -> _Built | None:
        """This build for `info`'s definition where it is now (None: it cannot
        be moved, and is built again). Every line it names is in what its
        content key covers, so moved as far as the definition."""
        line = _line(info)
        if line == self.line:
            return self
        if line is None or self.line is None:
            return None
        if counting:  # what is kept is counted only: names no place anyone sees
            # (the counting pass reports limits alone, errors, which send the
            # editor's check down the full path)
            return replace(self, line=line)
        move = memo.mover(ctx, line - self.line, info.node.span.source)
        try:
            block, inner = move(self.block), move(self.inner)
        except Unmovable:
            return None
        return replace(self, block=block, inner=inner, line=line)


@dataclass
class _Forward:
    """A block's forward on some inputs: its result, the `report` calls made
    inside (message, span, hint, severity, the frames opened inside), and its steps."""

    result: Any
    reports: list[tuple[str, Span | None, str | None, str, tuple]]
    steps: int
    line: int | None  # where the block's definition started when it ran

    def moved(self, memo: ShapeMemo, ctx: Context, info: DefInfo) -> _Forward | None:
        """This forward for `info`'s block where it is now: its inputs were made
        as many lines further down as the block moved (the key says so), and so
        was everything its result and reports name."""
        line = _line(info)
        if line == self.line:
            return self
        if line is None or self.line is None:
            return None
        move = memo.mover(ctx, line - self.line, info.node.span.source)
        try:
            result, reports = move(self.result), move(self.reports)
        except Unmovable:
            return None
        return replace(self, result=result, reports=reports, line=line)


def _line(info: DefInfo) -> int | None:
    span = info.node.span
    return span.line if span is not None else None


def _from(origin: str, line: int | None) -> str:
    """A tensor's origin for a forward's key: the line it names counted from
    the block's first line, so that moving both keeps the key."""
    if line is None:
        return origin
    return LINE_NOTE.sub(lambda m: f"(line {int(m[1]) - line:+})", origin)


#: Entries kept per definition before those the last check did not use are dropped.
_ROOM = 32


class ShapeMemo:
    """What is kept between checks. `start` gives each check's content keys."""

    def __init__(self) -> None:
        self.keys: dict[str, Hashable] = {}
        self.builds: dict[tuple, _Built] = {}
        self.forwards: dict[tuple, _Forward] = {}
        self.ran = 0  # forwards run again (not reused) since `start`: the work done
        self.used: set[tuple] = set()  # entries taken or made since `start`
        self._moves: dict[int, Move] = {}  # this update's, by distance: `mover`

    def start(self, keys: dict[str, Hashable], moves: dict[int, Move]) -> None:
        """The content key of each definition of the program about to be checked;
        entries for content no longer in it are dropped. So are, once there are
        many more entries than definitions, those the last check did not use
        (a block's forward is kept per input, and inputs change as its callers
        move: `x` made at line 12, then at line 13)."""
        self.keys = keys
        self.ran = 0
        live = set(keys.values())
        many = len(self.builds) + len(self.forwards) > _ROOM * (len(keys) + 1)
        for kept in (self.builds, self.forwards):
            stale = [k for k in kept if k[0] not in live or many and k not in self.used]
            for key in stale:
                del kept[key]
        self.used = set()
        self._moves = moves

    def mover(self, ctx: Context, lines: int, source: Source) -> Move:
        """What moves entries `lines` lines in this update (one per distance,
        shared with the parse and the checks, so that what they share is moved
        once), with the check's DefInfos in place of those an entry was made
        with, where the checks did not move them."""
        move = self._moves.get(lines)
        if move is None:
            move = self._moves[lines] = Move(lines, source, notes=True)
        defs = ctx.defs  # (the move is shared: the last check's DefInfos are not
        # this one's, and one it lacks is copied)
        move.swap = {
            Poly: lambda value: value,  # a symbolic size: names no place
            DefInfo: lambda old: defs.get(old.name),
        }
        return move

    def inference(self, ctx: Context, concrete: bool, sizes: dict[str, int]):
        """An Inference that uses this memo: `infer_model`'s `engine`."""
        return MemoInference(ctx, concrete, sizes, memo=self)

    def evaluator(self, ctx: Context, *, counting: bool = False) -> Evaluator:
        return MemoEvaluator(ctx, self, counting=counting)

    def model(self, ctx: Context, info: DefInfo) -> BlockModule | None:
        """A model built with its defaults through the memo: what
        `argument_diagnostics` reads when inference did not build it (no declared
        input shapes). None when its blocks nest too deeply for Python, where
        `argument_diagnostics` finds nothing either."""
        try:
            with no_gc_pauses():
                return self.evaluator(ctx).instantiate(info, {}, info.node.span)
        except RecursionError:
            return None

    def args_key(self, info: DefInfo, bound: dict[str, Any]) -> tuple | None:
        """(content key, arguments by value), or None when not kept."""
        content = self.keys.get(info.name)
        if content is None or info.base is not None:  # a base is built per call
            return None
        args = values.memo_key(info, bound)
        return None if args is None else (content, args)


class MemoEvaluator(Evaluator):
    """The build-time evaluator, taking whole block builds from the memo."""

    def __init__(self, ctx: Context, memo: ShapeMemo, *, counting: bool = False):
        super().__init__(ctx, counting=counting)
        self.shape_memo = memo
        #: real builds this evaluator made or took: block id -> (block, args key)
        self.made: dict[int, tuple[BlockModule, tuple]] = {}
        self._lent: set[tuple] = set()  # entries handed out here (once each)
        #: counting: for each build being kept, the memo entries it found made
        self._found: list[set[tuple]] = []

    def instantiate(
        self, info: DefInfo, bound: dict[str, Any], span: Span | None
    ) -> BlockModule:
        if not self.top:  # the entry point: its counting pass uses the memo too
            self.top = info.name
            if not self.counting:
                counter = MemoEvaluator(self.ctx, self.shape_memo, counting=True)
                counter.instantiate(info, bound, span)
        own = values.memo_key(info, bound) if self.counting else None
        if own is not None and own in self.memo:  # built here before: no steps
            for found in self._found:
                found.add(own)
            return super().instantiate(info, bound, span)
        args = self.shape_memo.args_key(info, bound)
        if args is None:
            return super().instantiate(info, bound, span)
        key = (*args, self.counting, self.speculative > 0, len(self.calls))
        kept = self.shape_memo.builds.get(key)
        self.shape_memo.used.add(key)
        if kept is not None and key not in self._lent:
            kept = kept.moved(self.shape_memo, self.ctx, info, self.counting)
            if kept is not None:
                self.shape_memo.builds[key] = kept
        if kept is not None and key not in self._lent and self._fits(kept):
            block = self._take(kept, info, args[1], span)
        else:
            block = self._build_kept(key, info, bound, span)
        self._lent.add(key)
        if not self.counting:
            self.made[id(block)] = (block, args)
        return block

    def _fits(self, kept: _Built) -> bool:
        """Adding what the entry counted crosses no limit (else the build runs
        again, and reports where a full check does), and, counting, building it
        here would meet the evaluator's memo as it did: what it built inside is
        not built yet here, what it found built is (a block built once per
        evaluator counts its steps the first time only)."""
        limits = self.limits
        return (
            self.ctx.eval_steps + kept.steps <= limits.max_steps
            and self.built + kept.modules <= limits.max_modules
            and self.params + kept.params <= limits.max_params
            and not any(key in self.memo for key in kept.inner)
            and all(key in self.memo for key in kept.found)
        )

    def _take(
        self, kept: _Built, info: DefInfo, args: tuple, span: Span | None
    ) -> BlockModule:
        self.steps += kept.steps
        self.ctx.eval_steps += kept.steps
        self._add(kept.modules, kept.params, span)
        if self.counting:  # one object for every call, as the evaluator's memo gives
            for found in self._found:
                found.update(kept.found)
            self.memo.update(kept.inner)
            self.memo[args] = (kept.block, kept.modules, kept.params)
            return kept.block
        # a new module placed in this model; what it holds is shared, unchanged
        return replace(kept.block, info=info, span=span, parents=0, cache={})

    def _build_kept(self, key: tuple, info, bound, span) -> BlockModule:
        before = (self.built, self.params, self.steps, set(self.memo))
        found: set[tuple] = set()
        self._found.append(found)
        try:
            block = super().instantiate(info, bound, span)
        finally:
            self._found.pop()
        for outer in self._found:
            outer |= found
        inner = {k: v for k, v in self.memo.items() if k not in before[3]}
        self.shape_memo.builds[key] = _Built(
            block,
            self.built - before[0],
            self.params - before[1],
            self.steps - before[2],
            inner,
            frozenset(found - inner.keys()),
            _line(info),
        )
        return block


class MemoInference(Inference):
    """Shape inference taking block forwards from the memo."""

    def __init__(self, ctx: Context, concrete: bool, sizes: dict[str, int], *,
                 memo: ShapeMemo) -> None:  # fmt: skip
        super().__init__(ctx, concrete, sizes)
        self.evaluator: MemoEvaluator = memo.evaluator(ctx)
        self.shape_memo = memo
        #: forwards being recorded: (len(frames) when entered, their report calls)
        self._logs: list[tuple[int, list]] = []

    def report(self, message: str, span: Span | None, hint: str | None,
               severity: str = "error") -> None:  # fmt: skip
        for depth, log in self._logs:
            inner = tuple(self.frames[depth:])
            log.append((message, self._report_at or span, hint, severity, inner))
        super().report(message, span, hint, severity)

    def forward(self, block: BlockModule, inputs: list[Tensor], path: str) -> Any:
        key = self._key(block, inputs)
        if key is None:
            return super().forward(block, inputs, path)
        kept = self.shape_memo.forwards.get(key)
        self.shape_memo.used.add(key)
        limit = self.ctx.limits.max_steps
        if kept is not None:
            kept = kept.moved(self.shape_memo, self.ctx, block.info)
            if kept is not None:
                self.shape_memo.forwards[key] = kept
        if kept is not None and self.ctx.eval_steps + kept.steps <= limit:
            return self._replay(kept)
        log: list = []
        self.shape_memo.ran += 1
        self._logs.append((len(self.frames), log))
        before = self.ctx.eval_steps
        try:
            result = super().forward(block, inputs, path)
        finally:
            self._logs.pop()
        self.shape_memo.forwards[key] = _Forward(
            result, log, self.ctx.eval_steps - before, _line(block.info)
        )
        return result

    def _replay(self, kept: _Forward) -> Any:
        self.evaluator.steps += kept.steps
        self.ctx.eval_steps += kept.steps
        outer = self.frames
        try:
            for message, span, hint, severity, inner in kept.reports:
                self.frames = [*outer, *inner]
                self.report(message, span, hint, severity)
        finally:
            self.frames = outer
        return kept.result

    def _key(self, block: BlockModule, inputs: list[Tensor]) -> tuple | None:
        made = self.evaluator.made.get(id(block))
        if made is None or made[0] is not block or self._report_at is not None:
            return None
        line = _line(block.info)
        tensors = tuple((t.dims, _from(t.origin, line), t.cause) for t in inputs)
        sizes = tuple(sorted(self.sizes.items()))
        key = (*made[1], tensors, self.concrete, sizes, self.training_mode)
        try:
            hash(key)
        except TypeError:  # a size that is not a value (never expected): not kept
            return None
        return key
