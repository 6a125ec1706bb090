"""Expressions of the checked IR, evaluated with Python's own semantics and torch.

One `Evaluator` serves build time (`scope` None: names are the definition's
parameters and constants) and forward (`scope` is the instance and its named
values). Block and layer types are values too (`block: module = BasicBlock`): a
layer is its `torch.nn` class, a definition of the spec is a `DefinitionType`.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from archdsl import ir

from .torch_ops import (
    BINOPS,
    BUILTINS,
    COMPARE,
    STATE_FUNCTIONS,
    TENSOR_OPS,
    UNARY,
    OracleError,
    layer_type,
)

#: Calls forward makes on its own instance or on a forward-time list.
FORWARD_FUNCTIONS = ("children", "append", "extend", "items", "values", "keys")


class DefinitionType:
    """A block, model, builder or variant of the spec used as a value: calling it
    builds one; its attributes are the block's class-level constants
    (`block.expansion`, a constant assigned in the block's body)."""

    def __init__(self, oracle: Any, name: str) -> None:
        self.oracle = oracle
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.oracle.build(self.name, *args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        node = self.oracle.defs[self.name]
        for stmt in getattr(node, "body", ()):
            if isinstance(stmt, ir.Assign) and stmt.target == (attr,):
                return Evaluator(self.oracle, {}, None).expr(stmt.value)
        raise OracleError(f"`{self.name}` has no attribute `{attr}`")


def bind_targets(targets: Any, value: Any, into: dict[str, Any]) -> None:
    """Python's assignment to a target list: `a`, `a, b`, `i, (t, c)`."""
    if isinstance(targets, str):
        into[targets] = value
        return
    if len(targets) == 1:
        bind_targets(targets[0], value, into)
        return
    items = list(value)
    if len(items) != len(targets):
        raise OracleError(f"unpacking {len(items)} values into {len(targets)} names")
    for target, item in zip(targets, items, strict=True):
        bind_targets(target, item, into)


def attribute(value: Any, name: str) -> Any:
    """`value.name`: a submodule by its registered name (`layer4.2`), else the
    Python attribute (a bound method, a class constant)."""
    if isinstance(value, nn.Module) and name in value._modules:
        return value._modules[name]
    return getattr(value, name)


class Evaluator:
    def __init__(self, oracle: Any, env: dict[str, Any], scope) -> None:
        self.oracle = oracle
        self.env = env
        self.scope = scope

    def expr(self, node: ir.Node) -> Any:
        method = getattr(self, f"_{node.kind}")
        return method(node)

    def _const(self, node: ir.Constant) -> Any:
        return node.value

    def _name(self, node: ir.Name) -> Any:
        if self.scope is not None:
            module, values = self.scope
            if node.id in values:
                return values[node.id]
            if node.id in module._modules:
                return module._modules[node.id]
            if node.id in module._parameters or node.id in module._buffers:
                return getattr(module, node.id)
            if node.id == "training":  # nn.Module's flag
                return module.training
        if node.id in self.env:
            return self.env[node.id]
        return self.type_named(node.id)

    def type_named(self, name: str) -> Any:
        """A block or layer type used as a value (`norm_layer: module =
        BatchNorm2d`, `activation=SiLU`)."""
        if name in self.oracle.defs:
            return DefinitionType(self.oracle, name)
        layer = layer_type(name)
        if layer is None:
            raise OracleError(f"`{name}` has no value here")
        return layer

    def _path(self, node: ir.Path) -> Any:
        head, *rest = node.parts
        if head == "torchvision":
            import torchvision

            return getattr(torchvision.models, ".".join(rest))
        value = self._name(ir.Name(id=head))
        for part in rest:
            value = attribute(value, part)
        return value

    def _attribute(self, node: ir.Attribute) -> Any:
        return attribute(self.expr(node.value), node.name)

    def _list(self, node: ir.ListExpr) -> list[Any]:
        return [self.expr(item) for item in node.items]

    def _tuple(self, node: ir.TupleExpr) -> tuple[Any, ...]:
        return tuple(self.expr(item) for item in node.items)

    def _listcomp(self, node: ir.ListComp) -> list[Any]:
        items: list[Any] = []
        self._clauses(node, 0, {}, items)
        return items

    def _clauses(self, node, index: int, bound, items: list) -> None:
        """Python's nesting of a comprehension's `for` and `if` clauses, each
        seeing the names bound before it."""
        inner = Evaluator(self.oracle, {**self.env, **bound}, self._inner(bound))
        if index == len(node.clauses):
            items.append(inner.expr(node.elt))
            return
        clause = node.clauses[index]
        if isinstance(clause, ir.CompIf):
            if inner.expr(clause.cond):
                self._clauses(node, index + 1, bound, items)
            return
        for item in inner.expr(clause.iter):
            names: dict[str, Any] = {}
            bind_targets(clause.targets, item, names)
            self._clauses(node, index + 1, {**bound, **names}, items)

    def _inner(self, bound: dict[str, Any]):
        """A comprehension's variables hide every other name of the same spelling."""
        if self.scope is None:
            return None
        module, values = self.scope
        return module, {**values, **bound}

    def _binop(self, node: ir.BinOp) -> Any:
        return BINOPS[node.op](self.expr(node.left), self.expr(node.right))

    def _unary(self, node: ir.UnaryOp) -> Any:
        return UNARY[node.op](self.expr(node.operand))

    def _compare(self, node: ir.Compare) -> Any:
        return COMPARE[node.op](self.expr(node.left), self.expr(node.right))

    def _boolop(self, node: ir.BoolOp) -> Any:
        left = self.expr(node.left)
        if node.op == "and":
            return self.expr(node.right) if left else left
        return left if left else self.expr(node.right)

    def _ifexp(self, node: ir.IfExp) -> Any:
        return self.expr(node.then) if self.expr(node.cond) else self.expr(node.orelse)

    def _subscript(self, node: ir.Subscript) -> Any:
        return self.expr(node.value)[self.expr(node.index)]

    def _slice(self, node: ir.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else self.expr(p) for p in parts))

    def _ellipsis(self, node: ir.EllipsisExpr) -> Any:
        return Ellipsis

    # f-strings and dicts (LANG-DICT): Python's own format() and dicts, in order

    def _fstring(self, node: ir.FString) -> str:
        return "".join(
            p.value if isinstance(p, ir.Constant) else self._fvalue(p)
            for p in node.parts
        )

    def _fvalue(self, node: ir.FormattedValue) -> str:
        return format(self.expr(node.value), node.spec)

    def _dict(self, node: ir.DictExpr) -> dict[Any, Any]:
        return {
            self.expr(k): self.expr(v)
            for k, v in zip(node.keys, node.values, strict=True)
        }

    def _dictcomp(self, node: ir.DictComp) -> dict[Any, Any]:
        pair = ir.TupleExpr(items=(node.key, node.value))
        return dict(self._listcomp(ir.ListComp(elt=pair, clauses=node.clauses)))

    # ---- calls ---------------------------------------------------------------------

    def arguments(self, call: ir.Call) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for arg in call.args:
            if isinstance(arg, ir.Splat):
                args.extend(self.expr(arg.value))
            elif isinstance(arg, ir.Keyword):
                kwargs[arg.name] = self.expr(arg.value)
            else:
                args.append(self.expr(arg.value))
        return args, kwargs

    def _call(self, node: ir.Call) -> Any:
        args, kwargs = self.arguments(node)
        if isinstance(node.func, ir.Name) and self._is_function(node.func.id):
            return self._function(node.func.id, args, kwargs)
        func = self.expr(node.func)
        if isinstance(func, nn.Module):
            # Values are names: a module never gets storage another name shares.
            args = [_copy(a) if isinstance(a, torch.Tensor) else a for a in args]
            kwargs = {
                k: _copy(v) if isinstance(v, torch.Tensor) else v
                for k, v in kwargs.items()
            }
        return func(*args, **kwargs)

    def _is_function(self, name: str) -> bool:
        if self.scope is not None:
            module, values = self.scope
            if name in values or name in module._modules:
                return False
            if name in FORWARD_FUNCTIONS:
                return True
            return name in TENSOR_OPS or (name in BUILTINS and name not in self.env)
        return name not in self.env

    def _function(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.scope is not None:
            if name in TENSOR_OPS:
                return TENSOR_OPS[name](*args, **kwargs)
            if name in FORWARD_FUNCTIONS:
                return self._forward_function(name, args, kwargs)
        if name in self.oracle.defs:
            return self.oracle.build(name, *args, **kwargs)
        if name in BUILTINS:
            return BUILTINS[name](*args, **kwargs)
        if name == "partial":  # a block or layer type with arguments bound
            return functools.partial(*args, **kwargs)
        if name == "OrderedDict":  # `Sequential(OrderedDict({...}))`
            return OrderedDict(*args)
        if name == "Sequential" and len(args) == 1 and isinstance(args[0], dict):
            return nn.Sequential(OrderedDict(args[0]))  # `Sequential({...})`
        if name == "Sequential" and kwargs:
            if args:
                raise OracleError("nn.Sequential takes children or names, not both")
            return nn.Sequential(OrderedDict(kwargs))
        if name in STATE_FUNCTIONS:
            return STATE_FUNCTIONS[name](*args, **kwargs)
        layer = layer_type(name)
        if layer is None:
            raise OracleError(f"`{name}` is not a torch.nn or torchvision.ops layer")
        return layer(*args, **kwargs)

    def _forward_function(self, name: str, args: list[Any], kwargs: dict) -> Any:
        """`children()` (the instance's own), `append(features, y)` (a list grows),
        and a container's `items()`/`values()`/`keys()`."""
        module, _ = self.scope
        if name in ("append", "extend"):
            target, *rest = args
            return getattr(target, name)(*rest, **kwargs)
        if name == "children":
            return module.children(*args, **kwargs)
        owner = args[0] if args else module
        if isinstance(owner, nn.ModuleDict):
            return getattr(owner, name)()
        return getattr(OrderedDict(owner.named_children()), name)()


def _copy(tensor: torch.Tensor) -> torch.Tensor:
    """A copy with the same strides, even where they leave gaps (a slice, a split
    piece): `clone` makes such a tensor contiguous, and a layer summing over it
    (BatchNorm's statistics) then adds in another order than the generated code's
    call on the view itself, 2e-7 apart (found by ARCHDSL_FUZZ=300). An expanded
    tensor (a stride 0) cannot be written so: it is cloned, as before."""
    if any(
        stride == 0 and size > 1
        for size, stride in zip(tensor.shape, tensor.stride(), strict=True)
    ):
        return tensor.clone()
    copy = torch.empty_strided(
        tensor.size(), tensor.stride(), dtype=tensor.dtype, device=tensor.device
    )
    return copy.copy_(tensor)
