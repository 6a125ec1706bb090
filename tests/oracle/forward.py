"""`forward`, walked statement by statement over named values: assignments (one
target or several, unpacked as Python does), `return` of one value or a tuple,
build-time `if`s, loops over a container's modules or a range (run as loops, the
loop variable bound like any value), and calls made for their effect
(`features.append(y)`).
"""

from __future__ import annotations

from typing import Any

from torch import nn

from archdsl import ir

from .evaluator import Evaluator, bind_targets
from .torch_ops import OracleError


def run_forward(oracle: Any, module: nn.Module, forward: ir.Forward, inputs,
                named: dict[str, Any]) -> Any:  # fmt: skip
    names = [i.name for i in forward.inputs]
    values = {**dict(zip(names, inputs, strict=False)), **named}
    if len(names) != len(inputs) + len(named) or set(values) != set(names):
        raise OracleError(f"`{module._node.name}` takes {len(names)} inputs")
    done, result = run_stmts(oracle, module, forward.body, values)
    if not done:
        raise OracleError(f"`{module._node.name}`'s forward returns nothing")
    return result


def run_stmts(oracle: Any, module: nn.Module, stmts, values: dict[str, Any]):
    """(True, the result) once a `return` ran, else (False, None)."""
    evaluator = Evaluator(oracle, module._env, (module, values))
    for stmt in stmts:
        if isinstance(stmt, ir.FAssign):
            bind_targets(stmt.targets, evaluator.expr(stmt.value), values)
        elif isinstance(stmt, ir.FReturn):
            results = [evaluator.expr(v) for v in stmt.values]
            return True, results[0] if len(results) == 1 else tuple(results)
        elif isinstance(stmt, ir.FCall):
            evaluator.expr(stmt.call)
        elif isinstance(stmt, ir.FFor):
            for item in evaluator.expr(stmt.iter):
                bind_targets(stmt.targets, item, values)
                done, result = run_stmts(oracle, module, stmt.body, values)
                if done:
                    return True, result
        elif isinstance(stmt, ir.FIf):
            branch = stmt.then if evaluator.expr(stmt.cond) else stmt.orelse
            done, result = run_stmts(oracle, module, branch, values)
            if done:
                return True, result
        else:
            raise OracleError(f"no rule for a `{stmt.kind}` statement in forward")
    return False, None
