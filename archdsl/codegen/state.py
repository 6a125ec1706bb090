"""Parameters and buffers (check/state.py) as torchvision writes them:
`nn.Parameter(torch.zeros(1, 1, hidden_dim))`,
`nn.Parameter(torch.empty(1, n, d).normal_(std=0.02))`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..check.state import FILLS, FULL, HOLDERS, SIZED, called
from .pretty import Doc, Group

if TYPE_CHECKING:
    from .exprs import ExprWriter


def state_doc(exprs: ExprWriter, call: ir.Call, atom: int) -> Doc | None:
    """The call's source, or None when it is not a holder, factory or fill (or a
    member of the same name is called)."""
    if isinstance(call.func, ir.Name) and call.func.id in exprs.members:
        return None
    name = called(call)
    if name in HOLDERS:
        return (f"nn.{name}", exprs.arguments(call))
    if name in SIZED or name == FULL:
        exprs.uses.add("torch")
        return (f"torch.{name}", exprs.arguments(call))
    if name in FILLS and call.positional:
        receiver, *rest = call.args
        args = tuple(exprs.argument(a) for a in rest)
        return (exprs._wrap(receiver.value, atom), f".{name}", Group("(", args, ")"))
    return None
