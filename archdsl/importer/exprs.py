"""The small expression tree the importer builds before it writes `.arch` text.

Literals (`Lit`) are the slots that parameter inference works on: a block's members
and forward are recorded per instance with their literal values, instances with the
same structure are compared slot by slot, and slots that differ become parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

#: Python precedence of the binary operators the importer writes (higher binds tighter).
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}


class Inexpressible(Exception):
    """A value or operation that `.arch` cannot say (a NaN, an unknown function)."""


#: A Lit's `default` when the argument it fills has none.
NO_DEFAULT = object()


@dataclass(frozen=True)
class Lit:
    value: object
    hint: str = field(
        default="", compare=False
    )  # the argument it fills: a name for a parameter
    #: the default of the argument it fills: a keyword left at its default is not
    #: written, yet it is a slot, so instances that differ only there share a block
    default: object = field(default=NO_DEFAULT, compare=False)

    @property
    def at_default(self) -> bool:
        return type(self.value) is type(self.default) and self.value == self.default


def without_defaults(expr: object) -> object:
    """`expr` without the keyword arguments that are literals at their default."""
    if isinstance(expr, Call):
        args = tuple(without_defaults(a) for a in expr.args)
        kwargs = tuple(
            (k, without_defaults(v))
            for k, v in expr.kwargs
            if not (isinstance(v, Lit) and v.at_default)
        )
        return Call(expr.func, args, kwargs)
    if isinstance(expr, ListE):
        return ListE(tuple(without_defaults(i) for i in expr.items))
    if isinstance(expr, Repeat):
        return Repeat(without_defaults(expr.item), expr.count)
    return expr


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Method:
    """`x.flatten(1)`: a tensor method, as the Python wrote it."""

    target: object
    name: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class ListE:
    items: tuple


@dataclass(frozen=True)
class Repeat:
    """`*[item for _ in range(count)]` inside a Sequential."""

    item: object
    count: int


@dataclass(frozen=True)
class AddLoop:
    """Members made by a build-time loop, as torchvision's `_DenseBlock` adds its
    layers: `for i in range(count) { add_module(f"denselayer{i + 1}", item) }`,
    where `item` reads the index as `Name(index)`."""

    prefix: str
    first: int
    count: object
    item: object
    index: str = "i"

    def lines(self, indent: str, step: str) -> list[str]:
        number = f"{self.index} + {self.first}" if self.first else self.index
        name = f'f"{self.prefix}{{{number}}}"'  # the prefix is a word (lists.py)
        return [
            f"{indent}for {self.index} in range({render(self.count)}) {{",
            f"{indent}{step}add_module({name}, {render(self.item)})",
            f"{indent}}}",
        ]


@dataclass(frozen=True)
class Branch:
    """What forward does in training mode only, where it differs from eval mode
    (GoogLeNet's auxiliary heads): `if training { ...; return ... }`, before the
    eval-mode statements; or what some instances do (residual.py). `statements`
    are (targets, expression) pairs."""

    statements: tuple
    returns: tuple
    #: or a build-time condition of the arguments (residual.py)
    condition: str = "training"

    def text(self) -> str:
        body = [f"{', '.join(t)} = {render(e)}" for t, e in self.statements]
        if self.returns:
            body.append("return " + ", ".join(render(r) for r in self.returns))
        return f"if {self.condition} {{ " + "; ".join(body) + " }"


def literal(value: object) -> str:
    """`.arch` spelling of a Python literal; Inexpressible for anything else."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value) if value >= 0 else f"-{-value}"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Inexpressible(f"the float {value!r}")
        text = repr(value)
        return text if value >= 0 else f"-{text[1:]}"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise Inexpressible(f"the value {value!r} ({type(value).__name__})")


def _string(value: str) -> str:
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise Inexpressible(f"the string {value!r}")
    return '"' + "".join(escapes.get(c, c) for c in value) + '"'


def is_literal(value: object) -> bool:
    try:
        literal(value)
    except Inexpressible:
        return False
    return True


def render(expr: object, precedence: int = 0) -> str:
    """`.arch` text of an expression; `precedence` is that of the enclosing operator."""
    if isinstance(expr, Lit):
        text = literal(expr.value)
        negative = text.startswith("-")
        return f"({text})" if negative and precedence >= 2 else text
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Call):
        return f"{expr.func}({_arguments(expr.args, expr.kwargs)})"
    if isinstance(expr, Method):
        return f"{render(expr.target, 9)}.{expr.name}({_arguments(expr.args, expr.kwargs)})"
    if isinstance(expr, BinOp):
        mine = PRECEDENCE[expr.op]
        text = f"{render(expr.left, mine)} {expr.op} {render(expr.right, mine + 1)}"
        return f"({text})" if mine < precedence else text
    if isinstance(expr, ListE):
        return "[" + ", ".join(render(item) for item in expr.items) + "]"
    if isinstance(expr, Repeat):
        count = expr.count if isinstance(expr.count, int) else render(expr.count)
        return f"*[{render(expr.item)} for _ in range({count})]"
    if isinstance(expr, Subscript):
        return render_subscript(expr)
    if isinstance(expr, AddLoop):  # a statement: on one line, for comparisons
        return " ".join(line.strip() for line in expr.lines("", ""))
    if callable(getattr(expr, "text", None)):  # a statement of its own (ChildLoop)
        return expr.text()
    raise TypeError(f"not an expression: {expr!r}")


