"""Keyword options of a torch layer's forward that are not tensors:
`self_attention(x, x, x, need_weights=False)`, as torchvision's ViT calls it.

They change what the layer computes (MultiheadAttention without weights takes
torch's fused attention path), so a spec copied from PyTorch keeps them. Checked
here, then left out of the tensor checks and of shape inference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from . import types
from .context import Symbol

if TYPE_CHECKING:
    from .exprs import ExprChecker

#: layer -> its forward's non-tensor keyword parameters and their types
FORWARD_OPTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "MultiheadAttention": {
        "need_weights": ("bool",),
        "average_attn_weights": ("bool",),
        "is_causal": ("bool",),
    },
}


def options_of(symbol: Symbol) -> dict[str, tuple[str, ...]]:
    module = symbol.value.module
    if module is None or module.definition is not None or module.tree is not None:
        return {}
    return FORWARD_OPTIONS.get(module.label, {})


def without_options(checker: ExprChecker, symbol: Symbol, call: ir.Call) -> ir.Call:
    """`call` with the layer's forward options checked and taken out."""
    options = options_of(symbol)
    if not options or not call.keywords:
        return call
    kept = []
    for arg in call.args:
        if not isinstance(arg, ir.Keyword) or arg.name not in options:
            kept.append(arg)
            continue
        value = checker.expr(arg.value)
        if not types.accepts(options[arg.name], value.type):
            checker.ctx.error(
                f"`{arg.name}` of `{symbol.name}` must be "
                f"{types.describe_expected(options[arg.name])}, got "
                f"{types.describe(value.type)}",
                arg.value.span,
            )
    return call.model_copy(update={"args": tuple(kept)})


def positional_only(node: ir.Call, args: list) -> list:
    """Shape inference of a layer call: its tensors, which come by position."""
    return [
        a for a, n in zip(args, node.args, strict=True) if not isinstance(n, ir.Keyword)
    ]
