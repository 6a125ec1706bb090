"""Build-time bodies: parameters, constants, members, `if`, builders."""

from __future__ import annotations

from .. import ir
from ..errors import did_you_mean
from ..ops import BUILTINS, TENSOR_OPS, Signature, layer, layers
from ..ops.signature import OPAQUE, REQUIRED, ParamSpec
from . import types
from .calls import bind
from .context import Context, DefInfo, ModuleRef, Symbol, Value
from .exprs import ANY, ExprChecker, Scope
from .names import why_reserved


def def_signature(node: ir.Block | ir.Model | ir.Builder) -> Signature:
    """A definition's constructor signature, as callers see it."""
    return Signature(
        tuple(
            ParamSpec(
                p.name,
                "pos",
                _default_of(p),
                (str(p.type),) if p.type else ("any",),
            )
            for p in node.params
        )
    )


def _default_of(param: ir.Param) -> object:
    """A literal default as its value; one computed from earlier parameters is
    optional but has no literal to show."""
    if param.default is None:
        return REQUIRED
    if isinstance(param.default, ir.Constant):
        return param.default.value
    return OPAQUE


class BuildChecker(ExprChecker):
    """Checks one definition's parameters and body, filling in its DefInfo."""

    def __init__(self, ctx: Context, info: DefInfo) -> None:
        super().__init__(ctx, Scope())
        self.info = info

    # ---- parameters ----------------------------------------------------------------

    def params(self) -> None:
        for param in self.info.node.params:
            declared = self._param_type(param)
            if param.default is not None:
                default = self.expr(param.default)
                if declared and not types.accepts((declared,), default.type):
                    self.ctx.error(
                        f"default of `{param.name}` is {types.describe(default.type)}, "
                        f"but `{param.name}` is declared {declared}",
                        param.default.span,
                    )
                declared = declared or default.type
            self.define(param.name, "param", Value(declared or "any"), param.span)

    def _param_type(self, param: ir.Param) -> str | None:
        if param.type is None:
            return None
        text = str(param.type)
        ok = (param.type.name in types.PARAM_TYPES and param.type.arg is None) or (
            param.type.name == "list"
            and param.type.arg is not None
            and param.type.arg.name in types.LIST_ITEM_TYPES
            and param.type.arg.arg is None
        )
        if not ok:
            self.ctx.error(
                f"unknown parameter type `{text}`",
                param.type.span,
                hint="parameters are int, float, bool, str or list[int] (list of those)",
            )
            return "any"
        return text

    # ---- statements ----------------------------------------------------------------

    def body(self, stmts: tuple[ir.Node, ...]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.assign(stmt)
            elif isinstance(stmt, ir.If):
                self.if_stmt(stmt)
            elif (
                isinstance(stmt, (ir.Outputs, ir.InputDecl))
                and self.info.kind != "model"
            ):
                self.ctx.error(
                    f"`{stmt.kind.split('_')[0]}` belongs in a model", stmt.span
                )

    def assign(self, stmt: ir.Assign) -> None:
        if stmt.target[0] == "self":
            self.ctx.error(
                "members are named without `self.`",
                stmt.span,
                hint=f"write `{'.'.join(stmt.target[1:])} = ...`: archdsl adds `self.`",
            )
            stmt = stmt.model_copy(update={"target": stmt.target[1:]})
        if len(stmt.target) > 1:
            self.ctx.error(
                f"`{stmt.name}` is a submodule path; only a model that extends a base "
                "model can replace submodules",
                stmt.span,
            )
            return
        value = self.expr(stmt.value)
        # After an error inside a call, still define the name as the member it was
        # meant to be, so `forward` does not report it a second time.
        unknown_call = value.type == "any" and isinstance(stmt.value, ir.Call)
        kind = "member" if value.type == "module" or unknown_call else "const"
        if value.type == "tensor":
            self.ctx.error(
                "tensors are computed in `forward`, not at build time", stmt.span
            )
        self.define(stmt.name, kind, value, stmt.span)

    def if_stmt(self, stmt: ir.If) -> None:
        self.expr(stmt.cond)
        outer = self.scope
        branches = []
        for branch in (stmt.then, stmt.orelse):
            self.scope = Scope(outer)
            self.body(branch)
            branches.append(self.scope.symbols)
        self.scope = outer
        then, orelse = branches
        for name, symbol in {**orelse, **then}.items():
            symbol.conditional = not (name in then and name in orelse)
            outer.symbols[name] = symbol

    def define(self, name: str, kind: str, value: Value, span) -> None:
        reason = why_reserved(name, attribute=kind in ("member", "const", "param"))
        if reason:
            self.ctx.error(
                f"cannot name a {kind} `{name}`: {reason}", span, hint="rename it"
            )
        previous = self.scope.lookup(name)
        if previous is not None:
            where = (
                f" (first defined at line {previous.span.line})"
                if previous.span
                else ""
            )
            self.ctx.error(f"`{name}` is already defined{where}", span)
            return
        if name in self.ctx.defs or layer(name) is not None:
            what = "a block" if name in self.ctx.defs else "a torch.nn layer"
            self.ctx.error(f"`{name}` is {what}; pick another name", span)
        symbol = Symbol(name, kind, value, span)
        self.scope.symbols[name] = symbol
        table = {"member": self.info.members, "const": self.info.consts}.get(kind)
        if table is not None:
            table[name] = symbol

    # ---- names and calls -------------------------------------------------------------

    def name(self, expr: ir.Name) -> Value:
        symbol = self.scope.lookup(expr.id)
        if symbol is not None:
            if symbol.kind == "member":
                self.ctx.error(
                    f"member `{expr.id}` can only be used in `forward`", expr.span
                )
            return symbol.value
        if expr.id in self.ctx.defs or layer(expr.id) or expr.id in BUILTINS:
            self.ctx.error(
                f"`{expr.id}` must be called", expr.span, hint=f"write `{expr.id}(...)`"
            )
            return ANY
        return self.undefined(expr.id, expr.span, [*self.ctx.defs])

    def call(self, expr: ir.Call) -> Value:
        values = self.args(expr)
        func = expr.func
        if isinstance(func, ir.Path):
            return self._dotted_call(func)
        if not isinstance(func, ir.Name):
            self.ctx.error(
                "only layers, blocks, builders and builtins can be called", expr.span
            )
            return ANY
        name = func.id
        if name in self.ctx.defs:
            return self._def_call(name, expr, values)
        found = layer(name)
        if found is not None:
            bind(self.ctx, name, found.signature, expr, values)
            return Value(
                "module", ModuleRef(name, found.inputs, 1, callable=found.callable)
            )
        if name in BUILTINS:
            return self.builtin(name, expr, values)
        if name in TENSOR_OPS:
            self.ctx.error(
                f"`{name}` is a tensor operation; use it in `forward`", func.span
            )
            return ANY
        candidates = [*self.ctx.defs, *layers(), *BUILTINS]
        self.ctx.error(
            f"unknown layer or block `{name}`",
            func.span,
            hint=did_you_mean(name, candidates),
        )
        return ANY

    def _def_call(self, name: str, expr: ir.Call, values: list[Value]) -> Value:
        target = self.ctx.defs[name]
        self.info.uses.setdefault(name, expr.func.span)
        bind(self.ctx, name, def_signature(target.node), expr, values)
        if target.kind == "builder":
            return Value("module", ModuleRef(name, None, None, definition=name))
        ref = ModuleRef(name, len(target.inputs), target.outputs, definition=name)
        return Value("module", ref)

    def _dotted_call(self, func: ir.Path) -> Value:
        if func.parts[0] == "nn" and len(func.parts) == 2 and layer(func.parts[1]):
            self.ctx.error(
                f"write `{func.parts[1]}`, not `{func.dotted}`",
                func.span,
                hint="layers use their torch.nn names without a prefix",
            )
        else:
            self.ctx.error(f"unknown layer or block `{func.dotted}`", func.span)
        return ANY
