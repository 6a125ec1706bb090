"""One block for instances of a class that differ only by an optional member.

torchvision's `Bottleneck` has a `downsample` in the first block of each stage and
none in the others; its forward applies it to the input when it is there. A person
writes that once, with a build-time condition:

    if stride != 1 or inplanes != planes * 4 {
        downsample = Sequential(...)
    }
    forward(x) {
        identity = x
        if stride != 1 or inplanes != planes * 4 {
            identity = downsample(x)
        }
        ...

Two structures of one class merge this way when the larger one's extra members are
each called once in forward on one value, and its traced graph with those calls
bypassed is the smaller one's graph, node for node: so the spec computes exactly
what each instance did. The condition is read from the constructor arguments
(`condition`); where none tells the instances apart, a boolean parameter does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.fx as fx

from .exprs import (
    BinOp,
    Call,
    ListE,
    Method,
    Name,
    literals,
    replace_literals,
    shape_key,
    transform,
)
from .forward import Forward
from .params import FACTORS, Inferred, infer_optional


@dataclass(frozen=True)
class Guarded:
    """A forward statement or member that exists only when `condition` holds."""

    condition: str
    expr: object


@dataclass
class Merged:
    inferred: Inferred
    members: list[tuple[str, object]]  # optional ones as Guarded
    forward: Forward
    templates: list  # the instances, in the order of inferred.values


def merge(kind: type, groups: list[list], arguments_of) -> Merged | None:
    """The two structures in `groups` as one block, or None where they differ by
    more than optional members."""
    if len(groups) != 2:
        return None
    big, small = sorted(groups, key=lambda g: len(g[0].members), reverse=True)
    b, s = big[0], small[0]
    if any(t.body is not None or t.forward is None or t.problems for t in (b, s)):
        return None
    optional = [n for n, _ in b.members if n not in dict(s.members)]
    common = [n for n, _ in b.members if n in dict(s.members)]
    if not optional or common != [n for n, _ in s.members]:
        return None
    bm, sm = dict(b.members), dict(s.members)
    if any(shape_key(bm[n]) != shape_key(sm[n]) for n in common):
        return None
    if _canonical(b.graph, set(optional)) != _canonical(s.graph, set()):
        return None
    if [lit.hint for lit in _forward_literals(b)] != [
        lit.hint for lit in _forward_literals(s)
    ]:
        return None
    templates = big + small
    has = [True] * len(big) + [False] * len(small)
    arguments = [arguments_of(t.module) for t in templates]
    condition = _condition(kind, arguments, has) or (f"use_{optional[0]}", [])

    def common_slots(t) -> list:
        members = dict(t.members)
        lits = [lit for n in common for lit in literals(members[n])]
        return lits + _forward_literals(t)

    def optional_slots(t) -> list:
        members = dict(t.members)
        return [lit for n in optional for lit in literals(members[n])]

    inferred = infer_optional(
        kind,
        [common_slots(t) for t in templates],
        [optional_slots(t) for t in big],
        arguments,
        condition,
        has,
    )
    if inferred is None:
        return None
    text = condition[0]
    slots = iter(inferred.slots)
    replaced = {n: replace_literals(bm[n], slots) for n in common}
    forward = _forward(b.forward, slots, optional, text)
    if forward is None:
        return None
    replaced |= {n: Guarded(text, replace_literals(bm[n], slots)) for n in optional}
    members = [(n, replaced[n]) for n, _ in b.members]
    return Merged(inferred, members, forward, templates)


def _forward_literals(t) -> list:
    exprs = [e for _, e in t.forward.statements] + list(t.forward.returns)
    return [lit for e in exprs for lit in literals(e)]


def _forward(forward: Forward, slots, optional: list[str], condition: str):
    """The larger structure's forward, each optional member's call taken out of its
    statement: `identity = x` and `if condition { identity = downsample(x) }`."""
    statements = [(t, replace_literals(e, slots)) for t, e in forward.statements]
    returns = tuple(replace_literals(r, slots) for r in forward.returns)
    taken = set(forward.inputs) | {n for t, _ in statements for n in t} | set(optional)
    for member in optional:
        name = _fresh("identity", taken)
        calls: list[Call] = []

        def lift(expr, member=member, name=name, calls=calls):
            if isinstance(expr, Call) and expr.func == member:
                calls.append(expr)
                return Name(name)
            return expr

        new: list = []
        for targets, expr in statements:
            expr = _walk(expr, lift)
            if calls and not new_has(new, name):
                new += _guarded(name, calls[0], condition)
            new.append((targets, expr))
        returns = tuple(_walk(r, lift) for r in returns)
        if calls and not new_has(new, name):
            new += _guarded(name, calls[0], condition)
        if len(calls) != 1 or not all(isinstance(a, Name) for a in calls[0].args):
            return None  # called twice, or on an expression: not the pattern
        statements, returns = _without_copy(new, returns, name)
    return Forward(forward.inputs, statements, returns, forward.notes)


def _without_copy(statements: list, returns: tuple, name: str):
    """`x1 = identity` left where the call was a statement of its own: later reads
    of `x1` read `identity` (x1 is assigned nowhere else)."""
    copies = [
        (k, targets[0])
        for k, (targets, expr) in enumerate(statements)
        if expr == Name(name) and len(targets) == 1
    ]
    if len(copies) != 1:
        return statements, returns
    k, copy = copies[0]
    if sum(copy in targets for targets, _ in statements) != 1:
        return statements, returns

    def read(leaf):
        return Name(name) if leaf == Name(copy) else leaf

    rest = [(t, transform(e, read)) for t, e in statements[k + 1 :]]
    return statements[:k] + rest, tuple(transform(r, read) for r in returns)


def new_has(statements: list, name: str) -> bool:
    return any(targets == (name,) for targets, _ in statements)


def _guarded(name: str, call: Call, condition: str) -> list:
    return [((name,), call.args[0]), ((name,), Guarded(condition, call))]


def _walk(expr, lift):
    """`expr` with member calls replaced (calls are not leaves of exprs.transform)."""
    lifted = lift(expr)
    if lifted is not expr:
        return lifted
    if isinstance(expr, Call):
        return Call(
            expr.func,
            tuple(_walk(a, lift) for a in expr.args),
            tuple((k, _walk(v, lift)) for k, v in expr.kwargs),
        )
    if isinstance(expr, Method):
        return Method(
            _walk(expr.target, lift),
            expr.name,
            tuple(_walk(a, lift) for a in expr.args),
            tuple((k, _walk(v, lift)) for k, v in expr.kwargs),
        )
    if isinstance(expr, BinOp):
        return BinOp(expr.op, _walk(expr.left, lift), _walk(expr.right, lift))
    if isinstance(expr, ListE):
        return ListE(tuple(_walk(i, lift) for i in expr.items))
    return expr


def _fresh(base: str, taken: set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


def _canonical(graph: fx.Graph, bypass: set[str]) -> list | None:
    """`graph` as comparable data, each call of a member in `bypass` replaced by
    its one input; None where such a call takes anything else."""
    index: dict[fx.Node, object] = {}
    rows: list = []
    for node in graph.nodes:
        if node.op == "call_module" and node.target in bypass:
            if (
                len(node.args) != 1
                or node.kwargs
                or not isinstance(node.args[0], fx.Node)
            ):
                return None
            index[node] = index[node.args[0]]
            continue
        args = fx.node.map_arg(node.args, lambda n: ("node", index[n]))
        kwargs = fx.node.map_arg(node.kwargs, lambda n: ("node", index[n]))
        target = node.target if isinstance(node.target, str) else repr(node.target)
        index[node] = len(rows)
        rows.append((node.op, target, repr(args), repr(sorted(kwargs.items()))))
    return rows


# ---- the condition ------------------------------------------------------------------


def _condition(kind: type, arguments: list[dict], has: list[bool]):
    """A disjunction of comparisons of the constructor arguments that holds for
    exactly the instances that have the optional members, as a person writes it:
    every argument away from its default that only those instances have
    (`stride != 1`), then relations between arguments (`inplanes != planes * 4`)
    for the rest. Returns (text, the argument names) or None."""
    from .params import _defaults, _int

    names = [n for n in arguments[0] if all(n in a for a in arguments)]
    defaults = _defaults(kind)
    atoms: list[tuple[str, list[str], list[bool]]] = []
    for name in names:
        values = [a[name] for a in arguments]
        if all(isinstance(v, bool) for v in values):
            atoms.append((name, [name], list(values)))
            atoms.append((f"not {name}", [name], [not v for v in values]))
        elif all(_int(v) for v in values) and _int(defaults.get(name)):
            d = defaults[name]
            atoms.append((f"{name} != {d}", [name], [v != d for v in values]))
    relations = []
    for p in names:
        for q in names:
            ps, qs = [a[p] for a in arguments], [a[q] for a in arguments]
            if p == q or not all(_int(v) for v in ps + qs):
                continue
            for f in (1, *FACTORS):
                right = q if f == 1 else f"{q} * {f}"
                relations.append(
                    (
                        f"{p} != {right}",
                        [p, q],
                        [x != y * f for x, y in zip(ps, qs, strict=True)],
                    )
                )
    for atom in atoms:  # one argument that says it alone
        if atom[2] == has:
            return atom[0], atom[1]
    consistent = [
        a
        for a in atoms + relations
        if any(a[2]) and all(h or not v for h, v in zip(has, a[2], strict=True))
    ]
    chosen = [a for a in consistent if a in atoms]
    covered = [any(a[2][k] for a in chosen) for k in range(len(has))]
    for _ in range(3):
        if covered == has:
            break
        best = max(
            (a for a in consistent if a in relations),
            key=lambda a: _newly(a[2], covered),
            default=None,
        )
        if best is None or not _newly(best[2], covered):
            return None
        chosen.append(best)
        covered = [c or v for c, v in zip(covered, best[2], strict=True)]
    if covered != has or len(chosen) > 3:
        return None
    used = list(dict.fromkeys(n for a in chosen for n in a[1]))
    return " or ".join(a[0] for a in chosen), used


def _newly(holds: list[bool], covered: list[bool]) -> int:
    """How many instances an atom covers that the chosen ones do not."""
    return sum(h and not c for h, c in zip(holds, covered, strict=True))
