"""`forward`: dataflow between named tensor values, members and tensor ops."""

from __future__ import annotations

from .. import ir
from ..errors import did_you_mean
from ..ops import BUILTINS, TENSOR_OPS, layer
from ..records import replace
from ..syntax.sugar import OP_PREFIXES
from . import types
from .base import find_submodule
from .calls import bind
from .consts import const_value
from .context import Context, DefInfo, ModuleRef, Symbol, Value
from .exprs import ANY, ExprChecker, Scope, _arith
from .forward_dicts import keyed_call
from .forward_loops import check_forward_call, check_forward_for
from .guards import ALWAYS, Guard, Guards, branch_tests, merge, missing_where
from .indexing import SCALARS, TENSOR, IndexChecks, op_result
from .layer_options import without_options
from .names import why_reserved
from .state import STATE
from .training import mentions_training


class ForwardChecker(IndexChecks, ExprChecker):
    def __init__(self, ctx: Context, info: DefInfo, build_scope: Scope) -> None:
        super().__init__(ctx, Scope(build_scope))
        self.info = info
        self.build_scope = build_scope
        self.guard: Guard = ALWAYS  # the forward `if` conditions around a statement
        self.returns: list[int] = []
        self.train_returns: list[int] = []  # those under `if training`
        self.in_training = False

    def check(self, forward: ir.Forward) -> None:
        for inp in forward.inputs:
            if inp.name in self.scope.symbols:  # Python: "duplicate argument"
                self.ctx.error(f"`forward` has two inputs named `{inp.name}`", inp.span)
                continue
            self.bind_value(inp.name, "input", TENSOR, inp.span)
        self.stmts(forward.body)
        different = [c for c in self.train_returns if c not in self.returns[:1]]
        if different:
            self.info.train_outputs = different[0]
        if not self.returns and not self.train_returns:
            self.ctx.error(
                "`forward` never returns a value", forward.span, hint="add `return ...`"
            )

    def stmts(self, stmts: tuple[ir.Node, ...]) -> None:
        for stmt in stmts:
            getattr(self, f"_stmt_{stmt.kind}")(stmt)

    def _stmt_fassign(self, stmt: ir.FAssign) -> None:
        values = self._unpacked(stmt)
        named = [t for t in stmt.targets if t != "_"] if len(stmt.targets) > 1 else []
        for twice in sorted({t for t in named if named.count(t) > 1}):
            self.ctx.error(
                f"`{twice}` is assigned twice in one statement",
                stmt.span,
                hint="give each value its own name, or `_` for one you do not use",
            )
        for target, value in zip(stmt.targets, values, strict=True):
            self.bind_value(target, "value", value, stmt.span)
            if value.type in SCALARS:  # a run-time number: `n, c, h, w = size(x)`
                self.info.scalars.add(target)

    def _unpacked(self, stmt: ir.FAssign) -> list[Value]:
        """The value each target of `stmt` gets."""
        count = len(stmt.targets)
        items = stmt.value.items if isinstance(stmt.value, ir.TupleExpr) else ()
        if count > 1 and len(items) == count:  # `a, b = f(x), g(x)`
            return [self._single(item) for item in items]
        value = self.expr(stmt.value)
        if value.type == "tensor":  # the commonest: `x = conv(x)`
            self._expect_tensors(value, stmt.value, count)
            return [TENSOR] * count
        if value.type in SCALARS and count == 1:
            return [value]
        if types.base(value.type) == "list" and value.type != "tensors":
            # `n, c, h, w = size(x)`: how many, shape inference checks
            return [Value(types.item(value.type))] * count if count > 1 else [value]
        if value.type == "tensors" and count == 1:  # `parts = chunk(x, 4)`
            return [value]
        self._expect_tensors(value, stmt.value, count)
        return [TENSOR] * count

    def _single(self, expr: ir.Node) -> Value:
        value = self.expr(expr)
        if value.type in SCALARS:
            return value
        self._expect_tensors(value, expr, 1)
        return TENSOR

    def _stmt_freturn(self, stmt: ir.FReturn) -> None:
        count = 0
        for expr in stmt.values:
            value = self.expr(expr)
            several = value.type in ("tensor", "tensors") and (value.arity or 1) > 1
            if len(stmt.values) == 1 and several:
                count += value.arity  # type: ignore[operator]
                continue
            self._expect_tensors(value, expr, 1)
            count += 1
        if self.in_training:  # may differ from eval mode's (GoogLeNet's aux heads)
            self.train_returns.append(count)
            return
        if self.returns and count != self.returns[0]:
            self.ctx.error(
                f"this `return` gives {count} values, an earlier one gives {self.returns[0]}",
                stmt.span,
            )
        self.returns.append(count)

    def _stmt_ffor(self, stmt: ir.FFor) -> None:
        check_forward_for(self, stmt)

    def _stmt_fcall(self, stmt: ir.FCall) -> None:
        check_forward_call(self, stmt)

    def _stmt_fif(self, stmt: ir.FIf) -> None:
        cond = self.expr(stmt.cond)
        if cond.type in ("tensor", "tensors"):
            self.ctx.error(
                "`if` in forward chooses at build time; it cannot test a tensor",
                stmt.cond.span,
                hint="branch on a parameter, e.g. `if bilinear { ... }`",
            )
        outer, outer_guard = self.scope, self.guard
        outer_training = self.in_training
        self.in_training = outer_training or mentions_training(stmt.cond)
        info = self.info
        taken, *tests = branch_tests(stmt.cond, info.known, info.fixed)
        branches = []
        for body, test in zip((stmt.then, stmt.orelse), tests, strict=True):
            self.scope, self.guard = Scope(outer), outer_guard | test
            self.stmts(body)
            branches.append(self.scope.symbols)
        self.scope, self.guard = outer, outer_guard
        self.in_training = outer_training
        then, orelse = branches
        for name, symbol in {**orelse, **then}.items():
            # a branch that does not assign it keeps the value from before the `if`
            before = outer.lookup(name)
            kept: Guards = before.guards if before is not None else ()
            guards = merge(
                then[name].guards if name in then else kept,
                orelse[name].guards if name in orelse else kept,
                taken,
            )
            outer.symbols[name] = replace(symbol, guards=guards)
        # after `if c { return ... }`, what follows runs only when `not c`
        if _returns_always(stmt.then):
            self.guard = self.guard | {taken.negated()}
        if _returns_always(stmt.orelse):
            self.guard = self.guard | {taken}

    def _expect_tensors(self, value: Value, expr: ir.Node, count: int) -> None:
        if value.type == "tensors" and count > 1:  # `a, b = chunk(x, 2)`
            if value.arity not in (None, 1, count):
                self._count_error(value.arity, count, expr)  # type: ignore[arg-type]
            return
        if value.type not in ("tensor", "any"):
            self.ctx.error(
                f"expected a tensor, got {types.describe(value.type)}",
                expr.span,
                hint="in `forward`, call members and tensor operations on tensors",
            )
        elif value.arity not in (None, count) and value.type == "tensor":
            self._count_error(value.arity, count, expr)  # type: ignore[arg-type]

    def _count_error(self, arity: int, count: int, expr: ir.Node) -> None:
        self.ctx.error(
            f"this gives {arity} value{'s' if arity != 1 else ''}, "
            f"but {count} {'are' if count != 1 else 'is'} expected",
            expr.span,
        )

    def bind_value(self, name: str, kind: str, value: Value, span) -> None:
        reason = why_reserved(name)
        if reason:
            self.ctx.error(
                f"cannot name a value `{name}`: {reason}", span, hint="rename it"
            )
        shadowed = self.build_scope.lookup(name)
        if shadowed is not None:
            self.ctx.error(
                f"`{name}` is already a {shadowed.kind} of `{self.info.name}`",
                span,
                hint="give the tensor another name",
            )
        self.scope.symbols[name] = Symbol(name, kind, value, span, (self.guard,))

    # ---- sequences of tensors ----------------------------------------------------------

    def _tuple(self, expr: ir.TupleExpr) -> Value:
        """`cat((a, b))`: a tuple of tensors is a sequence of tensors, as in torch."""
        values = [self.expr(item) for item in expr.items]
        if values and all(v.type in ("tensor", "any") for v in values):
            if any(v.type == "tensor" for v in values):
                return Value("tensors")
        return Value("tuple")

    def _binop(self, expr: ir.BinOp) -> Value:
        """`[t] * 3` and `[a] + [b]`: lists of tensors repeat and join like lists."""
        kinds = {
            side: self.expr(node).type
            for side, node in (("left", expr.left), ("right", expr.right))
        }
        left, right = kinds["left"], kinds["right"]
        if "tensors" in (left, right):
            other = right if left == "tensors" else left
            if (expr.op == "*" and other == "int") or (
                expr.op == "+" and other in ("tensors", "any")
            ):
                return Value("tensors")
            self.ctx.error(
                f"`{expr.op}` cannot combine {types.describe(left)} and "
                f"{types.describe(right)}",
                expr.span,
                hint="a list of tensors repeats with `* n` and joins with `+`",
            )
            return ANY
        self._check_size(expr)
        result = _arith(expr.op, left, right)
        if result is None:
            self.ctx.error(
                f"`{expr.op}` cannot combine {types.describe(left)} "
                f"and {types.describe(right)}",
                expr.span,
            )
            return ANY
        return Value(result)

    def item_of(self, expr: ir.Subscript, container: Value) -> Value:
        """`attn(q, k, v)[0]`: one of the tensors a call returns."""
        several = container.type in ("tensor", "tensors") and container.arity != 1
        if several and container.arity is not None:
            at = const_value(expr.index, self.known)
            if isinstance(at, int) and not -container.arity <= at < container.arity:
                self.ctx.error(
                    f"index {at} is out of range: this gives {container.arity} values",
                    expr.index.span,
                )
            return TENSOR
        if container.type == "tensors":
            return TENSOR
        return super().item_of(expr, container)

    # ---- names and calls -------------------------------------------------------------

    def _size_names(self) -> set[str]:
        forward = self.info.forward
        inputs = forward.inputs if forward is not None else ()
        return {
            dim.value
            for inp in inputs
            if inp.shape is not None
            for dim in inp.shape.dims
            if isinstance(dim.value, str)
        }

    def _size_hint(self, size: str) -> str:
        """`n, _, h, w = size(f)`: how to read `size` from the input declaring it."""
        for inp in self.info.forward.inputs:  # type: ignore[union-attr]
            dims = [d.value for d in inp.shape.dims] if inp.shape else []
            if size in dims:
                at = dims.index(size)
                return f"read it at run time: `{size.lower()} = size({inp.name}, {at})`"
        return "read it at run time with `size(x)`"

    def name(self, expr: ir.Name) -> Value:
        symbol = self.scope.lookup(expr.id)
        if symbol is None:
            if expr.id in TENSOR_OPS or layer(expr.id) or expr.id in self.ctx.defs:
                self.ctx.error(f"`{expr.id}` must be called", expr.span)
                return ANY
            if expr.id == "training":  # nn.Module's flag: train() or eval() mode
                return Value("bool")
            if expr.id in self._size_names():
                self.ctx.error(
                    f"`{expr.id}` names a size in an input's declared shape, not a "
                    "value",
                    expr.span,
                    hint=self._size_hint(expr.id),
                )
                return ANY
            return self.undefined(expr.id, expr.span)
        if symbol.kind == "member" and symbol.value.type == STATE:
            return Value("tensor")  # a parameter or buffer (check/state.py)
        if symbol.kind == "member":
            self.ctx.error(
                f"member `{expr.id}` must be called: `{expr.id}(x)`", expr.span
            )
            return ANY
        self._check_defined_here(symbol, expr.span)
        if symbol.kind in ("param", "const") and expr.id not in self.info.stored:
            self.info.stored.append(expr.id)
        return symbol.value

    def call(self, expr: ir.Call) -> Value:
        func = expr.func
        if isinstance(func, ir.Path) and self._submodule_of(func) is not None:
            return self._submodule_call(func, expr)
        if isinstance(func, ir.Name):
            symbol = self.scope.lookup(func.id)
            if symbol is not None and symbol.kind == "member":
                if _spelt_as_op(func):  # `F.dropout`, a member
                    self.ctx.error(
                        f"`{_written(func)}` would call the member `{func.id}` here: "
                        "a member takes the name of the operation",
                        func.span,
                        hint=f"rename the member, or write `{func.id}(...)` to call it",
                    )
                    self.args(expr)
                    return ANY
                return self._member_call(symbol, expr)
            if func.id in TENSOR_OPS:
                op = TENSOR_OPS[func.id]
                bind(self.ctx, func.id, op.signature, expr, self.args(expr))
                return op_result(op, expr, self.info.known)
            if func.id in BUILTINS:
                return self.builtin(func.id, expr, self.args(expr))
            if layer(func.id) or func.id in self.ctx.defs:
                self.args(expr)
                self.ctx.error(
                    f"`{func.id}` cannot be built inside `forward`",
                    func.span,
                    hint=f"declare it as a member (`name = {func.id}(...)`) and call that",
                )
                return TENSOR
        keyed = keyed_call(self, expr)  # `blocks["conv"](x)`: forward_dicts.py
        if keyed is not None:
            return keyed
        self.args(expr)
        if isinstance(func, ir.Call):
            self.ctx.error(
                "modules cannot be built inside `forward`",
                func.span,
                hint="declare it as a member (`act = ReLU()`) and call that: `act(x)`",
            )
            return TENSOR
        if not isinstance(func, (ir.Name, ir.Path)):  # `seq[2](x)`, `(a or b)(x)`
            self.ctx.error(
                f"only a member or an operation can be called, not `{_written(func)}`",
                func.span,
                hint="give the module a name of its own (`last = Linear(...)`) and "
                "call that, or call the whole container",
            )
            return ANY
        label = func.dotted if isinstance(func, ir.Path) else func.id
        self.ctx.error(
            f"unknown member or operation `{label}`",
            func.span,
            hint=did_you_mean(label, [*self.info.members, *TENSOR_OPS]),
        )
        return ANY

    def _check_defined_here(self, symbol: Symbol, span) -> None:
        missing = missing_where(symbol.name, symbol.guards, self.guard)
        if missing:
            self.ctx.error(missing[0], span, hint=missing[1])

    def _submodule_of(self, func: ir.Path) -> ModuleRef | None:
        symbol = self.scope.lookup(func.parts[0])
        if symbol is None or symbol.kind != "member" or symbol.value.module is None:
            return None
        return symbol.value.module if symbol.value.module.tree else None

    def _submodule_call(self, func: ir.Path, expr: ir.Call) -> Value:
        """`layer3.1(x)`, `net.layer3(x)`: a submodule of a torchvision model."""
        ref = self._submodule_of(func)
        assert ref is not None and ref.tree is not None
        for arg, value in zip(expr.args, self.args(expr), strict=True):
            self._expect_tensors(value, arg.value, 1)
        if find_submodule(self.ctx, ref.tree, ref.subpath(func.parts[1:]), func.span):
            return TENSOR
        return ANY

    def _member_call(self, symbol: Symbol, expr: ir.Call) -> Value:
        expr = without_options(self, symbol, expr)  # `need_weights=False`
        values = self.args(expr)
        module = symbol.value.module
        self._check_defined_here(symbol, expr.func.span)
        for arg, value in zip(expr.args, values, strict=True):
            self._expect_tensors(value, arg.value, 1)
        if module is None:  # its constructor was already reported (unknown layer)
            return ANY
        if any(not isinstance(a, ir.Positional) for a in expr.args):
            self._keyword_inputs(symbol.name, module, expr)
        if not module.callable:
            self.ctx.error(
                f"`{symbol.name}` is a {module.label} and cannot be called", expr.span
            )
        elif module.inputs is not None and module.inputs != len(values):
            self.ctx.error(
                f"`{symbol.name}` ({module.label}) takes {module.inputs} "
                f"input{'s' if module.inputs != 1 else ''}, got {len(values)}",
                expr.span,
            )
        if not module.outputs or module.outputs == 1:
            return TENSOR  # (shared: no Value is changed once made)
        return Value("tensor", arity=module.outputs)

    def _keyword_inputs(self, name: str, module, expr: ir.Call) -> None:
        """`gate(g=d5, x=x4)`: keywords name a block's forward inputs, as in
        Python; a torch layer's forward takes its tensors by position here."""
        block = self.ctx.defs.get(module.definition) if module.definition else None
        if block is None or any(isinstance(a, ir.Splat) for a in expr.args):
            self.ctx.error(
                f"`{name}` ({module.label}) takes its tensors by position",
                expr.span,
                hint="keywords name the inputs of a block of this spec only",
            )
            return
        given = [a.value for a in expr.args if isinstance(a, ir.Positional)]
        taken = set(block.inputs[: len(given)])
        for arg in expr.keywords:
            if arg.name not in block.inputs:
                inputs = ", ".join(f"`{i}`" for i in block.inputs)
                self.ctx.error(
                    f"`{name}` ({module.label}) has no input `{arg.name}`",
                    arg.span,
                    hint=did_you_mean(arg.name, list(block.inputs))
                    or f"its inputs are {inputs}",
                )
            elif arg.name in taken:
                self.ctx.error(f"input `{arg.name}` is given twice", arg.span)
            taken.add(arg.name)


def _spelt_as_op(func: ir.Name) -> bool:
    """Whether the call was written as torch spells an operation (`F.dropout`:
    sugar made it the short name, with the written span): a span on one line as
    long as the name cannot be, and is not read."""
    span = func.span
    if span is not None and span.line == span.end_line:
        if span.end_column - span.column == len(func.id):
            return False
    return _written(func) in _prefixed(func.id)


def _prefixed(name: str) -> set[str]:
    """How torch spells the operation `name`: `torch.cat`, `F.relu`, ..."""
    return {".".join((*prefix, name)) for prefix in OP_PREFIXES}


def _returns_always(stmts: tuple[ir.Node, ...]) -> bool:
    """Whether every path through `stmts` ends in a `return`."""
    return any(
        isinstance(s, ir.FReturn)
        or (
            isinstance(s, ir.FIf)
            and _returns_always(s.then)
            and _returns_always(s.orelse)
        )
        for s in stmts
    )


def _written(expr: ir.Node) -> str:
    """An expression as the spec wrote it (one line), for messages."""
    written = expr.span.text() if expr.span else None
    return written if written is not None else "this expression"
