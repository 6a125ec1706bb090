"""Build-time evaluation for shape inference: what each member *is*, with its sizes.

The checks before this stage know types ("a module", "an int"); shapes need values:
`Down(64, 128)` is a block whose `maxpool_conv` is a Sequential of a MaxPool2d(2)
and a DoubleConv(64, 128), and so on down to layers with their arguments bound.
This evaluates a definition's body for one set of parameter values the way the
generated constructor would, without torch. A parameter nobody gave becomes a
symbol (`n_classes`), so sizes stay expressions rather than unknowns.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..bases import BaseTree
from ..check.consts import BINARY_OPS
from ..check.context import Context, DefInfo
from ..ops import BUILTINS, layer
from ..ops.shapes import PARAMETERS, UNKNOWN, ShapeProblem, Unknowable, known
from ..ops.signature import Signature, bind_arguments
from ..source import Span
from . import dims


@dataclass(eq=False)
class LayerModule:
    name: str  # `Conv2d`
    args: dict[str, Any]  # every parameter, defaults filled in
    span: Span | None


@dataclass(eq=False)
class SeqModule:
    """Sequential (callable, children in order) or ModuleList."""

    kind: str
    children: list[tuple[str, Any]]
    span: Span | None


@dataclass(eq=False)
class BlockModule:
    info: DefInfo
    env: dict[str, Any]  # parameters, constants and members, once evaluated
    span: Span | None
    members: dict[str, None] = field(default_factory=dict)  # names, in order
    base: BaseModule | None = None  # the torchvision model it extends, if any


@dataclass(eq=False)
class BaseModule:
    """A torchvision model, or a submodule of one, as its tree records it."""

    tree: BaseTree
    path: str
    span: Span | None
    #: submodules replaced by the spec: path in the tree -> the new module
    replaced: dict[str, Any] = field(default_factory=dict)

    def child(self, parts: tuple[str, ...]) -> Any:
        path = ".".join(p for p in (self.path, *parts) if p)
        if path in self.replaced:
            return self.replaced[path]
        if self.tree.get(path) is None:
            return UNKNOWN
        return BaseModule(self.tree, path, self.span, self.replaced)


Module = LayerModule | SeqModule | BlockModule | BaseModule

_COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def label_of(module: object) -> str:
    if isinstance(module, LayerModule):
        return module.name
    if isinstance(module, SeqModule):
        return module.kind
    if isinstance(module, BlockModule):
        return module.info.name
    if isinstance(module, BaseModule):
        node = module.tree.get(module.path)
        return node.type if node else "?"
    return "?"


class TooLarge(Exception):
    """The model builds more modules than inference is willing to walk."""


class Evaluator:
    """Evaluates build-time expressions and definition bodies to values."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        #: modules built so far, counted against the limit on modules (a block of
        #: blocks multiplies, which the per-definition limit does not see)
        self.built = 0

    def _count(self) -> None:
        self.built += 1
        if self.built > self.ctx.limits.max_modules:
            raise TooLarge

    # ---- definitions -----------------------------------------------------------------

    def instantiate(
        self, info: DefInfo, bound: dict[str, Any], span: Span | None
    ) -> BlockModule:
        env: dict[str, Any] = {}
        node = info.node
        for param in node.params:
            if param.name in bound:
                env[param.name] = bound[param.name]
            elif param.default is not None:
                env[param.name] = self.expr(param.default, env)
            else:
                env[param.name] = _symbol_for(param)
        self._count()
        block = BlockModule(info, env, span)
        if info.base is not None:
            base = BaseModule(info.base.tree, "", span)
            for child in info.base.tree.root.children:
                env[child] = base.child((child,))
                block.members[child] = None
            block.base = base
        self.body(node.body, block)
        return block

    def body(self, stmts: tuple[ir.Node, ...], block: BlockModule) -> None:
        env = block.env
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.assign(stmt, block)
            elif isinstance(stmt, ir.If):
                cond = self.expr(stmt.cond, env)
                if isinstance(cond, bool):
                    self.body(stmt.then if cond else stmt.orelse, block)
                else:  # only known at run time: what either branch sets is unknown
                    for inner in (*stmt.then, *stmt.orelse):
                        if isinstance(inner, ir.Assign) and len(inner.target) == 1:
                            env[inner.target[0]] = UNKNOWN
                            block.members[inner.target[0]] = None  # perhaps one

    def assign(self, stmt: ir.Assign, block: BlockModule) -> None:
        env = block.env
        value = self.expr(stmt.value, env)
        first, rest = stmt.target[0], stmt.target[1:]
        owner = env.get(first)
        if rest and isinstance(owner, BaseModule):  # `net.fc = ...`, `layer4.2.conv3`
            owner.replaced[".".join((owner.path, *rest)).strip(".")] = value
            return
        if isinstance(owner, BaseModule) and block.base is not None:
            block.base.replaced[first] = value  # `fc = ...` in an extends model
        env[first] = value
        if isinstance(value, MODULE_TYPES):
            block.members[first] = None

    # ---- expressions -----------------------------------------------------------------

    def expr(self, node: ir.Node, env: dict[str, Any]) -> Any:
        method = getattr(self, f"_{node.kind}", None)
        if method is None:
            return UNKNOWN
        try:
            return method(node, env)
        except (TypeError, ValueError, ArithmeticError, IndexError, KeyError):
            return UNKNOWN

    def _const(self, node: ir.Constant, env) -> Any:
        return node.value

    def _name(self, node: ir.Name, env) -> Any:
        return env.get(node.id, UNKNOWN)

    def _path(self, node: ir.Path, env) -> Any:
        owner = env.get(node.parts[0])
        if isinstance(owner, BaseModule):
            return owner.child(node.parts[1:])
        return UNKNOWN

    def _list(self, node: ir.ListExpr, env) -> Any:
        return [self.expr(item, env) for item in node.items]

    def _tuple(self, node: ir.TupleExpr, env) -> Any:
        return tuple(self.expr(item, env) for item in node.items)

    def _listcomp(self, node: ir.ListComp, env) -> Any:
        items = self.expr(node.iter, env)
        if not isinstance(items, (list, tuple)):
            return UNKNOWN
        out = []
        for item in items:
            inner = dict(env)
            if len(node.targets) == 1:
                inner[node.targets[0]] = item
            else:
                for target, part in zip(node.targets, item, strict=True):
                    inner[target] = part
            out.append(self.expr(node.elt, inner))
        return out

    def _binop(self, node: ir.BinOp, env) -> Any:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if node.op == "**" and isinstance(right, int) and abs(right) > 64:
            return UNKNOWN
        result = BINARY_OPS[node.op](left, right)
        return UNKNOWN if result is NotImplemented else result

    def _unary(self, node: ir.UnaryOp, env) -> Any:
        value = self.expr(node.operand, env)
        if value is UNKNOWN:
            return UNKNOWN
        if node.op == "not":
            return not value if isinstance(value, bool) else UNKNOWN
        return -value if node.op == "-" else value

    def _compare(self, node: ir.Compare, env) -> Any:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        if isinstance(left, dims.Poly) or isinstance(right, dims.Poly):
            if node.op in ("==", "!=") and left == right:
                return node.op == "=="
            return UNKNOWN
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        return _COMPARE[node.op](left, right)

    def _boolop(self, node: ir.BoolOp, env) -> Any:
        left = self.expr(node.left, env)
        if not isinstance(left, bool):
            return UNKNOWN
        if (node.op == "and" and not left) or (node.op == "or" and left):
            return left
        return self.expr(node.right, env)

    def _ifexp(self, node: ir.IfExp, env) -> Any:
        cond = self.expr(node.cond, env)
        if not isinstance(cond, bool):
            return UNKNOWN
        return self.expr(node.then if cond else node.orelse, env)

    def _subscript(self, node: ir.Subscript, env) -> Any:
        value, index = self.expr(node.value, env), self.expr(node.index, env)
        if isinstance(value, (list, tuple)) and isinstance(index, int):
            return value[index]
        if isinstance(value, SeqModule) and isinstance(index, int):
            return value.children[index][1]
        return UNKNOWN

    def _call(self, node: ir.Call, env) -> Any:
        func = node.func
        if isinstance(func, ir.Path):
            return self._torchvision(node, env)
        if not isinstance(func, ir.Name):
            return UNKNOWN
        name = func.id
        found = layer(name)
        if found is not None:
            return self._layer(found.name, found.signature, node, env)
        info = self.ctx.defs.get(name)
        if info is not None:
            positional, keywords = self._arguments(node, env)
            params = [p.name for p in info.node.params]
            bound = dict(zip(params, positional, strict=False)) | keywords
            if isinstance(info.node, ir.Builder):
                inner = {}
                for param in info.node.params:
                    inner[param.name] = (
                        bound[param.name]
                        if param.name in bound
                        else self.expr(param.default, inner)
                        if param.default is not None
                        else UNKNOWN
                    )
                return self.expr(info.node.body, inner)
            return self.instantiate(info, bound, node.span)
        if name in BUILTINS:
            positional, _ = self._arguments(node, env)
            return _builtin(name, positional)
        return UNKNOWN

    def _arguments(self, node: ir.Call, env) -> tuple[list[Any], dict[str, Any]]:
        return split_arguments(node, [self.expr(a.value, env) for a in node.args])

    def _layer(self, name: str, sig: Signature, node: ir.Call, env) -> Any:
        positional, keywords = self._arguments(node, env)
        if sig.named_children or name == "ModuleList":
            items = positional[0] if name == "ModuleList" and positional else positional
            children = [(str(i), child) for i, child in enumerate(items or [])]
            children += list(keywords.items())
            return SeqModule(name, children, node.span)
        self._count()
        return LayerModule(name, bind_arguments(sig, positional, keywords), node.span)

    def _torchvision(self, node: ir.Call, env) -> Any:
        from ..check.base import base_tree

        scratch = Context()  # the checks have reported any problem already
        known_values = {k: v for k, v in env.items() if _plain(v)}
        resolved = base_tree(scratch, node, known_values)
        if resolved is None:
            return UNKNOWN
        return BaseModule(resolved[1], "", node.span)


