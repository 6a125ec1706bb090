"""A reference interpreter: the checked IR evaluated directly with torch.

Nothing here comes from `archdsl.codegen` or from generated code. Build-time bodies
are evaluated with Python's own semantics (the language's operators, comprehensions
and builtins are Python's; build.py); layers are `torch.nn` classes looked up by
name; each block instance is an `Instance`, a generic `nn.Module` that registers
its members under the names the spec gives, so state_dict keys can be compared
with the generated model's. `forward` is walked statement by statement over named
values (forward.py); expressions are evaluator.py's, operations torch_ops.py's.

Values in `forward` are names, not storage: a tensor passed to a module is cloned
first, so an in-place layer can never change a value the spec still names. Where
the generated code lets such a layer overwrite a named value, the two disagree.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from archdsl import ir

from .build import freeze, initialise, run_body
from .evaluator import Evaluator
from .forward import run_forward
from .torch_ops import OracleError

__all__ = ["Instance", "Interpreter", "OracleError"]


class Instance(nn.Module):
    """One block or model instance: members registered in the order the spec makes
    them, build-time values kept for `forward`. Its own attributes start with an
    underscore, so no member of the spec's can collide with them."""

    def __init__(self, oracle: Interpreter, node: ir.Block | ir.Model) -> None:
        super().__init__()
        self._oracle = [oracle]  # in a list: not a registered attribute
        self._node = node
        self._env: dict[str, Any] = {}

    def forward(self, *inputs: torch.Tensor, **named: torch.Tensor) -> Any:
        oracle = self._oracle[0]
        forward = oracle.derived.get(self._node.name) or _own_forward(self._node)
        return run_forward(oracle, self, forward, inputs, named)


class Interpreter:
    def __init__(self, compiled) -> None:
        self.defs = {d.name: d for d in compiled.program.definitions}
        # A model extending a torchvision base has no forward of its own: the
        # checker writes one from the base's steps (taps and `at` folded in).
        self.derived = {
            name: info.forward
            for name, info in compiled.context.defs.items()
            if info.base is not None
        }

    def build(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """What calling the definition `name` makes: a block's or model's instance,
        a builder's value, or (a variant) its model with the variant's arguments
        and the caller's keywords."""
        node = self.defs[name]
        if isinstance(node, ir.Variant):
            return self.build_variant(node, args, kwargs)
        env = self.bind(node, list(args), dict(kwargs))
        if isinstance(node, ir.Builder):
            return Evaluator(self, env, None).expr(node.body)
        module = Instance(self, node)
        module._env = env
        if isinstance(node, ir.Model) and node.base is not None:
            base = Evaluator(self, env, None).expr(node.base)
            for child_name, child in base.named_children():
                module.add_module(child_name, child)
        inits: list[ir.Init] = []
        run_body(self, module, node.body, inits)
        for init in inits:  # at the end of __init__, in the order written
            initialise(self, module, init)
        freeze(self, module, node.body)
        return module

    def build_variant(self, node: ir.Variant, args, kwargs: dict[str, Any]) -> Any:
        """`model resnet50 = ResNet(Bottleneck, [3, 4, 6, 3])`: a factory taking
        its own parameters (`model efficientnet_b0(dropout: float = 0.2) = ...`)
        and passing every other keyword to the model, which may not repeat the
        variant's own arguments."""
        own = {p.name for p in node.params}
        env = self.bind(node, list(args), {k: v for k, v in kwargs.items() if k in own})
        rest = {k: v for k, v in kwargs.items() if k not in own}
        call = ir.Call(func=ir.Name(id=node.model), args=node.args)
        given, named = Evaluator(self, env, None).arguments(call)
        if set(named) & set(rest):
            raise OracleError(f"`{node.name}` given {set(named) & set(rest)} twice")
        return self.build(node.model, *given, **named, **rest)

    def bind(self, node, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = [p.name for p in node.params]
        if len(args) > len(names) or set(kwargs) - set(names):
            raise OracleError(f"`{node.name}` does not take {args}, {kwargs}")
        env: dict[str, Any] = {}
        for index, param in enumerate(node.params):
            if index < len(args):
                if param.name in kwargs:
                    raise OracleError(f"`{param.name}` given twice")
                env[param.name] = args[index]
            elif param.name in kwargs:
                env[param.name] = kwargs[param.name]
            elif param.default is not None:
                env[param.name] = Evaluator(self, env, None).expr(param.default)
            else:
                raise OracleError(f"`{node.name}` needs `{param.name}`")
        return env


def _own_forward(node: ir.Block | ir.Model) -> ir.Forward:
    for stmt in node.body:
        if isinstance(stmt, ir.Forward):
            return stmt
    raise OracleError(f"`{node.name}` has no forward")