def _arguments(args: tuple, kwargs: tuple) -> str:
    parts = [render(a) for a in args] + [f"{k}={render(v)}" for k, v in kwargs]
    return ", ".join(parts)


def children(expr: object) -> Iterator[object]:
    """The sub-expressions of `expr`, in the order they are written."""
    if isinstance(expr, Call):
        yield from expr.args
        yield from (v for _, v in expr.kwargs)
    elif isinstance(expr, Method):
        yield expr.target
        yield from expr.args
        yield from (v for _, v in expr.kwargs)
    elif isinstance(expr, BinOp):
        yield from (expr.left, expr.right)
    elif isinstance(expr, ListE):
        yield from expr.items
    elif isinstance(expr, Repeat):
        yield expr.item
    elif isinstance(expr, AddLoop):
        yield from (expr.count, expr.item)
    elif isinstance(expr, Branch):
        yield from (e for _, e in expr.statements)
        yield from expr.returns
    elif isinstance(expr, Subscript):
        yield expr.target
        for item in expr.index:
            if isinstance(item, Slice):
                yield from (
                    b for b in (item.start, item.stop, item.step) if b is not None
                )
            elif item is not Ellipsis:
                yield item


def literals(expr: object) -> Iterator[Lit]:
    """Every slot of `expr`, in order."""
    if isinstance(expr, Lit):
        yield expr
    for child in children(expr):
        yield from literals(child)


def transform(expr: object, leaf) -> object:
    """`expr` rebuilt with `leaf(node)` in place of each node that has no
    sub-expressions (literals, names, references), in the order they are written."""
    if isinstance(expr, Call):
        args = tuple(transform(a, leaf) for a in expr.args)
        return Call(
            expr.func, args, tuple((k, transform(v, leaf)) for k, v in expr.kwargs)
        )
    if isinstance(expr, Method):
        target = transform(expr.target, leaf)
        args = tuple(transform(a, leaf) for a in expr.args)
        kwargs = tuple((k, transform(v, leaf)) for k, v in expr.kwargs)
        return Method(target, expr.name, args, kwargs)
    if isinstance(expr, BinOp):
        return BinOp(expr.op, transform(expr.left, leaf), transform(expr.right, leaf))
    if isinstance(expr, ListE):
        return ListE(tuple(transform(i, leaf) for i in expr.items))
    if isinstance(expr, Repeat):
        return Repeat(transform(expr.item, leaf), expr.count)
    if isinstance(expr, AddLoop):
        count, item = transform(expr.count, leaf), transform(expr.item, leaf)
        return AddLoop(expr.prefix, expr.first, count, item, expr.index)
    if isinstance(expr, Branch):
        statements = tuple((t, transform(e, leaf)) for t, e in expr.statements)
        returns = tuple(transform(r, leaf) for r in expr.returns)
        return Branch(statements, returns, expr.condition)
    if isinstance(expr, Subscript):
        index = tuple(_transform_index(i, leaf) for i in expr.index)
        return Subscript(transform(expr.target, leaf), index)
    return leaf(expr)


def _transform_index(item: object, leaf) -> object:
    if isinstance(item, Slice):
        bounds = (item.start, item.stop, item.step)
        return Slice(*(None if b is None else transform(b, leaf) for b in bounds))
    return item if item is Ellipsis else transform(item, leaf)


def replace_literals(expr: object, new: Iterator[object]) -> object:
    """`expr` with its slots replaced, in order, by the expressions `new` yields."""
    return transform(expr, lambda leaf: next(new) if isinstance(leaf, Lit) else leaf)


def shape_key(expr: object) -> str:
    """`expr` with each slot written as its type: equal keys, same structure."""
    holes = (Name(f"<{type(lit.value).__name__}>") for lit in literals(expr))
    return render(replace_literals(expr, holes))


def depth(expr: object) -> int:
    """How deeply calls nest in `expr`: what keeps inlined forward lines readable."""
    inner = max((depth(c) for c in children(expr)), default=0)
    return inner + (1 if isinstance(expr, (Call, Method)) else 0)


@dataclass(frozen=True)
class Slice:
    start: object = None
    stop: object = None
    step: object = None


@dataclass(frozen=True)
class Subscript:
    """`x[0]`, `x[:, :c]`, `x.size()[2]`."""

    target: object
    index: tuple


def render_subscript(expr: Subscript) -> str:
    parts = []
    for item in expr.index:
        if isinstance(item, Slice):
            bounds = [
                render(b) if b is not None else "" for b in (item.start, item.stop)
            ]
            text = ":".join(bounds)
            parts.append(
                text + (f":{render(item.step)}" if item.step is not None else "")
            )
        elif item is Ellipsis:
            parts.append("...")
        else:
            parts.append(render(item))
    return f"{render(expr.target, 9)}[{', '.join(parts)}]"
