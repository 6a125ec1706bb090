"""A reference interpreter: the checked IR evaluated directly with torch.

Nothing here comes from `archdsl.codegen` or from generated code. Build-time bodies
are evaluated with Python's own semantics (the language's operators, comprehensions
and builtins are Python's); layers are `torch.nn` classes looked up by name; each
block instance is an `Instance`, a generic `nn.Module` that registers its members
under the names the spec gives, so state_dict keys can be compared with the
generated model's. `forward` is walked statement by statement over named values.

Values in `forward` are names, not storage: a tensor passed to a module is cloned
first, so an in-place layer can never change a value the spec still names. Where
the generated code lets such a layer overwrite a named value, the two disagree.
"""

from __future__ import annotations

import builtins
from collections import OrderedDict
from fnmatch import fnmatchcase
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from archdsl import ir


class OracleError(Exception):
    """The program, as the interpreter reads it, cannot run (torch or Python would
    refuse it): a spec `check` accepted should never get here."""


BUILTINS = {name: getattr(builtins, name) for name in
            ("range", "len", "min", "max", "abs", "int", "float", "zip", "enumerate")}  # fmt: skip


def _pad_like(input: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """U-Net's centre pad: zeros around `input` up to `other`'s last two sizes."""
    rows = other.shape[-2] - input.shape[-2]
    cols = other.shape[-1] - input.shape[-1]
    top, left = rows // 2, cols // 2
    return F.pad(input, (left, cols - left, top, rows - top))


def _squeeze(input, dim=None):
    return torch.squeeze(input) if dim is None else torch.squeeze(input, dim)


def _mean(input, dim=None, keepdim=False):
    if dim is None:
        if keepdim:
            raise OracleError("torch.mean takes keepdim only with dim")
        return torch.mean(input)
    return torch.mean(input, dim, keepdim=keepdim)


# The tensor operations `forward` may call, written out against torch's own API.
TENSOR_OPS = {
    "cat": lambda tensors, dim=0: torch.cat(tensors, dim=dim),
    "stack": lambda tensors, dim=0: torch.stack(tensors, dim=dim),
    "flatten": lambda input, start_dim=0, end_dim=-1: torch.flatten(
        input, start_dim, end_dim
    ),
    "unsqueeze": lambda input, dim: torch.unsqueeze(input, dim),
    "squeeze": _squeeze,
    "reshape": lambda input, shape: torch.reshape(input, tuple(shape)),
    "permute": lambda input, dims: torch.permute(input, tuple(dims)),
    "transpose": lambda input, dim0, dim1: torch.transpose(input, dim0, dim1),
    "mean": _mean,
    "softmax": lambda input, dim: torch.softmax(input, dim),
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "interpolate": F.interpolate,
    "adaptive_avg_pool2d": F.adaptive_avg_pool2d,
    "pad_like": _pad_like,
    "chunk": lambda input, chunks, dim=0: torch.chunk(input, chunks, dim),
    "split": lambda tensor, split_size_or_sections, dim=0: torch.split(
        tensor, split_size_or_sections, dim
    ),
    "unbind": lambda input, dim=0: torch.unbind(input, dim),
    "size": lambda input, dim=None: (
        list(input.shape) if dim is None else input.size(dim)
    ),
    "view": lambda input, size: input.view(tuple(size)),
    "expand": lambda input, size: input.expand(tuple(size)),
    "contiguous": lambda input: input.contiguous(),
    "dropout": F.dropout,
}

BINOPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a**b,
}
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Instance(nn.Module):
    """One block or model instance: members registered in the order the spec makes
    them, build-time values kept for `forward`."""

    def __init__(self, oracle: Interpreter, node: ir.Block | ir.Model) -> None:
        super().__init__()
        self.oracle = [oracle]  # in a list: not a registered attribute
        self.node = node
        self.env: dict[str, Any] = {}

    def forward(self, *inputs: torch.Tensor, **named: torch.Tensor) -> Any:
        return self.oracle[0].run_forward(self, inputs, named)


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

    # ---- build time --------------------------------------------------------------

    def build(self, name: str, *args: Any, **kwargs: Any) -> nn.Module:
        node = self.defs[name]
        env = self.bind(node, list(args), dict(kwargs))
        if isinstance(node, ir.Builder):
            return self.value(node.body, env)
        module = Instance(self, node)
        module.env = env
        if isinstance(node, ir.Model) and node.base is not None:
            base = self.value(node.base, env)
            for child_name, child in base.named_children():
                module.add_module(child_name, child)
        inits: list[ir.Init] = []
        self.body(module, node.body, inits)
        for init in inits:  # at the end of __init__, in the order written
            self.initialise(module, init)
        self.freeze(module, node.body)
        return module

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
                env[param.name] = self.value(param.default, env)
            else:
                raise OracleError(f"`{node.name}` needs `{param.name}`")
        return env

    def body(self, module: Instance, stmts: tuple[ir.Node, ...], inits: list) -> None:
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.assign(module, stmt)
            elif isinstance(stmt, ir.Init):
                inits.append(stmt)
            elif isinstance(stmt, ir.If):
                branch = stmt.then if self.value(stmt.cond, module.env) else stmt.orelse
                self.body(module, branch, inits)

    def initialise(self, module: Instance, init: ir.Init) -> None:
        """`init { ... }`: over the instance's modules in registration order, the
        first rule whose type or path pattern fits applies its calls."""
        for path, child in module.named_modules():
            for rule in init.rules:
                if builtins.any(_fits(t, path, child) for t in rule.targets):
                    for action in rule.actions:
                        self.init_action(module, child, action)
                    break

    def init_action(self, module: Instance, child: nn.Module, call: ir.Call) -> None:
        tensor_arg, *rest = call.args
        target = tensor_arg.value
        parts = (target.id,) if isinstance(target, ir.Name) else target.parts
        owner = child.get_submodule(".".join(parts[:-1])) if parts[:-1] else child
        tensor = getattr(owner, parts[-1])
        if tensor is None:  # a layer built with bias=False
            return
        evaluator = Evaluator(self, module.env, None)
        args = [evaluator.expr(a.value) for a in rest if not isinstance(a, ir.Keyword)]
        kwargs = {
            a.name: evaluator.expr(a.value) for a in rest if isinstance(a, ir.Keyword)
        }
        getattr(nn.init, call.func.id)(tensor, *args, **kwargs)

    def assign(self, module: Instance, stmt: ir.Assign) -> None:
        value = self.value(stmt.value, module.env)
        if len(stmt.target) > 1:  # replace a submodule: `net.fc = ...`, `layer4.2.x`
            parent = module.get_submodule(".".join(stmt.target[:-1]))
            setattr(parent, stmt.target[-1], value)
            return
        name = stmt.target[0]
        if isinstance(value, nn.Module):
            module.add_module(name, value)
        elif isinstance(value, (nn.Parameter, nn.Buffer)):
            setattr(module, name, value)  # nn.Module registers it under the name
        module.env[name] = value

    def freeze(self, module: Instance, stmts: tuple[ir.Node, ...]) -> None:
        patterns = [
            self.value(arg.value, module.env)
            for stmt in stmts
            if isinstance(stmt, ir.Freeze)
            for arg in stmt.args
        ]
        if not patterns:
            return
        for param_name, param in module.named_parameters():
            if builtins.any(fnmatchcase(param_name, p) for p in patterns):
                param.requires_grad_(False)

    def value(self, node: ir.Node, env: dict[str, Any]) -> Any:
        """A build-time expression's value."""
        return Evaluator(self, env, None).expr(node)

    def call_definition(self, name: str, args, kwargs) -> Any:
        return self.build(name, *args, **kwargs)

    # ---- forward -----------------------------------------------------------------

    def run_forward(self, module: Instance, inputs: tuple[torch.Tensor, ...],
                    named: dict[str, torch.Tensor] | None = None) -> Any:  # fmt: skip
        forward = self.derived.get(module.node.name) or _own_forward(module.node)
        names = [i.name for i in forward.inputs]
        values = {**dict(zip(names, inputs, strict=False)), **(named or {})}
        if len(names) != len(inputs) + len(named or {}) or set(values) != set(names):
            raise OracleError(f"`{module.node.name}` takes {len(names)} inputs")
        done, result = self.stmts(module, forward.body, values)
        if not done:
            raise OracleError(f"`{module.node.name}`'s forward returns nothing")
        return result

    def stmts(self, module: Instance, stmts, values: dict[str, Any]):
        evaluator = Evaluator(self, module.env, (module, values))
        for stmt in stmts:
            if isinstance(stmt, ir.FAssign):
                result = evaluator.expr(stmt.value)
                if len(stmt.targets) == 1:
                    values[stmt.targets[0]] = result
                else:
                    items = list(result)
                    if len(items) != len(stmt.targets):
                        raise OracleError("unpacking the wrong number of values")
                    values.update(zip(stmt.targets, items, strict=True))
            elif isinstance(stmt, ir.FReturn):
                results = [evaluator.expr(v) for v in stmt.values]
                return True, results[0] if len(results) == 1 else tuple(results)
            else:
                branch = stmt.then if evaluator.expr(stmt.cond) else stmt.orelse
                done, result = self.stmts(module, branch, values)
                if done:
                    return True, result
        return False, None


