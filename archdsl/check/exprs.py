"""Typing of expressions, shared by build-time bodies and `forward`.

Subclasses say what a name means and what a call builds; everything else (literals,
arithmetic, lists, comprehensions, conditionals) is typed the same way in both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .. import ir
from ..errors import did_you_mean
from ..ir.targets import is_plain, target_names
from ..ops import BUILTINS, TENSOR_OPS, layer
from ..source import Span
from . import dicts, types
from .consts import (
    UNKNOWN,
    EvalProblem,
    binary,
    check_int,
    check_length,
    const_value,
    range_length,
    result_length,
)
from .context import Context, Symbol, Value
from .limits import describe_count, iterations
from .names import why_reserved

ANY = Value("any")
#: The value of a literal, by its type (none, bool, int, float, str).
_CONSTANTS: dict[str, Value] = {}


class Scope:
    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.symbols: dict[str, Symbol] = {}

    def lookup(self, name: str) -> Symbol | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.symbols:
                return scope.symbols[name]
            scope = scope.parent
        return None

    def visible(self) -> list[str]:
        names: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            names.extend(scope.symbols)
            scope = scope.parent
        return names


class ExprChecker:
    def __init__(self, ctx: Context, scope: Scope) -> None:
        self.ctx = ctx
        self.scope = scope
        #: how many times the expression being checked runs: the product of the
        #: enclosing comprehensions' known lengths (for the resource limits)
        self.repeat = 1

    @property
    def known(self) -> dict[str, object]:
        """Build-time values known at check time (see check/consts.py)."""
        return {}

    # ---- to be provided by subclasses ----------------------------------------------

    def name(self, expr: ir.Name) -> Value:
        raise NotImplementedError

    def call(self, expr: ir.Call) -> Value:
        raise NotImplementedError

    def path(self, expr: ir.Path) -> Value:
        self.ctx.error(f"`{expr.dotted}` cannot be used here", expr.span)
        return ANY

    # ---- shared --------------------------------------------------------------------

    def expr(self, expr: ir.Node) -> Value:
        kind = type(expr)  # calls and names first: most of a spec, looked up per kind
        if kind is ir.Call:
            return self.call(expr)
        if kind is ir.Name:
            return self.name(expr)
        return getattr(self, f"_{expr.kind}")(expr)

    def args(self, call: ir.Call) -> list[Value]:
        return [self.expr(arg.value) for arg in call.args]

    def _name(self, expr: ir.Name) -> Value:
        return self.name(expr)

    def _path(self, expr: ir.Path) -> Value:
        return self.path(expr)

    def _call(self, expr: ir.Call) -> Value:
        return self.call(expr)

    def _const(self, expr: ir.Constant) -> Value:
        if isinstance(expr.value, int):
            try:  # a literal is a build-time value like any other: bounded in bits
                check_int(expr.value)
            except EvalProblem as problem:
                self.ctx.error(problem.message, expr.span, hint=problem.hint)
        type_ = types.of_constant(expr.value)
        value = _CONSTANTS.get(type_)
        if value is None:  # one Value per type, shared as ANY is: none is changed
            value = _CONSTANTS[type_] = Value(type_)
        return value

    def _list(self, expr: ir.ListExpr) -> Value:
        values = [self.expr(item) for item in expr.items]
        return Value(_list_type([v.type for v in values]))

    def _tuple(self, expr: ir.TupleExpr) -> Value:
        for item in expr.items:
            self.expr(item)
        return Value("tuple")

    def _listcomp(self, expr: ir.ListComp) -> Value:
        with self.comprehension(expr.clauses):
            return Value(_list_type([self.expr(expr.elt).type]))

    @contextmanager
    def comprehension(self, clauses: tuple[ir.Clause, ...]) -> Iterator[None]:
        """Inside a list or dict comprehension's clauses: each `for` clause opens a
        scope inside the one before, as Python nests them; an `if` clause sees
        every name bound before it. The scopes close on leaving."""
        outer, outer_repeat = self.scope, self.repeat
        try:
            for clause in clauses:
                if isinstance(clause, ir.CompFor):
                    self._comp_for(clause)
                else:
                    self._comp_if(clause)
            yield
        finally:
            self.scope, self.repeat = outer, outer_repeat

    def _comp_for(self, clause: ir.CompFor) -> None:
        iterable = self.expr(clause.iter)
        if types.base(iterable.type) not in ("list", "tuple", "any"):
            self.ctx.error(
                f"cannot repeat over {types.describe(iterable.type)}",
                clause.iter.span,
                hint="iterate over a list, `range(n)`, `zip(...)` or `enumerate(...)`",
            )
        count = iterations(clause.iter, self.known)
        if count is not None and count > self.ctx.limits.max_items:
            self.ctx.error(
                f"this repeats {describe_count(count)} times; the limit is "
                f"{describe_count(self.ctx.limits.max_items)}",
                clause.iter.span,
            )
            count = 1
        self.enter_loop(clause.targets, iterable, count, clause.span)

    def _comp_if(self, clause: ir.CompIf) -> None:
        """A filter keeps the items it holds for: a module or a tensor there is a
        mistake (a module is always true), not a condition."""
        value = self.expr(clause.cond)
        if value.type in ("module", "tensor", "class"):
            self.ctx.error(
                f"a comprehension's `if` needs a condition, not "
                f"{types.describe(value.type)}",
                clause.cond.span,
                hint="compare it: `if c != 0`, `if stride > 1`",
            )

    def enter_loop(
        self, targets: ir.Targets, iterable: Value, count: int | None, span
    ) -> tuple[Scope, int]:
        """Open a loop's scope, its variables bound to the iterable's items (several
        unpacked: unknown), what it builds counted `count` times when known. Returns
        the scope and repeat count to restore when the loop ends."""
        outer, outer_repeat = self.scope, self.repeat
        self.repeat *= count or 1
        self.scope = Scope(outer)
        element = types.item(iterable.type) if is_plain(targets) else "any"
        for target in target_names(targets):
            self._check_loop_name(target, span)
            self.scope.symbols[target] = Symbol(target, "loop", Value(element), span)
        return outer, outer_repeat

    def _check_loop_name(self, name: str, span: Span | None) -> None:
        """A loop variable is a local of the generated code: it must not hide a name
        that code uses (`nn`, `self`), nor a layer, op or definition the spec calls."""
        reason = why_reserved(name)
        if reason is None and (layer(name) or name in TENSOR_OPS or name in BUILTINS):
            reason = f"`{name}` is a torch.nn layer, tensor operation or builtin"
        if reason is None and name in self.ctx.defs:
            reason = f"`{name}` is a definition of this spec"
        if reason:
            self.ctx.error(
                f"cannot name a loop variable `{name}`: {reason}",
                span,
                hint="rename it",
            )

    def _fstring(self, expr: ir.FString) -> Value:
        return dicts.check_fstring(self, expr)

    def _fvalue(self, expr: ir.FormattedValue) -> Value:
        return dicts.check_field(self, expr)

    def _dict(self, expr: ir.DictExpr) -> Value:
        return dicts.check_dict(self, expr)

    def _dictcomp(self, expr: ir.DictComp) -> Value:
        return dicts.check_dictcomp(self, expr)

    def _binop(self, expr: ir.BinOp) -> Value:
        left, right = self.expr(expr.left), self.expr(expr.right)
        self._check_size(expr)
        result = _arith(expr.op, left.type, right.type)
        if result is None:
            self.ctx.error(
                f"`{expr.op}` cannot combine {types.describe(left.type)} "
                f"and {types.describe(right.type)}",
                expr.span,
            )
            return ANY
        return Value(self._power_type(expr, result))

    def _unary(self, expr: ir.UnaryOp) -> Value:
        operand = self.expr(expr.operand)
        if expr.op == "not":
            return Value("bool")
        if operand.type not in ("int", "float", "tensor", "any"):
            self.ctx.error(f"`{expr.op}` needs a number, got {operand.type}", expr.span)
            return ANY
        return operand

    def _compare(self, expr: ir.Compare) -> Value:
        self.expr(expr.left)
        self.expr(expr.right)
        return Value("bool")

    def _boolop(self, expr: ir.BoolOp) -> Value:
        return Value(types.join(self.expr(expr.left).type, self.expr(expr.right).type))

    def _ifexp(self, expr: ir.IfExp) -> Value:
        self.expr(expr.cond)
        then, orelse = self.expr(expr.then), self.expr(expr.orelse)
        if then.type == "module" or orelse.type == "module":
            module = then.module or orelse.module
            return Value(types.join(then.type, orelse.type), module)
        return Value(types.join(then.type, orelse.type))

    def _subscript(self, expr: ir.Subscript) -> Value:
        container = self.expr(expr.value)
        if container.type == "tensor" and container.arity == 1:
            return self.tensor_index(expr)
        if container.type == "dict":  # `cfgs["A"]`: check/dicts.py
            return dicts.check_item(self, expr)
        index = self.expr(expr.index)
        sliceable = types.base(container.type) in ("list", "tuple", "str", "any")
        if index.type == "slice" and sliceable:  # `widths[1:]`: a list, as in Python
            return Value(container.type)
        if index.type not in ("int", "any"):
            self.ctx.error(
                f"an index must be an int, got {index.type}", expr.index.span
            )
        self._check_index(expr)
        return self.item_of(expr, container)

    def tensor_index(self, expr: ir.Subscript) -> Value:
        """`x[:, 0]` (forward's; no tensor exists at build time)."""
        return ANY

    def _slice(self, expr: ir.Slice) -> Value:
        for part in (expr.lower, expr.upper, expr.step):
            if part is not None and self.expr(part).type not in ("int", "none", "any"):
                self.ctx.error("a slice bound must be an int", part.span)
        return Value("slice")

    def _ellipsis(self, expr: ir.EllipsisExpr) -> Value:
        self.ctx.error("`...` indexes tensors only", expr.span)
        return ANY

    def _attribute(self, expr: ir.Attribute) -> Value:
        self.expr(expr.value)
        self.ctx.error(
            f"`.{expr.name}` cannot be read from a computed value",
            expr.span,
            hint="call tensor methods (`.flatten(1)`, `.chunk(2, 1)`) or read "
            "`.shape`; give the value a name to read it again",
        )
        return ANY

    def item_of(self, expr: ir.Subscript, container: Value) -> Value:
        """What indexing `container` gives (forward adds tensors)."""
        if types.base(container.type) == "list":
            return Value(types.item(container.type))
        if container.type in ("tuple", "any"):
            return ANY
        self.ctx.error(f"cannot index {types.describe(container.type)}", expr.span)
        return ANY

    def _check_index(self, expr: ir.Subscript) -> None:
        """`[1, 2][5]`: Python raises IndexError; say so at the index."""
        container = const_value(expr.value, {})
        index = const_value(expr.index, {})
        if isinstance(container, (list, tuple)) and isinstance(index, int):
            if not -len(container) <= index < len(container):
                self.ctx.error(
                    f"index {index} is out of range for {len(container)} items",
                    expr.index.span,
                )

    def _check_range(self, call: ir.Call) -> None:
        """`range(0, 4, 0)` raises ValueError in Python; `range(10**9)` would be a
        list too long to build."""
        known = [const_value(a.value, self.known) for a in call.args]
        literal = [const_value(a.value, {}) for a in call.args]
        if not known or len(known) > 3 or not all(isinstance(a, int) for a in known):
            return
        if len(known) == 3 and known[2] == 0:
            if literal[2] == 0:
                self.ctx.error("`range` step must not be zero", call.args[2].span)
            return
        count = range_length(*known)
        if count > self.ctx.limits.max_items:
            self.ctx.error(
                f"this range has {describe_count(count)} items; the limit is "
                f"{describe_count(self.ctx.limits.max_items)}",
                call.span,
            )

    def _check_size(self, expr: ir.BinOp) -> None:
        """Compute `expr` when its operands are known, to refuse what Python would
        refuse (`1 // 0`) and what would be too large to hold (`[0] * 10**9`,
        `(10 ** 10000) ** 10000`), at the expression, before codegen writes it."""
        left = const_value(expr.left, self.known)
        right = const_value(expr.right, self.known)
        if left is UNKNOWN or right is UNKNOWN:
            return
        try:
            if result_length(expr.op, left, right) is not None:  # measured, not built
                check_length(expr.op, left, right, self.ctx.limits.max_items)
            else:
                binary(expr.op, left, right, self.ctx.limits.max_items)
        except EvalProblem as problem:
            # Python's own refusals only from literals: a parameter's default may
            # be one no caller uses; the evaluator of shapes sees the real values.
            literal = {}
            if problem.limit or UNKNOWN not in (
                const_value(expr.left, literal),
                const_value(expr.right, literal),
            ):
                self.ctx.error(problem.message, expr.span, hint=problem.hint)
        except (TypeError, ValueError):
            return  # a type error, reported by _arith

    def _power_type(self, expr: ir.BinOp, result: str) -> str:
        """`2 ** -1` is 0.5 in Python: an int to a negative power is a float."""
        if expr.op != "**" or result != "int":
            return result
        exponent = const_value(expr.right, {})  # a default may not be the value
        return "float" if isinstance(exponent, int) and exponent < 0 else result

    # ---- helpers for subclasses ----------------------------------------------------

    def undefined(self, name: str, span: Span | None, extra: list[str] = ()) -> Value:
        self.ctx.error(
            f"undefined name `{name}`",
            span,
            hint=did_you_mean(name, [*self.scope.visible(), *extra]),
        )
        return ANY

    def builtin(self, name: str, call: ir.Call, values: list[Value]) -> Value:
        low, high = BUILTINS[name]
        count = len(values)
        if any(isinstance(a, ir.Keyword) for a in call.args):
            self.ctx.error(f"`{name}` takes no keyword arguments", call.span)
        elif count < low or (high is not None and count > high):
            wanted = (
                f"{low}"
                if low == high
                else f"{low} to {high}"
                if high
                else f"{low} or more"
            )
            self.ctx.error(f"`{name}` takes {wanted} arguments, got {count}", call.span)
        elif name == "range":
            self._check_range(call)
        kinds = [v.type for v in values]
        return Value(_builtin_type(name, kinds))


def _list_type(items: list[str]) -> str:
    if items and "tensor" in items and all(t in ("tensor", "any") for t in items):
        return "tensors"  # an `any` came from an error already reported
    return types.list_of(items)


_NUMBERS = ("int", "float")


def _arith(op: str, a: str, b: str) -> str | None:
    if "any" in (a, b):
        return "tensor" if "tensor" in (a, b) else "any"
    if "tensor" in (a, b):
        other = b if a == "tensor" else a
        return "tensor" if other in ("tensor", *_NUMBERS) and op != "//" else None
    if a in _NUMBERS and b in _NUMBERS:
        if op == "/":
            return "float"
        return "int" if a == b == "int" else "float"
    if op == "+" and a == b and a in ("str", "tuple"):
        return a  # concatenation
    if op == "+" and types.base(a) == types.base(b) == "list":
        return a if a == b else "list"
    if op == "*" and {types.base(a), b} == {"list", "int"}:
        return a if types.base(a) == "list" else b
    return None


def _builtin_type(name: str, args: list[str]) -> str:
    if name == "range":
        return "list[int]"
    if name in ("len", "int"):
        return "int"
    if name == "str":
        return "str"
    if name == "round":
        return "int" if len(args) == 1 else "float"
    if name == "sum":
        return "int" if types.item(args[0] if args else "any") == "int" else "any"
    if name == "float":
        return "float"
    if name in ("min", "max"):
        if len(args) == 1:
            return types.item(args[0])
        result = args[0] if args else "any"
        for a in args[1:]:
            result = types.join(result, a)
        return result
    if name == "abs":
        return args[0] if args else "any"
    return "list"  # zip, enumerate: lists of tuples
