"""PyTorch spellings that `forward` accepts, lowered to the language's own.

People paste code: `x.flatten(1)`, `x.chunk(2, dim=1)`, `x.view(n, c, h, w)`,
`x.shape`, `torch.cat(...)`, `F.relu(x)`. Each is the operation of the short name
with the tensor as its first argument, so the checks, shape inference and codegen
see one form. Which dotted names are tensors is known from the text alone: the
forward's inputs and the names it assigns (members may not share those names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..ir.walk import assigned
from ..source import Span

#: Prefixes under which torch spells the operations `forward` calls by short name.
OP_PREFIXES = (("torch",), ("F",), ("nn", "functional"), ("torch", "nn", "functional"))

#: Tensor methods that take the new shape as separate arguments (`x.view(n, -1)`);
#: the operations of the same name take it as one list.
SHAPE_VARARGS = frozenset({"view", "reshape", "expand", "permute"})


def method_call(
    value: ir.Node, method: str, args: tuple[Any, ...], span: Span | None
) -> ir.Call:
    """`value.method(args)` as the operation `method(value, args)`."""
    positional = [a for a in args if isinstance(a, ir.Positional)]
    if method in SHAPE_VARARGS and positional and not _one_sequence(args):
        start = positional[0].span or span
        packed = ir.ListExpr(
            items=tuple(a.value for a in positional),
            span=_spanning(start, positional[-1].span),
        )
        rest = tuple(a for a in args if not isinstance(a, ir.Positional))
        args = (ir.Positional(value=packed, span=packed.span), *rest)
    first = ir.Positional(value=value, span=value.span)
    return ir.Call(func=ir.Name(id=method, span=span), args=(first, *args), span=span)


def _one_sequence(args: tuple[Any, ...]) -> bool:
    """`x.view([n, -1])`, `x.view(size(y))`: the shape already as one value."""
    if len(args) != 1 or not isinstance(args[0], ir.Positional):
        return False
    value = args[0].value
    if isinstance(value, (ir.ListExpr, ir.TupleExpr)):
        return True
    return isinstance(value, ir.Call) and _called(value) == "size"


def _called(call: ir.Call) -> str | None:
    return call.func.id if isinstance(call.func, ir.Name) else None


def _spanning(first: Span | None, last: Span | None) -> Span | None:
    if first is None or last is None:
        return first or last
    return Span(first.source, first.line, first.column, last.end_line, last.end_column)


def plain_forward(
    forward: ir.Forward, members: frozenset[str] = frozenset()
) -> ir.Forward:
    """`forward` with method calls, `.shape` and `torch.`/`F.` prefixes lowered;
    `members` are tensors too: parameters and buffers (`class_token.expand(...)`)."""
    values = {i.name for i in forward.inputs} | assigned(forward.body) | members

    def lower(node: ir.Node) -> ir.Node:
        if isinstance(node, ir.Call) and isinstance(node.func, ir.Path):
            return _dotted_call(node, node.func.parts, values)
        if isinstance(node, ir.Path) and node.parts[0] in values:
            if node.parts[1:] == ("shape",):  # `x.shape` is `size(x)`
                tensor = ir.Name(id=node.parts[0], span=node.span)
                return method_call(tensor, "size", (), node.span)
        return node

    return _mapped(forward, lower)  # type: ignore[return-value]


#: What makes a member a tensor forward reads: `Parameter(...)`, `nn.Buffer(...)`.
_HOLDERS = frozenset({"Parameter", "Buffer"})


def plain_state(body: tuple[ir.Node, ...]) -> tuple[ir.Node, ...]:
    """The body, its forward lowered again with its parameter and buffer members
    as tensors (they are members, known from the text: `x = Parameter(...)`)."""
    members = frozenset(
        s.target[0]
        for s in body
        if isinstance(s, ir.Assign) and len(s.target) == 1 and _holds(s.value)
    )
    if not members:
        return body
    return tuple(
        plain_forward(s, members) if isinstance(s, ir.Forward) else s for s in body
    )


def _holds(value: ir.Node) -> bool:
    if not isinstance(value, ir.Call):
        return False
    func = value.func
    if isinstance(func, ir.Name):
        return func.id in _HOLDERS
    return isinstance(func, ir.Path) and func.parts[-1] in _HOLDERS


def _dotted_call(node: ir.Call, parts: tuple[str, ...], values: set[str]) -> ir.Node:
    func = node.func
    if len(parts) == 2 and parts[0] in values:  # `x.flatten(1)`
        tensor = ir.Name(id=parts[0], span=func.span)
        return method_call(tensor, parts[1], node.args, node.span)
    if parts[:-1] in OP_PREFIXES:  # `torch.cat`, `F.relu`: the short name
        name = ir.Name(id=parts[-1], span=func.span)
        return node.model_copy(update={"func": name})
    return node


def _mapped(node: ir.Node, fn: Callable[[ir.Node], ir.Node]) -> ir.Node:
    """`node` rebuilt bottom-up with `fn` applied to every node; unchanged parts are
    shared, and a node none of whose parts changed is not copied."""
    changes: dict[str, Any] = {}
    for field in type(node).model_fields:
        value = getattr(node, field)
        if isinstance(value, ir.Node):
            new = _mapped(value, fn)
            if new is not value:
                changes[field] = new
        elif isinstance(value, tuple) and any(isinstance(v, ir.Node) for v in value):
            items = tuple(
                _mapped(v, fn) if isinstance(v, ir.Node) else v for v in value
            )
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changes[field] = items
    copied = node.model_copy(update=changes) if changes else node
    return fn(copied)
