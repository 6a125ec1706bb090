"""Lark parse tree -> IR. Every node gets the span of the text it came from.

Each grammar rule's method takes (meta, children), as lark's Transformer calls a
`v_args(meta=True)` method. The fast parsers call them directly; the tree path
runs them with lark's Transformer (syntax/transform.py). So this module does not
import lark, which a spec the fast path parses never loads."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import ir
from ..errors import ArchError, Diagnostic
from ..source import Source, Span
from .fstrings import fstring
from .pairs import ordered_pairs
from .sugar import method_call, plain_forward, plain_state

if TYPE_CHECKING:
    from lark import Token, Tree


class _Lower:
    def __init__(self, source: Source) -> None:
        self.source = source

    def _span(self, meta: Any) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, token: Token) -> Span:
        return Span(
            self.source, token.line, token.column, token.end_line, token.end_column
        )

    def _sugared(self, meta: Any) -> bool:
        """Whether syntax/sugar.py may have something to rewrite in this extent
        (lark's meta cannot say; the fast parser's can: fastlower.py)."""
        return True

    # ---- program and definitions ---------------------------------------------------

    def start(self, meta: Any, items: list[Any]) -> ir.Program:
        imports = tuple(i for i in items if isinstance(i, ir.Import))
        defs = tuple(i for i in items if not isinstance(i, ir.Import))
        return ir.Program(path=self.source.path, imports=imports, definitions=defs)

    def import_all(self, meta: Any, c: list[Any]) -> ir.Import:
        return ir.Import(path=_string(c[0]), span=self._span(meta))

    def import_names(self, meta: Any, c: list[Any]) -> ir.Import:
        names = tuple(str(t) for t in c[1:])
        return ir.Import(path=_string(c[0]), names=names, span=self._span(meta))

    def block(self, meta: Any, c: list[Any]) -> ir.Block:
        name, params, body = c
        return ir.Block(name=str(name), params=params, body=body, span=self._tok(name))

    def model(self, meta: Any, c: list[Any]) -> ir.Model:
        name, params, base, body = c
        return ir.Model(
            name=str(name),
            params=params or (),
            base=base,
            body=body,
            span=self._tok(name),
        )

    def extends(self, meta: Any, c: list[Any]) -> ir.Call:
        path, args = c
        func = ir.Path(parts=tuple(str(path).split(".")), span=self._tok(path))
        return ir.Call(func=func, args=args, span=self._span(meta))

    def builder(self, meta: Any, c: list[Any]) -> ir.Builder:
        name, params, body = c
        return ir.Builder(
            name=str(name), params=params, body=body, span=self._tok(name)
        )

    def params(self, meta: Any, c: list[Any]) -> tuple[ir.Param, ...]:
        return tuple(p for p in c if p is not None)

    def param(self, meta: Any, c: list[Any]) -> ir.Param:
        name, type_, default = c
        return ir.Param(
            name=str(name), type=type_, default=default, span=self._tok(name)
        )

    def type(self, meta: Any, c: list[Any]) -> ir.TypeRef:
        if len(c) == 1:
            return c[0]
        return ir.TypeRef(name="|", options=tuple(c), span=self._span(meta))

    def type_term(self, meta: Any, c: list[Any]) -> ir.TypeRef:
        name, *args = (x for x in c if x is not None)
        return ir.TypeRef(
            name=str(name),
            arg=args[0] if args else None,
            more=tuple(args[1:]),
            span=self._span(meta),
        )

    def none_type(self, meta: Any, c: list[Any]) -> ir.TypeRef:
        return ir.TypeRef(name="None", span=self._span(meta))

    def variant(self, meta: Any, c: list[Any]) -> ir.Variant:
        name, params, model, args = c
        return ir.Variant(
            name=str(name),
            model=str(model),
            args=args,
            params=params or (),
            span=self._tok(name),
        )

    # ---- build-time statements -----------------------------------------------------

    def body(self, meta: Any, c: list[Any]) -> tuple[Any, ...]:
        return plain_state(tuple(c))

    def assign(self, meta: Any, c: list[Any]) -> ir.Assign:
        target, value = c
        return ir.Assign(
            target=tuple(str(target).split(".")), value=value, span=self._tok(target)
        )

    def if_stmt(self, meta: Any, c: list[Any]) -> ir.If:
        cond, then, orelse = c
        orelse = (orelse,) if isinstance(orelse, ir.If) else orelse or ()
        return ir.If(cond=cond, then=then, orelse=orelse, span=self._span(meta))

    def for_stmt(self, meta: Any, c: list[Any]) -> ir.For:
        targets, iterable, body = c
        return ir.For(
            targets=targets,
            iter=iterable,
            body=body,
            span=self._span(meta),
        )

    def call_stmt(self, meta: Any, c: list[Any]) -> ir.CallStmt:
        func, args = c
        parts = tuple(str(func).split("."))
        span = self._tok(func)
        target = (
            ir.Name(id=parts[0], span=span)
            if len(parts) == 1
            else ir.Path(parts=parts, span=span)
        )
        call = ir.Call(func=target, args=args, span=self._span(meta))
        return ir.CallStmt(call=call, span=self._span(meta))

    def outputs(self, meta: Any, c: list[Any]) -> ir.Outputs:
        return ir.Outputs(args=c[0], span=self._span(meta))

    def input_decl(self, meta: Any, c: list[Any]) -> ir.InputDecl:
        return ir.InputDecl(name=str(c[0]), shape=c[1], span=self._tok(c[0]))

    def at_stmt(self, meta: Any, c: list[Any]) -> ir.At:
        path, name, value = c
        return ir.At(
            path=tuple(str(path).split(".")),
            input=str(name),
            value=value,
            span=self._tok(path),
        )

    def weights_stmt(self, meta: Any, c: list[Any]) -> ir.Weights:
        return ir.Weights(args=c[0], span=self._span(meta))

    def freeze_stmt(self, meta: Any, c: list[Any]) -> ir.Freeze:
        return ir.Freeze(args=c[0], span=self._span(meta))

    def init_stmt(self, meta: Any, c: list[Any]) -> ir.Init:
        return ir.Init(rules=tuple(c), span=self._span(meta))

    def init_rule(self, meta: Any, c: list[Any]) -> ir.InitRule:
        targets = tuple(t for t in c if isinstance(t, _InitTarget))
        actions = tuple(a for a in c if not isinstance(a, _InitTarget))
        return ir.InitRule(
            targets=tuple(t.node for t in targets),
            actions=actions,
            span=self._span(meta),
        )

    def init_target(self, meta: Any, c: list[Any]) -> _InitTarget:
        token = c[0]
        if token.type == "STRING":
            return _InitTarget(ir.Constant(value=_string(token), span=self._tok(token)))
        return _InitTarget(ir.Name(id=str(token), span=self._tok(token)))

    # ---- forward -------------------------------------------------------------------

    def forward(self, meta: Any, c: list[Any]) -> ir.Forward:
        *inputs, body = c
        if isinstance(body, list):  # `forward(x) = expr` or `= a, b`
            span = _joined(body[0].span, body[-1].span)
            body = (ir.FReturn(values=tuple(body), span=span),)
        inputs = tuple(i for i in inputs if i is not None)
        forward = ir.Forward(inputs=inputs, body=body, span=self._span(meta))
        return plain_forward(forward) if self._sugared(meta) else forward

    def fparam(self, meta: Any, c: list[Any]) -> ir.Input:
        return ir.Input(name=str(c[0]), shape=c[1], span=self._tok(c[0]))

    def shape(self, meta: Any, c: list[Any]) -> ir.Shape:
        return ir.Shape(dims=tuple(c), span=self._span(meta))

    def dim(self, meta: Any, c: list[Any]) -> ir.Dim:
        token = c[0]
        value = int(token) if token.type == "INT" else str(token)
        return ir.Dim(value=value, span=self._tok(token))

    def fbody(self, meta: Any, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def fassign(self, meta: Any, c: list[Any]) -> ir.FAssign:
        *targets, values = c
        value = values[0]
        if len(values) > 1:  # `a, b = f(x), g(x)`: one tuple, as Python reads it
            span = _joined(values[0].span, values[-1].span)
            value = ir.TupleExpr(items=tuple(values), span=span)
        return ir.FAssign(
            targets=tuple(map(str, targets)),
            value=value,
            span=self._tok(targets[0]),
        )

    def fvalues(self, meta: Any, c: list[Any]) -> list[Any]:
        return list(c)  # a list: `forward` tells it from a body (a tuple)

    def faugassign(self, meta: Any, c: list[Any]) -> ir.FAssign:
        """`x += y` is `x = x + y`: a new value, never a change in place."""
        target, op, value = c
        name = ir.Name(id=str(target), span=self._tok(target))
        binop = ir.BinOp(op=str(op)[:-1], left=name, right=value, span=self._span(meta))
        return ir.FAssign(targets=(str(target),), value=binop, span=self._tok(target))

    def freturn(self, meta: Any, c: list[Any]) -> ir.FReturn:
        return ir.FReturn(values=tuple(c), span=self._span(meta))

    def ffor(self, meta: Any, c: list[Any]) -> ir.FFor:
        *targets, iterable, body = c
        return ir.FFor(
            targets=tuple(str(t) for t in targets),
            iter=iterable,
            body=body,
            span=self._span(meta),
        )

    def fcall(self, meta: Any, c: list[Any]) -> ir.FCall:
        func, args = c
        path = ir.Path(parts=tuple(str(func).split(".")), span=self._tok(func))
        call = ir.Call(func=path, args=args, span=self._span(meta))
        return ir.FCall(call=call, span=self._span(meta))

    def fif(self, meta: Any, c: list[Any]) -> ir.FIf:
        cond, then, orelse = c
        orelse = (orelse,) if isinstance(orelse, ir.FIf) else orelse or ()
        return ir.FIf(cond=cond, then=then, orelse=orelse, span=self._span(meta))

    # ---- expressions ---------------------------------------------------------------

    def ifexp(self, meta: Any, c: list[Any]) -> ir.IfExp:
        then, cond, orelse = c
        return ir.IfExp(cond=cond, then=then, orelse=orelse, span=self._span(meta))

    def or_(self, meta: Any, c: list[Any]) -> ir.BoolOp:
        return ir.BoolOp(op="or", left=c[0], right=c[1], span=self._span(meta))

    def and_(self, meta: Any, c: list[Any]) -> ir.BoolOp:
        return ir.BoolOp(op="and", left=c[0], right=c[1], span=self._span(meta))

    def not_(self, meta: Any, c: list[Any]) -> ir.UnaryOp:
        return ir.UnaryOp(op="not", operand=c[0], span=self._span(meta))

    def compare(self, meta: Any, c: list[Any]) -> ir.Compare:
        left, op, right = c
        return ir.Compare(op=str(op), left=left, right=right, span=self._span(meta))

    def binop(self, meta: Any, c: list[Any]) -> ir.BinOp:
        left, op, right = c
        return ir.BinOp(op=str(op), left=left, right=right, span=self._span(meta))

    def pow_(self, meta: Any, c: list[Any]) -> ir.BinOp:
        return ir.BinOp(op="**", left=c[0], right=c[1], span=self._span(meta))

    def unary(self, meta: Any, c: list[Any]) -> ir.UnaryOp:
        return ir.UnaryOp(op=str(c[0]), operand=c[1], span=self._span(meta))

    def call(self, meta: Any, c: list[Any]) -> ir.Call:
        if isinstance(c[0], ir.Attribute):  # `f(x).flatten(1)`: a tensor method
            return method_call(c[0].value, c[0].name, c[1], self._span(meta))
        call = ir.Call(func=c[0], args=c[1], span=self._span(meta))
        return ordered_pairs(call)  # OrderedDict([("a", m)]) is OrderedDict({"a": m})

    def subscript(self, meta: Any, c: list[Any]) -> ir.Subscript:
        value, items = c
        index = items[0]
        if len(items) > 1:  # `x[:, 0]`: Python passes a tuple of indices
            span = _joined(items[0].span, items[-1].span)
            index = ir.TupleExpr(items=items, span=span)
        return ir.Subscript(value=value, index=index, span=self._span(meta))

    def subscripts(self, meta: Any, c: list[Any]) -> tuple[Any, ...]:
        return tuple(c)

    def slice(self, meta: Any, c: list[Any]) -> ir.Slice:
        lower, upper, step = (c + [None, None, None])[:3]
        return ir.Slice(lower=lower, upper=upper, step=step, span=self._span(meta))

    def ellipsis(self, meta: Any, c: list[Any]) -> ir.EllipsisExpr:
        return ir.EllipsisExpr(span=self._tok(c[0]))

    def attribute(self, meta: Any, c: list[Any]) -> ir.Node:
        value, name = c
        if str(name) == "shape":  # `f(x).shape` is `size(f(x))`
            return method_call(value, "size", (), self._span(meta))
        return ir.Attribute(value=value, name=str(name), span=self._span(meta))

    def args(self, meta: Any, c: list[Any]) -> tuple[Any, ...]:
        return tuple([
            a
            if isinstance(a, (ir.Keyword, ir.Splat))
            else ir.Positional(value=a, span=a.span)
            for a in c
            if a is not None
        ])  # fmt: skip

    def kwarg(self, meta: Any, c: list[Any]) -> ir.Keyword:
        return ir.Keyword(name=str(c[0]), value=c[1], span=self._tok(c[0]))

    def splat(self, meta: Any, c: list[Any]) -> ir.Splat:
        return ir.Splat(value=c[1], span=self._span(meta))

    def name(self, meta: Any, c: list[Any]) -> ir.Name:
        return ir.Name(id=str(c[0]), span=self._tok(c[0]))

    def dotted(self, meta: Any, c: list[Any]) -> ir.Path:
        return ir.Path(parts=tuple(str(c[0]).split(".")), span=self._tok(c[0]))

    def int_(self, meta: Any, c: list[Any]) -> ir.Constant:
        return int_constant(str(c[0]), self._tok(c[0]))

    def float_(self, meta: Any, c: list[Any]) -> ir.Constant:
        value = float(str(c[0]))
        if not math.isfinite(value):  # 1e999: Python reads inf, which has no literal
            raise _literal_error(
                f"`{c[0]}` is too large for a float (the largest is about 1.8e308)",
                self._tok(c[0]),
            )
        return ir.Constant(value=value, span=self._tok(c[0]))

    def string(self, meta: Any, c: list[Any]) -> ir.Constant:
        return ir.Constant(value=_string(c[0]), span=self._tok(c[0]))

    def fstring(self, meta: Any, c: list[Any]) -> ir.FString:
        return fstring(c[0], self._tok(c[0]), self._field)

    def _field(self, text: str, line: int, column: int) -> ir.Node | None:
        """An f-string field's expression, with spans where it is written, or None
        where lark's expression parser refuses it (only the lark paths get here;
        the fast path parses fields itself: fastlower.py)."""
        from lark.exceptions import UnexpectedInput

        from .parser import expression_parser
        from .transform import transform

        try:
            tree = expression_parser().parse(text)
        except UnexpectedInput:
            return None
        return transform(_Shifted(self.source, line, column), tree)

    def dict_(self, meta: Any, c: list[Any]) -> ir.DictExpr:
        items = [item for item in c if item is not None]
        return ir.DictExpr(
            keys=tuple(k for k, _ in items),
            values=tuple(v for _, v in items),
            span=self._span(meta),
        )

    def dict_item(self, meta: Any, c: list[Any]) -> tuple[ir.Node, ir.Node]:
        return c[0], c[1]

    def dictcomp(self, meta: Any, c: list[Any]) -> ir.DictComp:
        (key, value), *clauses = c
        return ir.DictComp(
            key=key, value=value, clauses=tuple(clauses), span=self._span(meta)
        )

    def true(self, meta: Any, c: list[Any]) -> ir.Constant:
        return ir.Constant(value=True, span=self._span(meta))

    def false(self, meta: Any, c: list[Any]) -> ir.Constant:
        return ir.Constant(value=False, span=self._span(meta))

    def none(self, meta: Any, c: list[Any]) -> ir.Constant:
        return ir.Constant(value=None, span=self._span(meta))

    def list_(self, meta: Any, c: list[Any]) -> ir.ListExpr:
        return ir.ListExpr(
            items=tuple(x for x in c if x is not None), span=self._span(meta)
        )

    def tuple_(self, meta: Any, c: list[Any]) -> ir.TupleExpr:
        return ir.TupleExpr(
            items=tuple(x for x in c if x is not None), span=self._span(meta)
        )

    def listcomp(self, meta: Any, c: list[Any]) -> ir.ListComp:
        elt, *clauses = c
        return ir.ListComp(elt=elt, clauses=tuple(clauses), span=self._span(meta))

    def comp_for(self, meta: Any, c: list[Any]) -> ir.CompFor:
        targets, iterable = c
        return ir.CompFor(targets=targets, iter=iterable, span=self._span(meta))

    def comp_if(self, meta: Any, c: list[Any]) -> ir.CompIf:
        (cond,) = c
        return ir.CompIf(cond=cond, span=self._span(meta))

    def targets(self, meta: Any, c: list[Any]) -> ir.Targets:
        """`i, (t, c)`: names, and a tuple per parenthesised group; as in Python,
        `(a)` is `a` and `for (a, b) in ...` is `for a, b in ...`."""
        found = tuple(
            str(t) if isinstance(t, str) else t[0] if len(t) == 1 else t for t in c
        )
        return found[0] if len(found) == 1 and isinstance(found[0], tuple) else found


class _Shifted(_Lower):
    """Lowers an f-string field parsed on its own: its positions, counted from the
    field's text, moved to where the field is in the source (one line)."""

    def __init__(self, source: Source, line: int, column: int) -> None:
        super().__init__(source)
        self.line, self.shift = line, column - 1

    def _span(self, meta: Any) -> Span | None:
        span = super()._span(meta)
        return span and self._moved(span)

    def _tok(self, token: Token) -> Span:
        return self._moved(super()._tok(token))

    def _moved(self, span: Span) -> Span:
        return Span(self.source, self.line, span.column + self.shift, self.line,
                    span.end_column + self.shift)  # fmt: skip


