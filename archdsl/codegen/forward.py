"""`forward` bodies: one Python statement per operation.

Nested operations are hoisted into named values, innermost first, as a person would
write them (`x = self.conv1(x)`, `x = self.bn1(x)`). The chain through first
arguments reuses the statement's target name when nothing later in the statement
still reads it; other operations get fresh names from a namespace.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from .. import ir
from ..check.context import DefInfo
from ..check.forward_loops import appended
from ..ir.walk import walk_expr
from ..ops import TENSOR_OPS
from .exprs import SPLAT_PRECEDENCE, ExprWriter, precedence
from .pretty import INDENT, LINE_LENGTH, Doc, Group, Split, flat
from .writer import Writer


class Namespace:
    """Fresh, unique local names (fx's _Namespace, in small). The names already
    taken are gathered on the first question (a walk of the whole forward): a
    forward that hoists nothing, `x = l1(x)` after `x = l0(x)`, never asks."""

    def __init__(self, taken: Callable[[], set[str]]) -> None:
        self._gather = taken
        #: per base, the index its last fresh name took: names are only ever
        #: added, so every index below it stays taken and the next search starts
        #: after it (from 1 each time, 10,000 hoisted `a(x)` made 50 million tries)
        self._last: dict[str, int] = {}

    @cached_property
    def taken(self) -> set[str]:
        return self._gather()

    def fresh(self, base: str) -> str:
        index = self._last.get(base, 0) + 1
        while f"{base}_{index}" in self.taken:
            index += 1
        self._last[base] = index
        name = f"{base}_{index}"
        self.taken.add(name)
        return name


class ForwardWriter:
    def __init__(self, info: DefInfo, out: Writer, exprs: ExprWriter) -> None:
        self.info = info
        self.out = out
        self.exprs = exprs
        forward = info.forward
        assert forward is not None
        self.forward = forward
        self.names = Namespace(
            lambda: _all_names(forward) | set(info.members) | set(info.stored)
        )

    def write(self) -> None:
        self.stmts(self.forward.body)

    def stmts(self, stmts: tuple[ir.Node, ...]) -> None:
        for stmt in stmts:
            if isinstance(stmt, ir.FAssign) and _parallel(stmt):
                # `a, b = f(x), g(x)`: every value is computed before any is bound
                values = [self.operation(v, None) for v in stmt.value.items]  # type: ignore[union-attr]
                self.out.line(_parallel_doc(stmt.targets, values, self.out.depth))
            elif isinstance(stmt, ir.FAssign):
                value = self.statement(stmt.value, stmt.targets[0])
                self.out.line((", ".join(stmt.targets), " = ", value))
            elif isinstance(stmt, ir.FReturn):
                self.write_return(stmt)
            elif isinstance(stmt, ir.FFor):
                self.write_for(stmt)
            elif isinstance(stmt, ir.FCall):
                self.write_append(stmt)
            else:
                self.write_if(stmt)

    def write_for(self, stmt: ir.FFor) -> None:
        """A Python loop, as written: over `self.children()`, a container member
        or a build-time range."""
        iterable = stmt.iter
        if (
            isinstance(iterable, ir.Call)
            and isinstance(iterable.func, ir.Name)
            and (iterable.func.id == "children")
        ):
            doc: Doc = "self.children()"
        else:
            doc = self.exprs.doc(iterable)
        self.out.line(("for ", ", ".join(stmt.targets), " in ", doc, ":"))
        with self.out.indented():
            self.stmts(stmt.body)

    def write_append(self, stmt: ir.FCall) -> None:
        """`features.append(layer(torch.cat(features, 1)))`, the operations inside
        hoisted as in any statement."""
        found = appended(stmt.call)
        assert found is not None, "checked: a list's append"
        name, method, args = found
        target = "out" if "out" not in self.names.taken else self.names.fresh("out")
        value = self.statement(args[0].value, target)
        self.out.line((name, f".{method}", Group("(", (value,), ")")))

    def write_return(self, stmt: ir.FReturn) -> None:
        first, *rest = stmt.values
        if not rest:
            self.out.line(("return ", self.statement(first, "out")))
            return
        # `out` holds the first value while the others are computed: it must not be
        # a name they still read.
        read_later = {
            n.id for v in rest for n in walk_expr(v) if isinstance(n, ir.Name)
        }
        target = "out" if "out" not in read_later else self.names.fresh("out")
        values = [self.statement(first, target, simple=True)]
        values += [self.operand(v, None) for v in rest]
        self.out.line(("return ", *_commas(values)))

    def write_if(self, stmt: ir.FIf) -> None:
        self.out.line(("if ", self.exprs.doc(stmt.cond), ":"))
        with self.out.indented():
            self.stmts(stmt.then) if stmt.then else self.out.line("pass")
        if stmt.orelse:
            self.out.line("else:")
            with self.out.indented():
                self.stmts(stmt.orelse)

    # ---- hoisting ------------------------------------------------------------------------

    def statement(self, expr: ir.Node, target: str, *, simple: bool = False) -> Doc:
        """The last operation of a statement, after hoisting the ones it consumes.
        With `simple`, the result itself is hoisted too and a name is returned."""
        if not simple and _plain_call(expr):
            # `l3(x)`: nothing inside to hoist, so no name to choose (and no walk
            # of the statement: one per layer)
            return self.operation(expr, None)
        spine = target if self._may_reuse(target, expr) else None
        if simple:
            return self.operand(expr, spine)
        return self.operation(expr, spine)

    def operation(self, expr: ir.Node, spine: str | None) -> Doc:
        """`expr` as one operation whose tensor arguments are names or values. The
        first argument continues the spine: it may be hoisted into `spine`. (By
        kind, not isinstance: every layer's statement passes here.)"""
        kind = expr.kind
        if kind == "call":
            return self.call(expr, spine)  # type: ignore[arg-type]
        if kind == "binop" and _is_tensor_expr(expr, self.info):
            prec = precedence(expr)
            right_assoc = expr.op == "**"
            left = self.grouped(expr.left, spine, prec + right_assoc)
            right = self.grouped(expr.right, None, prec + (not right_assoc))
            operand = (f"{expr.op} ", right)
            chained = isinstance(expr.left, ir.BinOp) and precedence(expr.left) == prec
            if chained and isinstance(left, Split) and not right_assoc:  # a // b * c
                return Split((*left.parts, operand))
            return Split((left, operand))
        if kind == "subscript" and _is_tensor_expr(expr.value, self.info):
            index = expr.index
            items = index.items if isinstance(index, ir.TupleExpr) else (index,)
            docs = tuple(self.exprs.doc(i) for i in items)
            return (self.operand(expr.value, spine), Group("[", docs, "]"))
        if kind == "list" or kind == "tuple":
            items = tuple([self.operand(item, spine if i == 0 else None)
                           for i, item in enumerate(expr.items)])  # fmt: skip
            if kind == "list":
                return Group("[", items, "]")
            return Group("(", items, ")", one_tuple=len(items) == 1)
        return self.exprs.doc(expr)

    def call(self, expr: ir.Call, spine: str | None) -> Doc:
        """A tensor method (`x.view(n, -1)`), a layer or tensor op with its tensor
        arguments hoisted, or a build-time call, written as it is."""
        op = self.exprs.method_op(expr)
        if op is not None:
            receiver = self.operand(expr.args[0].value, spine)
            rest = self.exprs.method_args(expr, lambda a: self._argument(a, None))
            return (receiver, f".{op.python}", Group("(", rest, ")"))
        if not _is_tensor_call(expr, self.info):
            return self.exprs.doc(expr)
        args = [self._argument(arg, spine if index == 0 else None)
                for index, arg in enumerate(expr.args)]  # fmt: skip
        args += self.exprs.companions(expr)
        return (self.exprs.callee(expr.func), Group("(", tuple(args), ")"))

    def operand(self, expr: ir.Node, spine: str | None) -> Doc:
        """`expr` as a plain name or build-time value, hoisting any operation."""
        if expr.kind == "name":  # the common case, a tensor's name: `x`
            return self.exprs.doc(expr)
        if not _is_operation(expr, self.info):
            return self.operation(expr, spine)
        name = spine or self.names.fresh(_base_name(expr))
        self.out.line((name, " = ", self.operation(expr, spine and name)))
        return name

    def grouped(self, expr: ir.Node, spine: str | None, minimum: int) -> Doc:
        """An operand of an operator: a hoisted name, or a build-time expression in
        parentheses where its precedence is below `minimum` (`y * (k + 1.0)`)."""
        if _is_operation(expr, self.info):
            return self.operand(expr, spine)
        doc = self.operand(expr, spine)
        return Group("(", (doc,), ")") if precedence(expr) < minimum else doc

    def _argument(self, arg: ir.Node, spine: str | None) -> Doc:
        kind = arg.kind
        if kind == "positional":
            return self.operand(arg.value, spine)
        if kind == "keyword":
            return (arg.name, "=", self.operand(arg.value, None))
        return ("*", self.grouped(arg.value, None, SPLAT_PRECEDENCE))  # a splat

    def _may_reuse(self, target: str, expr: ir.Node) -> bool:
        """Hoisting into `target` is safe when the statement reads `target` nowhere but
        at the innermost end of its first-argument chain, which is read before any
        write."""
        info = self.info
        if target in info.members or target in info.stored or target in info.consts:
            return False
        reads = [
            n for n in walk_expr(expr) if isinstance(n, ir.Name) and n.id == target
        ]
        return not reads or (len(reads) == 1 and reads[0] is _spine_leaf(expr, info))


def _parallel(stmt: ir.FAssign) -> bool:
    value = stmt.value
    return isinstance(value, ir.TupleExpr) and len(value.items) == len(stmt.targets) > 1


def _parallel_doc(targets: tuple[str, ...], values: list[Doc], depth: int) -> Doc:
    """`a, b = f(x), g(y)` on one line where it fits; else, as ruff lays out a
    tuple on the right-hand side, in parentheses, one value per line."""
    doc = (", ".join(targets), " = ", *_commas(values))
    if len(INDENT * depth) + len(flat(doc)) <= LINE_LENGTH:
        return doc
    return (", ".join(targets), " = ", Group("(", tuple(values), ")", explode=True))


def _commas(values: list[Doc]) -> list[Doc]:
    out: list[Doc] = []
    for i, value in enumerate(values):
        out.extend([", ", value] if i else [value])
    return out


def _all_names(forward: ir.Forward) -> set[str]:
    return {n.id for n in walk_expr(forward) if isinstance(n, ir.Name)} | {
        i.name for i in forward.inputs
    }


def _plain_call(expr: ir.Node) -> bool:
    """A call whose arguments are all names and constants: written as it is, with
    no operation inside to hoist into the statement's target."""
    return expr.kind == "call" and all(
        arg.value.kind == "name" or arg.value.kind == "const"
        for arg in expr.args  # type: ignore[attr-defined]
    )


def _spine_leaf(expr: ir.Node, info: DefInfo) -> ir.Node:
    """Follow first arguments down through operations to the first plain value."""
    while True:
        if isinstance(expr, ir.Call) and _is_tensor_call(expr, info) and expr.args:
            expr = expr.args[0].value
        elif isinstance(expr, ir.BinOp) and _is_tensor_expr(expr, info):
            expr = expr.left
        elif isinstance(expr, ir.ListExpr) and expr.items:
            expr = expr.items[0]
        else:
            return expr


def _is_tensor_call(expr: ir.Call, info: DefInfo) -> bool:
    func = expr.func
    if isinstance(func, ir.Subscript):  # `blocks["conv"](x)`: a ModuleDict's child
        return isinstance(func.value, ir.Name) and func.value.id in info.members
    if isinstance(func, ir.Path):
        return func.parts[0] in info.members
    return isinstance(func, ir.Name) and (
        func.id in info.members or func.id in TENSOR_OPS or func.id in info.loop_modules
    )


def _is_tensor_expr(expr: ir.Node, info: DefInfo) -> bool:
    """Whether `expr` computes a tensor (as opposed to a build-time value)."""
    if isinstance(expr, ir.Call):
        return _is_tensor_call(expr, info)
    if isinstance(expr, ir.BinOp):
        return _is_tensor_expr(expr.left, info) or _is_tensor_expr(expr.right, info)
    if isinstance(expr, ir.Subscript):
        return _is_tensor_expr(expr.value, info)
    if isinstance(expr, ir.Name):
        scalar = expr.id in info.scalars or expr.id == "training"
        return not scalar and expr.id not in info.stored and expr.id not in info.consts
    return False


def _is_operation(expr: ir.Node, info: DefInfo) -> bool:
    if isinstance(expr, ir.Call):
        return _is_tensor_call(expr, info)
    return isinstance(expr, ir.BinOp) and _is_tensor_expr(expr, info)


def _base_name(expr: ir.Node) -> str:
    if isinstance(expr, ir.Call) and isinstance(expr.func, ir.Subscript):
        key = expr.func.index  # `blocks["conv"](x)` is named after the child
        if isinstance(key, ir.Constant) and str(key.value).isidentifier():
            return str(key.value)
        return expr.func.value.id  # type: ignore[attr-defined]
    if isinstance(expr, ir.Call):
        func = expr.func
        return func.parts[-1] if isinstance(func, ir.Path) else func.id
    return "out"
