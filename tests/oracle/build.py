"""Build-time statements of a block or model body, run on one instance in the order
written: members and constants (`Assign`), `if`, `for` (a loop variable leaks
as in Python), calls made for their effect (`add_module(name, m)`,
`features.append(m)`, `convs.extend(...)`), `init { ... }` (kept for the end of
the constructor, as torchvision writes it) and `freeze(...)`.
"""

from __future__ import annotations

import builtins
from fnmatch import fnmatchcase
from typing import Any

from torch import nn

from archdsl import ir

from .evaluator import Evaluator, bind_targets


def run_body(oracle: Any, module: nn.Module, stmts, inits: list[ir.Init]) -> None:
    for stmt in stmts:
        if isinstance(stmt, ir.Assign):
            assign(oracle, module, stmt)
        elif isinstance(stmt, ir.Init):
            inits.append(stmt)
        elif isinstance(stmt, ir.If):
            cond = Evaluator(oracle, module._env, None).expr(stmt.cond)
            run_body(oracle, module, stmt.then if cond else stmt.orelse, inits)
        elif isinstance(stmt, ir.For):
            for item in Evaluator(oracle, module._env, None).expr(stmt.iter):
                bind_targets(stmt.targets, item, module._env)
                run_body(oracle, module, stmt.body, inits)
        elif isinstance(stmt, ir.CallStmt):
            call_for_effect(oracle, module, stmt.call)


def assign(oracle: Any, module: nn.Module, stmt: ir.Assign) -> None:
    value = Evaluator(oracle, module._env, None).expr(stmt.value)
    if len(stmt.target) > 1:  # replace a submodule: `net.fc = ...`, `layer4.2.x`
        parent = module.get_submodule(".".join(stmt.target[:-1]))
        setattr(parent, stmt.target[-1], value)
        return
    name = stmt.target[0]
    if isinstance(value, nn.Module):
        module.add_module(name, value)
    elif isinstance(value, (nn.Parameter, nn.Buffer)):
        setattr(module, name, value)  # nn.Module registers it under the name
    module._env[name] = value


def call_for_effect(oracle: Any, module: nn.Module, call: ir.Call) -> None:
    """`add_module(...)` on the instance itself; anything else (`features.append`,
    `features.add_module`) is the method of the member its path names."""
    evaluator = Evaluator(oracle, module._env, None)
    if isinstance(call.func, ir.Name) and call.func.id == "add_module":
        args, kwargs = evaluator.arguments(call)
        module.add_module(*args, **kwargs)
        return
    evaluator.expr(call)


def initialise(oracle: Any, module: nn.Module, init: ir.Init) -> None:
    """`init { ... }`: over the instance's modules in registration order, the
    first rule whose type or path pattern fits applies its calls."""
    for path, child in module.named_modules():
        for rule in init.rules:
            if builtins.any(_fits(t, path, child) for t in rule.targets):
                for action in rule.actions:
                    _init_action(oracle, module, child, action)
                break


def _init_action(oracle: Any, module: nn.Module, child: nn.Module, call) -> None:
    tensor_arg, *rest = call.args
    target = tensor_arg.value
    parts = (target.id,) if isinstance(target, ir.Name) else target.parts
    owner = child.get_submodule(".".join(parts[:-1])) if parts[:-1] else child
    tensor = getattr(owner, parts[-1])
    if tensor is None:  # a layer built with bias=False
        return
    evaluator = Evaluator(oracle, module._env, None)
    args = [evaluator.expr(a.value) for a in rest if not isinstance(a, ir.Keyword)]
    kwargs = {
        a.name: evaluator.expr(a.value) for a in rest if isinstance(a, ir.Keyword)
    }
    getattr(nn.init, call.func.id)(tensor, *args, **kwargs)


def _fits(target: ir.Name | ir.Constant, path: str, module: nn.Module) -> bool:
    """An init rule's target: a path pattern, or a layer or block type."""
    if isinstance(target, ir.Constant):
        return bool(path) and fnmatchcase(path, target.value)
    node = getattr(module, "_node", None)
    if node is not None:  # an instance of one of the spec's blocks
        return node.name == target.id
    return type(module).__name__ == target.id


def freeze(oracle: Any, module: nn.Module, stmts) -> None:
    evaluator = Evaluator(oracle, module._env, None)
    patterns = [
        evaluator.expr(arg.value)
        for stmt in stmts
        if isinstance(stmt, ir.Freeze)
        for arg in stmt.args
    ]
    if not patterns:
        return
    for param_name, param in module.named_parameters():
        if builtins.any(fnmatchcase(param_name, p) for p in patterns):
            param.requires_grad_(False)
