"""Which expression a call passes for a parameter: no diagnostics, no context.

It lives below `calls`, `context` and `limits` so that all three can import it
without a cycle (limits counts parameters from the arguments a call passes)."""

from __future__ import annotations

from .. import ir
from ..ops.signature import Signature


def argument_for(sig: Signature, call: ir.Call, name: str) -> ir.Node | None:
    """The expression `call` passes for parameter `name`, if it passes one (no
    diagnostics: bind() has reported any problem with the call already)."""
    for arg in call.args:
        if isinstance(arg, ir.Keyword) and arg.name == name:
            return arg.value
    positional = [a for a in call.args if isinstance(a, ir.Positional)]
    for param, arg in zip(sig.positional, positional, strict=False):
        if param.name == name:
            return arg.value
    return None


def arguments_by_name(sig: Signature, call: ir.Call) -> dict[str, ir.Node]:
    """Every parameter of `sig` that `call` passes an expression for, as
    argument_for finds each (a keyword wins), in one pass over the call."""
    names = sig.names
    found = {
        param.name: arg.value
        for param, arg in zip(
            sig.positional,
            (a for a in call.args if isinstance(a, ir.Positional)),
            strict=False,
        )
    }
    for arg in call.args:
        if isinstance(arg, ir.Keyword) and arg.name in names:
            found[arg.name] = arg.value
    return found
