"""Build-time bodies: parameters, constants, members, `if`, builders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..errors import did_you_mean
from ..ir.walk import walk_expr
from ..ops import BUILTINS, TENSOR_OPS, Signature, layer, layers
from ..ops.layers import Layer
from ..ops.signature import OPAQUE, REQUIRED, ParamSpec
from . import dicts, families, loops, types
from .arguments import argument_for
from .base import base_tree, find_submodule
from .calls import bind
from .consts import UNKNOWN, const_value
from .context import Context, DefInfo, ModuleRef, Symbol, Value, WeightsSpec
from .exprs import ANY, ExprChecker, Scope
from .guards import ALWAYS, Guard, Guards, branch_tests, merge, missing_where
from .init import check_init_args
from .inplace import is_inplace, spread_first
from .limits import describe_count, describe_gigabytes, parameter_count
from .names import why_reserved
from .partials import check_partial, is_partial_call
from .state import STATE, check_holder, is_holder

if TYPE_CHECKING:
    from ..bases import BaseTree


def def_signature(node: ir.Block | ir.Model | ir.Builder) -> Signature:
    """A definition's constructor signature, as callers see it."""
    return Signature(
        tuple(
            ParamSpec(
                p.name,
                "pos",
                _default_of(p),
                (families.declared_types(p.type) or ("any",)) if p.type else ("any",),
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
        self.guard: Guard = ALWAYS  # the `if` conditions around the statement
        #: each typed parameter's accepted types (several for `int | None`)
        self.accepted: dict[str, tuple[str, ...]] = {}
        self.loops = 0  # build-time `for` loops around the statement

    # ---- parameters ----------------------------------------------------------------

    def params(self) -> None:
        for param in self.info.node.params:
            declared = self._param_type(param)
            if param.default is not None:
                default = self.expr(param.default)
                accepted = self.accepted.get(param.name, (declared,))
                if declared and not types.accepts(accepted, default.type):
                    self.ctx.error(
                        f"default of `{param.name}` is {types.describe(default.type)}, "
                        f"but `{param.name}` is declared {param.type}",
                        param.default.span,
                    )
                declared = declared or default.type
                if isinstance(param.default, ir.Constant):
                    self.info.known[param.name] = param.default.value
            self.define(param.name, "param", Value(declared or "any"), param.span)

    def _param_type(self, param: ir.Param) -> str | None:
        if param.type is None:
            return None
        accepted = families.param_type(self.ctx, param.type)
        if accepted is None:
            return "any"
        self.accepted[param.name] = accepted
        return families.value_type(accepted)

    # ---- statements ----------------------------------------------------------------

    def body(self, stmts: tuple[ir.Node, ...]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                self.assign(stmt)
            elif isinstance(stmt, ir.If):
                self.if_stmt(stmt)
            elif isinstance(stmt, ir.For):
                loops.check_for(self, stmt)
            elif isinstance(stmt, ir.CallStmt):
                loops.check_call_stmt(self, stmt)
            elif isinstance(stmt, ir.Init):
                check_init_args(self, stmt)
            elif self.info.kind != "model" and isinstance(
                stmt, (ir.Outputs, ir.InputDecl, ir.At, ir.Weights, ir.Freeze)
            ):
                self.ctx.error(
                    f"`{stmt.kind.split('_')[0]}` belongs in a model", stmt.span
                )
            elif isinstance(stmt, ir.Weights):
                self.weights(stmt)
            elif isinstance(stmt, ir.Freeze):
                self.freeze(stmt)

    def assign(self, stmt: ir.Assign) -> None:
        if stmt.target[0] == "self":
            self.ctx.error(
                "members are named without `self.`",
                stmt.span,
                hint=f"write `{'.'.join(stmt.target[1:])} = ...`: archdsl adds `self.`",
            )
            if len(stmt.target) == 1:
                return  # `self = ...`: nothing left to define
            stmt = stmt.model_copy(update={"target": stmt.target[1:]})
        owner = self._base_owner(stmt.target[0])
        if owner is not None and (len(stmt.target) > 1 or owner.prefix):
            self.replace(stmt, owner)
            return
        if len(stmt.target) > 1:
            self.ctx.error(
                f"`{stmt.name}` is a submodule path; only a model that extends a base "
                "model, or a member built from a torchvision model, has submodules "
                "to replace",
                stmt.span,
            )
            return
        value = self.expr(stmt.value)
        # After an error inside a call, still define the name as the member it was
        # meant to be, so `forward` does not report it a second time.
        unknown_call = value.type == "any" and isinstance(stmt.value, ir.Call)
        member = value.type in ("module", STATE) or unknown_call
        kind = "member" if member else "const"
        if value.type == "tensor":
            self.ctx.error(
                "tensors are computed in `forward`, not at build time", stmt.span
            )
        dicts.check_loose(self, value, stmt)
        if kind == "member" and self.loops:
            self.ctx.error(
                f"member `{stmt.name}` is made in a loop: each pass would replace it",
                stmt.span,
                hint='name each child: `add_module("name" + str(i), ...)`, or append '
                "to a Sequential member",
            )
        previous = self.scope.lookup(stmt.name)
        if previous is not None and loops.reassign(self, stmt, previous, value):
            return
        if kind == "const":
            known = const_value(stmt.value, self.info.known)
            if known is not UNKNOWN:
                self.info.known[stmt.name] = known
                if not self.guard and _fixed(stmt.value, self.info.fixed):
                    self.info.fixed.add(stmt.name)
        self.define(stmt.name, kind, value, stmt.span)

    @property
    def known(self) -> dict[str, object]:
        return self.info.known

    def _count(self, call: ir.Call, params: int) -> None:
        """Count a module (and its parameters) built `self.repeat` times; refuse
        once when a limit is crossed."""
        info, limits = self.info, self.ctx.limits
        before = (info.modules_built, info.params_built)
        info.modules_built += self.repeat
        info.params_built += params * self.repeat
        if info.modules_built > limits.max_modules >= before[0]:
            self.ctx.error(
                f"`{info.name}` would build at least "
                f"{describe_count(info.modules_built)} modules; the limit is {describe_count(limits.max_modules)}",
                call.span,
            )
        if info.params_built > limits.max_params >= before[1]:
            gigabytes = describe_gigabytes(info.params_built)
            self.ctx.error(
                f"`{info.name}` would have about {describe_count(info.params_built)} "
                f"parameters ({gigabytes} GB as float32); the limit is "
                f"{describe_count(limits.max_params)}",
                call.span,
                hint="raise it with `--max-params N` if you mean it",
            )

    # ---- torchvision models -------------------------------------------------------

    def adopt_base(self, tree: BaseTree) -> None:
        """A model extending `tree`'s model has its children as members."""
        assert isinstance(self.info.node, ir.Model) and self.info.node.base is not None
        self._count(self.info.node.base, tree.root.params)
        for child in tree.root.children:
            node = tree.get(child)
            assert node is not None
            ref = ModuleRef(node.type, tree=tree, prefix=child)
            symbol = Symbol(child, "member", Value("module", ref), self.info.node.span)
            self.scope.symbols[child] = symbol
            self.info.members[child] = symbol

    def _base_owner(self, name: str) -> ModuleRef | None:
        symbol = self.scope.lookup(name)
        if symbol is None or symbol.kind != "member" or symbol.value.module is None:
            return None
        return symbol.value.module if symbol.value.module.tree else None

    def replace(self, stmt: ir.Assign, owner: ModuleRef) -> None:
        """`fc = ...`, `layer4.2.conv3 = ...`, `net.fc = ...`: a new submodule in
        place of a torchvision one, keeping every other key."""
        tree = owner.tree
        assert tree is not None
        path = owner.subpath(stmt.target[1:])
        value = self.expr(stmt.value)
        if value.type not in ("module", "any"):
            self.ctx.error(
                f"`{stmt.name}` must be replaced by a module, "
                f"got {types.describe(value.type)}",
                stmt.value.span,
            )
        node = find_submodule(self.ctx, tree, path, stmt.span)
        if node is None:
            return
        if any(t is tree and n is node for t, n, _ in self.info.replacements):
            self.ctx.error(f"`{stmt.name}` is already replaced", stmt.span)
            return
        self.info.replacements.append((tree, node, stmt.value))
        self.info.replaced_refs[node.path] = value.module

    # ---- weights and freezing -------------------------------------------------------

    def weights(self, stmt: ir.Weights) -> None:
        options = self._constant_args(
            stmt, "weights", ("path", "strict", "allow_pickle")
        )
        if options is None:
            return
        path = options.get("path")
        if not isinstance(path, str):
            self.ctx.error("`weights` needs a file path", stmt.span,
                           hint='`weights("resnet50.safetensors")`')  # fmt: skip
            return
        strict, allow_pickle = (
            options.get("strict", True),
            options.get("allow_pickle", False),
        )
        if not isinstance(strict, bool) or not isinstance(allow_pickle, bool):
            self.ctx.error("`strict` and `allow_pickle` are True or False", stmt.span)
            return
        from ..weights import weights_file_problem  # only specs that load weights

        problem = weights_file_problem(path, allow_pickle)
        if problem:
            self.ctx.error(problem[0], stmt.span, hint=problem[1])
        if self.info.weights is not None:
            self.ctx.error("a model names one weights file", stmt.span)
        self.info.weights = WeightsSpec(path, strict, allow_pickle)

    def freeze(self, stmt: ir.Freeze) -> None:
        patterns = []
        for arg in stmt.args:
            value = const_value(arg.value, self.info.known)
            if not isinstance(arg, ir.Positional) or not isinstance(value, str):
                self.ctx.error(
                    "`freeze` takes parameter path patterns as strings",
                    arg.span,
                    hint='for example `freeze("conv1.*", "bn1.*", "layer1.*")`',
                )
                continue
            patterns.append(value)
            self.info.freeze_spans.append((value, arg.span))
        self.info.freeze += tuple(patterns)

    def _constant_args(
        self, stmt: ir.Weights, what: str, names: tuple[str, ...]
    ) -> dict[str, object] | None:
        options: dict[str, object] = {}
        for index, arg in enumerate(stmt.args):
            name = arg.name if isinstance(arg, ir.Keyword) else None
            if name is None and isinstance(arg, ir.Positional) and index == 0:
                name = names[0]
            if name not in names:
                self.ctx.error(
                    f"`{what}` takes {', '.join(f'`{n}`' for n in names)}",
                    arg.span,
                    hint=did_you_mean(getattr(arg, "name", ""), names),
                )
                return None
            value = const_value(arg.value, self.info.known)
            if value is UNKNOWN:
                self.ctx.error(f"`{name}` must be known at check time", arg.value.span)
                return None
            options[name] = value
        return options

    def if_stmt(self, stmt: ir.If) -> None:
        self.expr(stmt.cond)
        outer, outer_guard = self.scope, self.guard
        taken, *tests = branch_tests(stmt.cond, self.info.known, self.info.fixed)
        branches = []
        for branch, test in zip((stmt.then, stmt.orelse), tests, strict=True):
            self.scope, self.guard = Scope(outer), outer_guard | test
            self.body(branch)
            branches.append(self.scope.symbols)
        self.scope, self.guard = outer, outer_guard
        then, orelse = branches
        for name, symbol in {**orelse, **then}.items():
            none: Guards = ()
            symbol.guards = merge(
                then[name].guards if name in then else none,
                orelse[name].guards if name in orelse else none,
                taken,
            )
            if name in orelse:  # the member tables hold the last one defined
                orelse[name].guards = symbol.guards
            outer.symbols[name] = symbol

    def define(self, name: str, kind: str, value: Value, span) -> None:
        reason = why_reserved(name, attribute=kind in ("member", "const", "param"))
        if reason:
            self.ctx.error(
                f"cannot name a {kind} `{name}`: {reason}", span, hint="rename it"
            )
        previous = self.scope.lookup(name)
        # torchvision's `dropout: float` beside `self.dropout = nn.Dropout(dropout)`:
        # the generated code keeps `self.dropout` and the argument apart
        shadows_param = kind == "member" and previous and previous.kind == "param"
        if previous is not None and not shadows_param:
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
        symbol = Symbol(name, kind, value, span, (self.guard,))
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
            missing = missing_where(expr.id, symbol.guards, self.guard)
            if missing:
                self.ctx.error(missing[0], expr.span, hint=missing[1])
            return symbol.value
        as_type = families.class_value(self.ctx, expr.id)
        if as_type is not None:  # `block: module = BasicBlock`
            if expr.id in self.ctx.defs:
                self.info.uses.setdefault(expr.id, expr.span)
            return as_type
        if expr.id in self.ctx.defs or layer(expr.id) or expr.id in BUILTINS:
            self.ctx.error(
                f"`{expr.id}` must be called", expr.span, hint=f"write `{expr.id}(...)`"
            )
            return ANY
        if expr.id == "training":
            self.ctx.error(
                "`training` is known only when `forward` runs (train() or eval() "
                "mode), not when the model is built",
                expr.span,
                hint="build the members either way and branch on `training` inside "
                "`forward`",
            )
            return ANY
        return self.undefined(expr.id, expr.span, [*self.ctx.defs])

    def call(self, expr: ir.Call) -> Value:
        if is_holder(expr):  # `Parameter(zeros(...))`: check/state.py
            return check_holder(self, expr)
        values = self.args(expr)
        func = expr.func
        if isinstance(func, ir.Path):
            return self._dotted_call(func, expr)
        if not isinstance(func, ir.Name):
            self.ctx.error(
                "only layers, blocks, builders and builtins can be called", expr.span
            )
            return ANY
        name = func.id
        symbol = self.scope.lookup(name)
        if symbol is not None and symbol.value.type == families.CLASS:
            return families.class_call(symbol.value)  # `block(inplanes, planes)`
        if symbol is not None and symbol.kind == "loop" and symbol.value.type == "any":
            return ANY  # `for kind, c in ...`: built, and checked, with its value
        if is_partial_call(self.ctx, expr, shadowed=symbol is not None):
            return check_partial(self.ctx, expr, values, def_signature)
        if name in self.ctx.defs:
            return self._def_call(name, expr, values)
        if dicts.takes_dict(name, values):  # ModuleDict({...}), Sequential({...})
            self._count(expr, 0)
            return dicts.check_container(self, name, expr, values)
        found = layer(name)
        if found is not None:
            params, outputs, inplace = self._layer_call(name, found, expr, values)
            self._count(expr, params)
            ref = ModuleRef(name, found.inputs, outputs, callable=found.callable)
            ref.inplace = inplace
            if name == "ModuleList":
                self._module_list_items(expr, values)
            if found.signature.named_children and values:
                # the first layer to see its input
                ref.first = values[0].module or spread_first(expr.args[0], self.ctx)
                ref.children = _children(expr, values)
            return Value("module", ref)
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

    def _layer_call(
        self, name: str, found: Layer, expr: ir.Call, values: list[Value]
    ) -> tuple[int, int, bool]:
        """A layer call checked against its signature (bind), and what it builds:
        its parameters (as far as known here), its outputs, whether it works in
        place. All of it follows from the layer and the arguments alone when they
        are literals: such a call (`Linear(16, 16)`, thousands of times in a deep
        spec) is worked out once per check, when binding found nothing wrong."""
        key = _literal_call(name, expr)
        kept = self.ctx.layer_calls.get(key) if key is not None else None
        if kept is not None:
            return kept
        first = len(self.ctx.diagnostics)
        bind(self.ctx, name, found.signature, expr, values)
        params = parameter_count(expr, self.known)
        outputs = found.outputs
        # (a keyword the layer lacks is reported by bind, and still read here)
        if found.signature.param("return_indices") is not None or expr.keywords:
            indices = argument_for(found.signature, expr, "return_indices")
            if isinstance(indices, ir.Constant) and indices.value is True:
                outputs = 2  # a pool giving its values and their indices
        made = (params, outputs, is_inplace(found.signature, expr))
        if key is not None and len(self.ctx.diagnostics) == first:
            self.ctx.layer_calls[key] = made
        return made

    def path(self, expr: ir.Path) -> Value:
        """`block.expansion`: a constant of a block type."""
        symbol = self.scope.lookup(expr.parts[0])
        owner = symbol.value if symbol is not None else None
        if owner is None:
            owner = families.class_value(self.ctx, expr.parts[0])
        if owner is None or owner.type != families.CLASS:
            return super().path(expr)
        return families.class_constant(self.ctx, owner, expr, symbol is None)

    def _module_list_items(self, call: ir.Call, values: list[Value]) -> None:
        """`ModuleList([...])` holds modules only: torch refuses anything else."""
        for arg, value in zip(call.args, values, strict=True):
            item = types.item(value.type)
            if isinstance(arg, ir.Positional) and item not in ("module", "any"):
                self.ctx.error(
                    f"`ModuleList` holds modules; this list holds {types.describe(item)}",
                    arg.value.span,
                )

    def _def_call(self, name: str, expr: ir.Call, values: list[Value]) -> Value:
        target = self.ctx.defs[name]
        self._count(expr, 0)
        self.info.uses.setdefault(name, expr.func.span)
        bind(self.ctx, name, def_signature(target.node), expr, values)
        if target.kind == "builder" and target.returns != "module":
            return Value(target.returns)  # `make_divisible(...)`: a number
        if target.kind == "builder":
            return Value("module", ModuleRef(name, None, None, definition=name))
        ref = ModuleRef(name, len(target.inputs), target.outputs, definition=name)
        return Value("module", ref)

    def _dotted_call(self, func: ir.Path, expr: ir.Call) -> Value:
        if func.parts[0] == "torchvision":
            resolved = base_tree(self.ctx, expr, self.info.known)
            if resolved is None:
                return ANY
            builder, tree = resolved
            self._count(expr, tree.root.params)
            return Value("module", ModuleRef(builder, tree=tree))
        if func.parts[0] == "nn" and len(func.parts) == 2 and layer(func.parts[1]):
            self.ctx.error(
                f"write `{func.parts[1]}`, not `{func.dotted}`",
                func.span,
                hint="layers use their torch.nn names without a prefix",
            )
        else:
            self.ctx.error(f"unknown layer or block `{func.dotted}`", func.span)
        return ANY


def _children(
    call: ir.Call, values: list[Value]
) -> tuple[tuple[str, ModuleRef | None], ...] | None:
    """A Sequential's children as its state_dict names them: `0, 1, ...`, or the
    keywords; None when a `*` spreads a list whose items are not known here."""
    if any(isinstance(a, ir.Splat) for a in call.args):
        return None
    return tuple(
        (arg.name if isinstance(arg, ir.Keyword) else str(index), value.module)
        for index, (arg, value) in enumerate(zip(call.args, values, strict=True))
    )


def _literal_call(name: str, call: ir.Call) -> tuple | None:
    """What decides how a call binds, when every argument is a literal: the layer,
    and each argument's kind, keyword and value (its type too: 1, 1.0 and True
    differ; a float by its repr: -0.0 is not 0.0); None otherwise."""
    key: list[object] = [name]
    for arg in call.args:
        inner = arg.value
        if type(inner) is not ir.Constant:
            return None
        value = inner.value
        written = repr(value) if type(value) is float else value
        key.append((type(arg), getattr(arg, "name", None), type(value), written))
    return tuple(key)


def _fixed(expr: ir.Node, fixed: set[str]) -> bool:
    """Whether an expression's value is the same in every build: it reads only
    constants that are (no parameter, no loop variable)."""
    return all(n.id in fixed for n in walk_expr(expr) if isinstance(n, ir.Name))
