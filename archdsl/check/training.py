"""`training` in `forward`: nn.Module's flag, True after `model.train()`, False
after `model.eval()`. A forward may branch on it (GoogLeNet's auxiliary heads run
in training only) and may return other values there; what it returns in eval mode
is what callers of the block receive and what shapes are inferred for."""

from __future__ import annotations

from collections.abc import Iterator

from .. import ir
from ..ir.walk import walk_expr


def mentions_training(expr: ir.Node) -> bool:
    return any(isinstance(n, ir.Name) and n.id == "training" for n in walk_expr(expr))


def eval_returns(stmts: tuple[ir.Node, ...]) -> Iterator[ir.FReturn]:
    """The `return`s of a forward body outside branches on `training`."""
    for stmt in stmts:
        if isinstance(stmt, ir.FReturn):
            yield stmt
        elif isinstance(stmt, ir.FIf) and not mentions_training(stmt.cond):
            yield from eval_returns(stmt.then)
            yield from eval_returns(stmt.orelse)
