"""Parse and lower in one pass: the LALR parser calls the lowering methods of
`lower._Lower` as it reduces each rule, so no parse tree is built and walked again.

Lark refuses `v_args(meta=True)` methods as parse-time callbacks, because its own
position tracking runs after a rule's callback. Here each reduction works out the
positions itself, from the tokens and lowered children it reduces (the extent lark's
`propagate_positions` gives the same rule), then calls the method exactly as
lark's Transformer would: same children (lark's own child filters drop anonymous
tokens and splice `_rules`), same meta, same bottom-up order. `lower.py` is
untouched: a method added there is picked up by name, like the Transformer does.

Anything out of the ordinary (a syntax error, a literal the lowering refuses, a
spec nested deeper than `MAX_DEPTH`) abandons the pass, and the caller runs the
two-pass path, which reports it exactly as before. So the fast path only ever
returns what the two-pass path returns, and never reports anything itself.
"""

from __future__ import annotations

import itertools
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput
from lark.parse_tree_builder import maybe_create_child_filter
from lark.parsers.lalr_analysis import Shift

from .. import ir
from ..errors import ArchError
from ..source import Source
from .fastlex import Abandon
from .grammar import CHAINS
from .lower import _Lower


class _Meta:
    """The part of lark's Meta the lowering methods read."""

    __slots__ = ("line", "column", "start_pos", "end_line", "end_column", "end_pos")
    empty = False

    def __init__(self, start: tuple[int, int, int], end: tuple[int, int, int]):
        self.line, self.column, self.start_pos = start
        self.end_line, self.end_column, self.end_pos = end


class _EmptyMeta:
    """A rule that matched no text (an empty `args`): no span, as in lark."""

    __slots__ = ()
    empty = True


_EMPTY = _EmptyMeta()


class _Done:
    """A reduced rule on the parser's stack: its lowered value, its own meta, the
    extent it covers with any inlined brackets around it (lark's "container"), and
    its height in the tree lark would have built (for the nesting limit)."""

    __slots__ = ("value", "data", "meta", "start", "end", "height", "run")

    def __init__(self, value, data, meta, start, end, height, run):
        self.value = value
        self.data = data
        self.meta = meta
        self.start = start
        self.end = end
        self.height = height
        self.run = run


class _Inlined:
    """A `_rule` (or a repetition helper): lark splices its children into the rule
    that uses it, reading `.children`."""

    __slots__ = ("children", "start", "end")

    def __init__(self, children, start, end):
        self.children = children
        self.start = start
        self.end = end


def _first(children) -> tuple[int, int, int] | None:
    for child in children:
        if isinstance(child, Token):
            return (child.line, child.column, child.start_pos)
        if child.start is not None:
            return child.start
    return None


def _last(children) -> tuple[int, int, int] | None:
    for child in reversed(children):
        if isinstance(child, Token):
            return (child.end_line, child.end_column, child.end_pos)
        if child.end is not None:
            return child.end
    return None


def _kept(children):
    return children


class _Position:
    """What lark's contextual lexer reads of the parser: the state on top."""

    __slots__ = ("stack",)

    def __init__(self, stack: list) -> None:
        self.stack = stack

    @property
    def position(self) -> int:
        return self.stack[-1]