def split_arguments(
    node: ir.Call, values: list[Any]
) -> tuple[list[Any], dict[str, Any]]:
    """A call's evaluated arguments as (positional, keywords), `*xs` spread out."""
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    for arg, value in zip(node.args, values, strict=True):
        if isinstance(arg, ir.Splat):
            if not isinstance(value, (list, tuple)):
                raise ValueError("unknown splat")
            positional.extend(value)
        elif isinstance(arg, ir.Keyword):
            keywords[arg.name] = value
        else:
            positional.append(value)
    return positional, keywords


def _symbol_for(param: ir.Param) -> Any:
    if param.type is None or param.type.name == "int":
        return dims.symbol(param.name)
    return UNKNOWN


def _plain(value: object) -> bool:
    return isinstance(value, (bool, int, float, str)) or value is None


#: What a member holding a module may hold.
MODULE_TYPES = (LayerModule, SeqModule, BlockModule, BaseModule)


def _builtin(name: str, args: list[Any]) -> Any:
    if any(not (_plain(a) or isinstance(a, (list, tuple))) for a in args):
        return UNKNOWN
    if name == "range":
        return list(range(*args))
    if name == "zip":
        return [tuple(t) for t in zip(*args, strict=False)]
    if name == "enumerate":
        return [tuple(t) for t in enumerate(args[0])]
    return {"len": len, "min": min, "max": max, "abs": abs, "int": int, "float": float}[
        name
    ](*args)


