"""Forwards that differ between training and eval mode, written with `training`.

torch.fx traces one mode: a module built fresh is in training mode, so a forward
that reads `self.training` (GoogLeNet's auxiliary heads, `F.dropout(x, p,
self.training)`) would be written as it runs in training only. Each module is
traced in both modes. Where the two graphs differ only by flags that are True in
training and False in eval, those flags are `training`; otherwise the training
graph's statements go under `if training { ...; return ... }` (after those both
modes begin with), and the eval graph's after: both modes then compute what the
Python computed.
"""

from __future__ import annotations

from torch import nn

from .exprs import Branch, Name, literals, replace_literals, shape_key
from .forward import Forward, trace


def traced_modes(module: nn.Module):
    """(the training-mode graph, the eval-mode graph or None when both are the
    same code). Raises what fx raises for the training mode; an eval mode that
    cannot be traced is taken to be the same."""
    was = module.training
    try:
        module.train()
        train = trace(module)
        module.eval()
        try:
            evaluated = trace(module)
        except Exception:
            return train, None
    finally:
        module.train(was)
    if train.python_code("self").src == evaluated.python_code("self").src:
        return train, None
    return train, evaluated


def merged(train: Forward, evaluated: Forward, together=None) -> Forward:
    """One forward for both modes (see the module's docstring). `together()` is
    the forward written from both graphs at once, where the eval graph is the
    training graph less some nodes (see training_only), or None."""
    flagged = _flags(train, evaluated)
    if flagged is not None:
        return flagged
    found = together() if together is not None else None
    if found is not None:
        return found
    shared = 0  # the statements both modes begin with are written once, first
    while (
        shared < min(len(train.statements), len(evaluated.statements))
        and train.statements[shared] == evaluated.statements[shared]
    ):
        shared += 1
    branch = Branch(tuple(train.statements[shared:]), tuple(train.returns))
    return Forward(
        evaluated.inputs,
        [*evaluated.statements[:shared], ((), branch), *evaluated.statements[shared:]],
        evaluated.returns,
        (*train.notes, *evaluated.notes),
    )


def _flags(train: Forward, evaluated: Forward) -> Forward | None:
    """`train` with `training` for each literal that is True there and False in
    eval mode, when that is all that differs; None otherwise."""
    if train.inputs != evaluated.inputs:
        return None
    ours, theirs = _parts(train), _parts(evaluated)
    if [t for t, _ in ours] != [t for t, _ in theirs]:
        return None
    if [shape_key(e) for _, e in ours] != [shape_key(e) for _, e in theirs]:
        return None
    new = []
    for (_, a), (_, b) in zip(ours, theirs, strict=True):
        for x, y in zip(literals(a), literals(b), strict=True):
            if type(x.value) is type(y.value) and x.value == y.value:
                new.append(x)
            elif x.value is True and y.value is False:
                new.append(Name("training"))
            else:
                return None
    slots = iter(new)
    statements = [(t, replace_literals(e, slots)) for t, e in train.statements]
    returns = tuple(replace_literals(r, slots) for r in train.returns)
    return Forward(train.inputs, statements, returns, train.notes)


def _parts(forward: Forward) -> list[tuple[tuple[str, ...], object]]:
    return [*forward.statements, *((("<return>",), r) for r in forward.returns)]


def training_only(train, evaluated) -> frozenset | None:
    """The training graph's nodes the eval graph lacks (GoogLeNet's auxiliary
    heads), when every other node is the same in both (by fx's names, which come
    from the code); None otherwise."""
    ours = {node.name: node for node in train.nodes}
    seen = set()
    for node in evaluated.nodes:
        twin = ours.get(node.name)
        if twin is None or twin.op != node.op:
            return None
        if node.op != "output" and (
            twin.target != node.target
            or _named(twin.args) != _named(node.args)
            or _named(twin.kwargs) != _named(node.kwargs)
        ):
            return None
        seen.add(node.name)
    return frozenset(n for n in ours if n not in seen)


def _named(value: object) -> object:
    """`value` with each node by its name (the graphs' nodes are not shared)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_named(v) for v in value)
    if isinstance(value, dict):
        return {k: _named(v) for k, v in value.items()}
    return ("node", value.name) if hasattr(value, "op") else value
