"""Instances of one class whose members agree and whose forwards differ, told apart
by their constructor arguments: one block with the difference under an `if`.

torchvision's inverted residuals (MobileNetV2, EfficientNet's MBConv, MNASNet) add
their input back only when `stride == 1 and inp == oup`; fx traces each instance's
own branch, so the instances come as two structures with the same members. They
become one block whose forward is `if stride != 1 or inp != oup { return conv(x) }`
then the other instances' forward (the condition is found as optional.py finds one,
for the instances that take the branch). Only forwards without literals of their own
merge this way, so the members' slots are all the parameters need.
"""

from __future__ import annotations

from .exprs import Branch, literals, replace_literals, shape_key
from .forward import Forward
from .optional import Merged, _condition
from .params import infer_optional


def merge_forwards(kind: type, groups: list[list], arguments_of):
    """(the merged block, the groups left to define one by one) for the first two
    groups with the same members, or None."""
    for i, first in enumerate(groups):
        for j in range(i + 1, len(groups)):
            merged = _merged(kind, first, groups[j], arguments_of)
            if merged is not None:
                rest = [g for k, g in enumerate(groups) if k not in (i, j)]
                return merged, rest
    return None


def _merged(kind: type, a: list, b: list, arguments_of) -> Merged | None:
    x, y = a[0], b[0]
    if any(t.body is not None or t.forward is None or t.problems for t in (x, y)):
        return None
    if _members_key(x) != _members_key(y) or x.forward.inputs != y.forward.inputs:
        return None
    if _forward_slots(x) or _forward_slots(y):
        return None
    for branch, other in ((a, b), (b, a)):  # the instances that take the `if`
        templates = branch + other
        has = [True] * len(branch) + [False] * len(other)
        arguments = [arguments_of(t.module) for t in templates]
        condition = _condition(kind, arguments, has)
        if condition is None:
            continue
        slots = [[lit for _, e in t.members for lit in literals(e)] for t in templates]
        empty = [[] for _ in branch]
        inferred = infer_optional(kind, slots, empty, arguments, condition, has)
        if inferred is None:
            continue
        new = iter(inferred.slots)
        members = [(n, replace_literals(e, new)) for n, e in branch[0].members]
        taken, kept = branch[0].forward, other[0].forward
        guarded = Branch(tuple(taken.statements), tuple(taken.returns), condition[0])
        forward = Forward(
            kept.inputs,
            [((), guarded), *kept.statements],
            kept.returns,
            (*taken.notes, *kept.notes),
        )
        return Merged(inferred, members, forward, templates)
    return None


def _members_key(template) -> list:
    return [(n, shape_key(e)) for n, e in template.members]


def _forward_slots(template) -> list:
    forward = template.forward
    exprs = [e for _, e in forward.statements] + list(forward.returns)
    return [lit for e in exprs for lit in literals(e)]
