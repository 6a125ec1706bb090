"""Warnings for what a definition builds or computes and never uses."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..ir.walk import names_read
from .context import Context, DefInfo


def check_unused(ctx: Context, program: ir.Program) -> None:
    """Only for a program without errors: next to a real mistake, "never used" is
    usually its echo (a value unused because the line reading it is wrong)."""
    if ctx.has_errors:
        return
    memo: Any = ctx.memo  # what the check before found (check/memo.py)
    for info in ctx.defs.values():
        if info.forward is None or isinstance(info.node, ir.Builder):
            continue
        if memo is not None and memo.reuse_unused(ctx, info):
            continue
        first = len(ctx.diagnostics)
        _check_definition(ctx, info)
        if memo is not None:
            memo.keep_unused(ctx, info, first)


def _check_definition(ctx: Context, info: DefInfo) -> None:
    """Its inputs, forward values and members never read."""
    assert info.forward is not None
    read = _names_read(info)
    own = any(isinstance(s, ir.Forward) for s in info.node.body)
    if own:  # a base's forward is checked by its own rule (an unused `input`)
        for inp in info.forward.inputs:
            if inp.name not in read:
                ctx.warning(
                    f"input `{inp.name}` is never used",
                    inp.span,
                    hint="remove it, or use it in `forward`",
                )
        _unused_values(ctx, info.forward.body, read)
    _unused_members(ctx, info, read)


def _names_read(info: DefInfo) -> set[str]:
    """Every name an expression of the definition reads (forward and body)."""
    assert info.forward is not None
    return names_read([info.forward, *info.node.body])


def _unused_values(ctx: Context, body: tuple[ir.Node, ...], read: set[str]) -> None:
    for stmt in body:
        if isinstance(stmt, ir.FAssign):
            for target in stmt.targets:
                if target not in read and target != "_":
                    ctx.warning(
                        f"value `{target}` is computed but never used",
                        stmt.span,
                        hint="name it `_` to show it is not needed"
                        if len(stmt.targets) > 1
                        else "remove it, or return it",
                    )
        elif isinstance(stmt, ir.FIf):
            _unused_values(ctx, stmt.then, read)
            _unused_values(ctx, stmt.orelse, read)


def _unused_members(ctx: Context, info: DefInfo, read: set[str]) -> None:
    adopted = set(info.base.tree.root.children) if info.base else set()
    for name, symbol in info.members.items():
        if name in read or name in adopted:
            continue
        ctx.warning(
            f"member `{name}` is never used",
            symbol.span,
            hint="its parameters are still in the state_dict; call it in `forward` "
            "or remove it",
        )
