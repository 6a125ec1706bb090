"""Under which build-time conditions a name is defined.

`if bilinear { up = Upsample(...) }` defines `up` only when `bilinear` holds; the
generated constructor then has no `self.up` otherwise, and a use outside the same
condition raises AttributeError (a constant: NameError) when the model is built.
A guard is the conjunction of `if` conditions a statement sits under; a name's
definition is a disjunction of guards (one per branch that defines it). A use is
sound when the guard at the use implies one of the definition's guards: its
conditions include all of that guard's. Conditions are compared as written
(`not c` is the negation of `c`), which is exact for the usual shapes of specs:
the same parameter tested again, or a name defined in both branches."""

from __future__ import annotations

from .. import ir
from ..ir.walk import walk_expr
from ..records import dataclass, field
from .consts import UNKNOWN, const_value


@dataclass(frozen=True)
class Condition:
    """One `if` condition, or its negation (`polarity` False: the `else` branch)."""

    key: str  # the condition's IR without spans: equal conditions, equal keys
    polarity: bool
    text: str = field(compare=False)
    #: what it implies where it holds: the conditions `a and b` is made of
    implies: tuple[Condition, ...] = field(default=(), compare=False)

    def negated(self) -> Condition:
        return Condition(self.key, not self.polarity, self.text)

    def describe(self) -> str:
        return f"`{self.text}`" if self.polarity else f"not `{self.text}`"


Guard = frozenset[Condition]  # a conjunction; empty: always
Guards = tuple[Guard, ...]  # a disjunction of conjunctions

ALWAYS: Guard = frozenset()
EVERYWHERE: Guards = (ALWAYS,)


def condition(cond: ir.Node, polarity: bool = True) -> Condition:
    """The condition an `if` tests, with any leading `not`s folded into polarity."""
    while isinstance(cond, ir.UnaryOp) and cond.op == "not":
        cond, polarity = cond.operand, not polarity
    # repr, like a dump, leaves spans out; it needs no pydantic serializer (whose
    # schemas a cold `archdsl check` would otherwise build just for this key)
    parts: tuple[Condition, ...] = ()
    if polarity and isinstance(cond, ir.BoolOp) and cond.op == "and":
        parts = (condition(cond.left), condition(cond.right))  # `a and b`: both hold
    return Condition(repr(cond), polarity, _text(cond), parts)


def _text(cond: ir.Node) -> str:
    written = cond.span.text() if cond.span else None
    return written if written is not None else "its condition"


def branch_tests(
    cond: ir.Node, known: dict[str, object], fixed: set[str]
) -> tuple[Condition, Guard, Guard]:
    """The condition an `if` tests, and what each branch adds to the guard. A
    condition over constants that no parameter can change (`use_bn = True`) is
    decided here: the branch it takes adds nothing, as it always runs."""
    taken = condition(cond)
    names = {n.id for n in walk_expr(cond) if isinstance(n, ir.Name)}
    value = const_value(cond, known) if names <= fixed else UNKNOWN
    truth = None if value is UNKNOWN else bool(value)  # Python's: `if 1`, `not False`
    then: Guard = ALWAYS if truth is True else frozenset({taken})
    orelse: Guard = ALWAYS if truth is False else frozenset({taken.negated()})
    return taken, then, orelse


def holds(guards: Guards, at: Guard) -> bool:
    """Whether a name defined under `guards` exists wherever `at` holds."""
    if ALWAYS in guards:  # defined outside every `if`: the usual case
        return True
    implied = set(at)
    pending = list(at)
    while pending:  # where `a and b` holds, `a` and `b` hold too
        for part in pending.pop().implies:
            if part not in implied:
                implied.add(part)
                pending.append(part)
    return any(guard <= implied for guard in guards)


def merge(then: Guards, orelse: Guards, taken: Condition) -> Guards:
    """A name's guards after `if taken { ... } else { ... }` defined it under
    `then` in the first branch and `orelse` in the second: both branches under
    the same other conditions make the test itself irrelevant."""
    other = taken.negated()
    result = list(dict.fromkeys((*then, *orelse)))
    for a in then:
        for b in orelse:
            if taken in a and other in b and a - {taken} == b - {other}:
                result.append(a - {taken})
    # a guard implied by a weaker one adds nothing
    weakest = [g for g in result if not any(h < g for h in result)]
    return tuple(dict.fromkeys(weakest))


def describe(guards: Guards) -> str:
    """`bilinear`, or not `bilinear` and `deep`: for messages."""
    parts = [
        " and ".join(c.describe() for c in sorted(guard, key=_order))
        for guard in guards
        if guard
    ]
    return " or ".join(sorted(parts)) if parts else "always"


def _order(cond: Condition) -> tuple[str, bool]:
    return cond.text, not cond.polarity


def missing_where(name: str, guards: Guards, at: Guard) -> tuple[str, str] | None:
    """The error (message, hint) for using `name` where `at` holds, if its
    definition under `guards` may not have run there."""
    if holds(guards, at):
        return None
    return (
        f"`{name}` is defined only when {describe(guards)}",
        "define it in the `else` branch too, or use it only under the same `if`",
    )
