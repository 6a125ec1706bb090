"""Builders for stages written out in several members: ResNet's `layer1` ... `layer4`
are each `Sequential(Bottleneck(...), Bottleneck(...), ...)`, a first block that
changes width or stride and the same call repeated after it. A person writes that
once, as torchvision's `_make_layer` does:

    builder make_layer(inplanes: int, planes: int, blocks: int, stride: int = 1) =
        Sequential(
            Bottleneck(inplanes, planes, stride=stride),
            *[Bottleneck(planes * 4, planes) for _ in range(blocks - 1)],
        )

and each member calls it: `layer2 = make_layer(256, 128, 4, stride=2)`. The
builder's parameters are inferred (params.py) from the first call's arguments, so
the repeated call's are expressions of them (`planes * 4`); the Sequential indices,
and so the state_dict keys, are those of the calls written out.
"""

from __future__ import annotations

import re

from .exprs import (
    BinOp,
    Call,
    Lit,
    Name,
    Repeat,
    children,
    literals,
    replace_literals,
)
from .params import Param, infer
from .walk import Definition, _call


def stage_builders(definitions: list[Definition], taken: set[str]) -> None:
    """Replace, in each definition, two or more members that are stages of one
    block by calls of a builder defined just before it."""
    for position in range(len(definitions) - 1, -1, -1):
        definition = definitions[position]
        stages = [
            (k, name, expr)
            for k, (name, expr) in enumerate(definition.members)
            if _stage(expr) is not None
        ]
        by_block: dict[str, list] = {}
        for stage in stages:
            by_block.setdefault(_stage(stage[2])[0].func, []).append(stage)
        for block, group in by_block.items():
            if len(group) < 2:
                continue
            builder = _builder(group, definitions, block, taken)
            if builder is not None:
                definitions.insert(position, builder)


def _stage(expr: object):
    """(first call, the repeated call, how many in all) for a Sequential of one
    block's calls whose calls after the first are all equal."""
    if not isinstance(expr, Call) or expr.func != "Sequential" or expr.kwargs:
        return None
    calls = expr.args
    if len(calls) < 2 or not all(isinstance(c, Call) for c in calls):
        return None
    if len({c.func for c in calls}) != 1 or any(c != calls[1] for c in calls[2:]):
        return None
    if not all(_literal(c) for c in calls[:2]):
        return None  # reads its definition's parameters: a builder would not see them
    return calls[0], calls[1], len(calls)


def _literal(expr: object) -> bool:
    if isinstance(expr, Name):
        return False
    return all(_literal(c) for c in children(expr))


def _builder(group: list, definitions: list[Definition], block: str, taken: set[str]):
    block_def = next((d for d in definitions if d.name == block), None)
    if block_def is None or block_def.kind != "block":
        return None
    parts = [_stage(expr) for _, _, expr in group]
    defaults = {p.name: p.default for p in block_def.params if p.has_default}
    arguments = [
        {lit.hint: lit.value for lit in literals(first)} | {"blocks": n}
        for first, _, n in parts
    ]
    if any(
        len(a) != len(list(literals(first))) + 1
        for a, (first, _, _) in zip(arguments, parts, strict=True)
    ):
        return None  # two slots under one name: not a call of named parameters
    slots = [list(literals(first)) + list(literals(rest)) for first, rest, _ in parts]
    inferred = infer(defaults, slots, arguments)
    if any(p.name not in arguments[0] for p in inferred.params):
        return None  # a value of its own: the stages are not one pattern
    params = [p for p in inferred.params if p.name != "blocks"]
    required = [p for p in params if not p.has_default]
    params = required + [Param("blocks", "int")] + params[len(required) :]
    new = iter(inferred.slots)
    first = replace_literals(parts[0][0], new)
    rest = replace_literals(parts[0][1], new)
    count = BinOp("-", Name("blocks"), Lit(1))
    name = _name(group, taken)
    builder = Definition("builder", name, params)
    builder.body = Call("Sequential", (first, Repeat(rest, count)))
    builder.python = block_def.python
    owner = next(d for d in definitions if any(m is group[0][2] for _, m in d.members))
    for (k, member, _), values, (_, _, n) in zip(
        group, inferred.values, parts, strict=True
    ):
        owner.members[k] = (member, _call(name, params, values | {"blocks": n}))
    return builder


def _name(group: list, taken: set[str]) -> str:
    """`make_layer` for layer1 ... layer4, `make_stage` where the names differ."""
    stems = {re.sub(r"\d+$", "", member) for _, member, _ in group}
    stem = stems.pop() if len(stems) == 1 else "stage"
    name, n = f"make_{stem.strip('_') or 'stage'}", 1
    while name in taken:
        n += 1
        name = f"make_{stem}{n}"
    taken.add(name)
    return name
