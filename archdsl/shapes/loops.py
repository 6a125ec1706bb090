"""Build-time loops and child-adding calls, evaluated (check/loops.py checks them):
the evaluator of shapes (modules.py) runs `for` bodies once per item and adds the
children `add_module`, `append` and `extend` make, in order, as torch does."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..ops.shapes import UNKNOWN
from .built import MODULE_TYPES, SeqModule


def run_for(evaluator, stmt: ir.For, block) -> None:
    env = block.env
    items = evaluator.expr(stmt.iter, env)
    if not isinstance(items, (list, tuple)):  # known only when the model is built
        for name in _assigned(stmt.body) | _filled(stmt.body):
            env[name] = UNKNOWN  # a container filled here: its children too
        return
    for item in items:
        evaluator._step(1, stmt.span)
        try:
            env.update(evaluator._unpack(stmt, item))
        except ValueError:  # in a branch perhaps never taken: not known
            for name in _assigned(stmt.body) | _filled(stmt.body):
                env[name] = UNKNOWN
            return
        evaluator.body(stmt.body, block)


def run_call(evaluator, stmt: ir.CallStmt, block) -> None:
    call, env = stmt.call, block.env
    args = [evaluator.expr(a.value, env) for a in call.args]
    func = call.func
    if isinstance(func, ir.Name):  # add_module(name, module): a child of the block
        name, module = args
        if isinstance(name, str):
            env[name] = module
            block.members[name] = None
            _placed(module)
        return
    owner = env.get(func.parts[0])
    if not isinstance(owner, SeqModule):
        return
    method = func.parts[1]
    added = (
        [(args[0], args[1])]
        if method == "add_module"
        else [(None, m) for m in (args[0] if method == "extend" else args[:1])]
        if isinstance(args[0], (list, tuple)) or method != "extend"
        else []
    )
    for name, module in added:
        owner.children.append(
            (str(len(owner.children)) if name is None else name, module)
        )
        _placed(module)


def _placed(module: Any) -> None:
    if isinstance(module, MODULE_TYPES) and hasattr(module, "parents"):
        module.parents += 1


def _filled(stmts) -> set[str]:
    """Container members a loop's body adds children to."""
    found: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, ir.CallStmt) and isinstance(stmt.call.func, ir.Path):
            found.add(stmt.call.func.parts[0])
        elif isinstance(stmt, (ir.If, ir.For)):
            inner = (*getattr(stmt, "then", ()), *getattr(stmt, "orelse", ()))
            found |= _filled((*inner, *getattr(stmt, "body", ())))
    return found


def _assigned(stmts) -> set[str]:
    found: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, ir.Assign):
            found.add(stmt.target[0])
        elif isinstance(stmt, (ir.If, ir.For)):
            found |= _assigned(getattr(stmt, "then", ()) + getattr(stmt, "orelse", ()))
            found |= _assigned(getattr(stmt, "body", ()))
    return found