def _own_forward(node: ir.Block | ir.Model) -> ir.Forward:
    for stmt in node.body:
        if isinstance(stmt, ir.Forward):
            return stmt
    raise OracleError(f"`{node.name}` has no forward")


class Evaluator:
    """Expressions, at build time (`scope` None) or in a forward (`scope` is the
    instance and its named values)."""

    def __init__(self, oracle: Interpreter, env: dict[str, Any], scope) -> None:
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
        raise OracleError(f"`{node.id}` has no value here")

    def _path(self, node: ir.Path) -> Any:
        head, *rest = node.parts
        if head == "torchvision":
            import torchvision

            return getattr(torchvision.models, ".".join(rest))
        root = self._name(ir.Name(id=head))
        return root.get_submodule(".".join(rest)) if rest else root

    def _list(self, node: ir.ListExpr) -> list[Any]:
        return [self.expr(item) for item in node.items]

    def _tuple(self, node: ir.TupleExpr) -> tuple[Any, ...]:
        return tuple(self.expr(item) for item in node.items)

    def _listcomp(self, node: ir.ListComp) -> list[Any]:
        items: list[Any] = []
        self._clauses(node, 0, {}, items)
        return items

    def _clauses(self, node: ir.ListComp, index: int, bound, items: list) -> None:
        """Python's nesting of `for` and `if` clauses, each seeing the names
        bound before it."""
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
            targets = clause.targets
            names = {targets[0]: item}
            if len(targets) > 1:  # nested targets are not generated here yet
                names = dict(zip(targets, item, strict=True))
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
        operand = self.expr(node.operand)
        return {"-": lambda v: -v, "+": lambda v: +v, "not": lambda v: not v}[node.op](
            operand
        )

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

    def _call(self, node: ir.Call) -> Any:
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for arg in node.args:
            if isinstance(arg, ir.Splat):
                args.extend(self.expr(arg.value))
            elif isinstance(arg, ir.Keyword):
                kwargs[arg.name] = self.expr(arg.value)
            else:
                args.append(self.expr(arg.value))
        if isinstance(node.func, ir.Name) and self._is_function(node.func.id):
            return self._function(node.func.id, args, kwargs)
        func = self.expr(node.func)
        if isinstance(func, nn.Module):
            # Values are names: a module never gets storage another name shares.
            args = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        return func(*args, **kwargs)

    def _is_function(self, name: str) -> bool:
        if self.scope is not None:
            module, values = self.scope
            if name in values or name in module._modules:
                return False
            return name in TENSOR_OPS or (name in BUILTINS and name not in self.env)
        return name not in self.env

    def _function(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.scope is not None and name in TENSOR_OPS:
            return TENSOR_OPS[name](*args, **kwargs)
        if name in self.oracle.defs:
            return self.oracle.call_definition(name, args, kwargs)
        if name in BUILTINS:
            return BUILTINS[name](*args, **kwargs)
        if name == "Sequential" and kwargs:
            if args:
                raise OracleError("nn.Sequential takes children or names, not both")
            return nn.Sequential(OrderedDict(kwargs))
        if name in STATE_FUNCTIONS:
            return STATE_FUNCTIONS[name](*args, **kwargs)
        layer = getattr(nn, name, None)
        if not (isinstance(layer, type) and issubclass(layer, nn.Module)):
            import torchvision.ops

            layer = getattr(torchvision.ops, name, None)
        if not (isinstance(layer, type) and issubclass(layer, nn.Module)):
            raise OracleError(f"`{name}` is not a torch.nn or torchvision.ops layer")
        return layer(*args, **kwargs)


def _fits(target: ir.Name | ir.Constant, path: str, module: nn.Module) -> bool:
    """An init rule's target: a path pattern, or a layer or block type."""
    if isinstance(target, ir.Constant):
        return bool(path) and fnmatchcase(path, target.value)
    if isinstance(module, Instance):
        return module.node.name == target.id
    return type(module).__name__ == target.id


def _fill(method: str):
    return lambda tensor, *args, **kwargs: getattr(tensor, method)(*args, **kwargs)


#: Parameter and Buffer members: the tensor factories and in-place fills they use.
STATE_FUNCTIONS = {
    "Parameter": nn.Parameter,
    "Buffer": nn.Buffer,
    **{
        name: getattr(torch, name)
        for name in ("zeros", "ones", "empty", "full", "rand", "randn")
    },  # fmt: skip
    **{name: _fill(name) for name in ("normal_", "uniform_", "fill_", "zero_")},
}