class Rules:
    """The grammar's rules and lark's LALR table, prepared once per parser: each
    reduce action names its rule by index, so a parse looks nothing up by Rule."""

    def __init__(self, parser: Lark) -> None:
        frontend = parser.parser
        table = frontend.parser._parse_table
        self.frontend = frontend
        self.start = table.start_states["start"]
        self.end = table.end_states["start"]
        self.terminals = [t.name for t in parser.terminals]
        self.rules = []
        index = {}
        for rule in parser.rules:
            options = rule.options
            name = rule.alias or options.template_source or rule.origin.name
            filters = maybe_create_child_filter(
                rule.expansion, options.keep_all_tokens, False, options.empty_indices
            )
            # lark's own filter: drops anonymous tokens, adds None for a missing
            # `[optional]`, splices `_rules`; it hands the kept list on, unchanged
            keeps = filters(_kept) if filters else None
            expand1 = bool(options.expand1 and not rule.alias)
            # `?arith: term`: one symbol passes through unchanged, as lark's
            # ExpandSingleChild returns it (with the same extent)
            passes = expand1 and len(rule.expansion) == 1 and keeps is None
            index[rule] = (len(rule.expansion), rule.origin.name,
                           None if passes else len(self.rules))  # fmt: skip
            self.rules.append((name, keeps, expand1))
        self.states = {
            state: {
                token: (action, arg if action is Shift else index[arg])
                for token, (action, arg) in actions.items()
            }
            for state, actions in table.states.items()
        }

    def callbacks(self, lowerer: _Lower, max_depth: int, max_chain: int) -> list:
        """Per rule, what its reduction does (by index), and last, the methods
        named after terminals that lark's Transformer would call on tokens."""
        tokens = {t: getattr(lowerer, t) for t in self.terminals if hasattr(lowerer, t)}
        return [
            _inline(keeps)
            if name.startswith("_")
            else _reduce(
                name, getattr(lowerer, name, None), keeps, expand1, max_depth, max_chain
            )
            for name, keeps, expand1 in self.rules
        ] + [tokens]

    def parse(self, text: str, callbacks: list) -> Any:
        """lark's LALR loop (lalr_parser_state.feed_token), without the checks a
        parse that is abandoned on any error does not need."""
        states = self.states
        on_token = callbacks[-1]
        stack = [self.start]
        values: list = []
        tokens = self.frontend._make_lexer_thread(text).lex(_Position(stack))
        for token in itertools.chain(tokens, (_END,)):
            kind = token.type
            while True:
                try:
                    action, arg = states[stack[-1]][kind]
                except KeyError:
                    raise Abandon from None  # a syntax error: the tree path says which
                if action is Shift:
                    stack.append(arg)
                    values.append(on_token[kind](token) if kind in on_token else token)
                    break
                size, origin, which = arg
                if which is None:  # a pass-through: same value, next state
                    stack[-1] = states[stack[-2]][origin][1]
                    continue
                if size:
                    children = values[-size:]
                    del stack[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callbacks[which](children))
                stack.append(states[stack[-1]][origin][1])
                if kind == "$END" and stack[-1] == self.end:
                    return values[-1].value
        raise Abandon  # pragma: no cover - $END always ends the loop above


_END = Token("$END", "")


def _inline(keeps):
    def splice(children):
        start, end = _first(children), _last(children)
        kept = keeps(children) if keeps else children
        return _Inlined(kept, start, end)

    return splice


def _reduce(name, method, keeps, expand1, max_depth, max_chain):
    """The callback for one rule: filter its children as lark does, then lower."""
    chain = name in CHAINS

    def lowered(kept):
        height, run = 1, 0
        values = []
        for index, child in enumerate(kept):
            if type(child) is _Done:
                if index == 0 and chain and child.data == name:
                    run = child.run + 1  # the left spine of `a + b + c`
                    height = max(height, child.height)
                else:
                    height = max(height, child.height + 1)
                values.append(child.value)
            else:
                values.append(child)
        if height > max_depth or run >= max_chain:
            raise Abandon  # the two-pass path says where, as it always has
        return values, height, run

    def reduce(children):
        start, end = _first(children), _last(children)
        kept = keeps(children) if keeps else children
        if expand1 and len(kept) == 1:  # `?atom: "(" expr ")"`: expr, within ()
            inner = kept[0]
            if type(inner) is _Done:
                return _Done(inner.value, inner.data, inner.meta, start or inner.start,
                             end or inner.end, inner.height, inner.run)  # fmt: skip
            return inner
        meta = _Meta(start, end) if start is not None else _EMPTY
        values, height, run = lowered(kept)
        if method is None:  # no lowering method: lark's Transformer keeps a Tree
            value = Tree(name, values, meta)
        else:  # as lark calls a `v_args(meta=True)` method (lower.py says why)
            value = method(meta, values)
        return _Done(value, name, meta, start, end, height, run)

    return reduce


def parse_and_lower(
    rules: Rules, source: Source, text: str, max_depth: int, max_chain: int
) -> ir.Program:
    """The IR of `text` in one pass, or Abandon."""
    callbacks = rules.callbacks(_Lower(source), max_depth, max_chain)
    try:
        return rules.parse(text, callbacks)
    except (UnexpectedInput, ArchError, RecursionError) as exc:
        raise Abandon from exc