# ---- parameters ----------------------------------------------------------------------


def count_parameters(module: object, seen: set[int] | None = None) -> Any:
    """What `sum(p.numel() for p in module.parameters())` will give: an int, a
    symbolic size, or UNKNOWN. A module reachable twice counts once, as in torch."""
    seen = set() if seen is None else seen
    if module is UNKNOWN:
        return UNKNOWN
    if id(module) in seen:
        return 0
    seen.add(id(module))
    if isinstance(module, LayerModule):
        rule = PARAMETERS.get(module.name)
        if rule is None:
            return 0
        try:
            count = rule(module.args)
            return count if known(count) else UNKNOWN  # e.g. a str where a size goes
        except (
            TypeError,
            KeyError,
            ValueError,
            ArithmeticError,
            Unknowable,
            ShapeProblem,
        ):
            return UNKNOWN  # the shape pass reports what is wrong with the arguments
    if isinstance(module, SeqModule):
        return _sum(count_parameters(child, seen) for _, child in module.children)
    if isinstance(module, BlockModule):
        if module.base is not None:
            adopted = module.base.tree.root.children
            own = [m for m in module.members if m not in adopted]
            return _sum(
                [count_parameters(module.base, seen)]
                + [count_parameters(module.env[m], seen) for m in own]
            )
        return _sum(count_parameters(module.env.get(m), seen) for m in module.members)
    if isinstance(module, BaseModule):
        node = module.tree.get(module.path)
        if node is None:
            return UNKNOWN
        total: Any = node.params
        prefix = f"{module.path}." if module.path else ""
        for path, new in module.replaced.items():
            if path == module.path or path.startswith(prefix):
                old = module.tree.get(path)
                total = total - (old.params if old else 0) + count_parameters(new, seen)
        return total
    if isinstance(module, list):
        return _sum(count_parameters(item, seen) for item in module)
    return 0


def _sum(values) -> Any:
    total: Any = 0
    for value in values:
        if value is UNKNOWN or not (known(value)):
            return UNKNOWN
        total = total + value
    return total
