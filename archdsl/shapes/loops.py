"""Build-time loops and child-adding calls, evaluated (check/loops.py checks them):
the evaluator of shapes (modules.py) runs `for` bodies once per item and adds the
children `add_module`, `append` and `extend` make, in order, as torch does; it
runs comprehensions' clauses here too, items unpacked as Python unpacks them."""

from __future__ import annotations

from collections import ChainMap
from typing import Any

from .. import ir
from ..ir.targets import UnpackProblem, unpack
from ..ops.shapes import UNKNOWN
from .built import MODULE_TYPES, SeqModule
from .values import truth


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
            env.update(bind_item(evaluator, stmt, item))
        except ValueError:  # in a branch perhaps never taken: not known
            for name in _assigned(stmt.body) | _filled(stmt.body):
                env[name] = UNKNOWN
            return
        evaluator.body(stmt.body, block)


def run_listcomp(evaluator, node: ir.ListComp, env) -> Any:
    """`[c for row in cfg for c in row if c != 0]`, evaluated; UNKNOWN when an
    iterable or a filter is not known here."""
    out: list[Any] = []
    return out if _clauses(evaluator, node, 0, env, out) else UNKNOWN


def _clauses(evaluator, node: ir.ListComp, index: int, env, out: list) -> bool:
    """Run the clauses from `index` on, as Python nests them, appending each item
    that passes every filter; False when something is not known here."""
    if index == len(node.clauses):
        out.append(evaluator.expr(node.elt, env))
        return True
    clause = node.clauses[index]
    if isinstance(clause, ir.CompIf):
        keep = truth(evaluator.expr(clause.cond, env))
        if keep is None:
            return False
        return not keep or _clauses(evaluator, node, index + 1, env, out)
    items = evaluator.expr(clause.iter, env)
    if not isinstance(items, (list, tuple)):
        return False
    for item in items:
        # the loop names over the enclosing ones, without copying them: a copy
        # per item costs the size of the block's names each time
        inner: Any = ChainMap(bind_item(evaluator, clause, item), env)
        if not _clauses(evaluator, node, index + 1, inner, out):
            return False
    return True


def bind_item(evaluator, clause: ir.CompFor | ir.For, item: Any) -> dict[str, Any]:
    """The names one item binds; what Python refuses (`for a, b in [(1, 2, 3)]`,
    unpacking an int) is refused, and what is not known here binds unknowns."""
    try:
        return unpack(clause.targets, item, UNKNOWN)
    except UnpackProblem as problem:
        raise evaluator._refuse(str(problem), clause.iter.span) from None


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