class _InitTarget(NamedTuple):
    """A rule's type or pattern, kept apart from its actions while lowering."""

    node: ir.Name | ir.Constant


def _joined(first: Span | None, last: Span | None) -> Span | None:
    """The span from the start of `first` to the end of `last`."""
    if first is None or last is None:
        return first or last
    return Span(first.source, first.line, first.column, last.end_line, last.end_column)


#: Python refuses to read integers longer than this (sys.get_int_max_str_digits).
MAX_INT_DIGITS = 4300


def int_constant(text: str, span: Span) -> ir.Constant:
    """An INT token's value (`1_000` is 1000)."""
    digits = text.replace("_", "") if "_" in text else text
    if len(digits) > MAX_INT_DIGITS:  # Python's int() refuses these (and is slow)
        raise _literal_error(
            f"this integer has {len(digits):,} digits; the limit is {MAX_INT_DIGITS:,}",
            span,
        )
    return ir.Constant(value=int(digits), span=span)


def _literal_error(message: str, span: Span) -> ArchError:
    return ArchError([Diagnostic(message, span, "write a smaller number")])


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}


def _string(token: Token) -> str:
    """A string literal's value. The grammar admits only plain characters and the
    escapes \\" \\' \\\\ \\n \\t; they are decoded here, without Python's parser."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], str(token)[1:-1])


def lower(tree: Tree, source: Source) -> ir.Program:
    from .transform import transform  # lark's Transformer: the tree path only

    return transform(_Lower(source), tree)
