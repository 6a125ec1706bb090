"""Build-time expressions for the program generator: trees that know their text
(with Python's precedence, and parentheses where needed or drawn) and evaluate
themselves on every environment a definition is instantiated with.

A definition is generated once for all its instantiations, so every expression
carries one value per environment; the generator keeps only expressions whose
values are valid (a size in range, a divisor never zero) in all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

# Python's precedence levels, as the grammar has them (grammars/arch.lark).
ATOM, POWER, UNARY, TERM, ARITH, COMPARE, NOT, AND, OR, IFEXP = (
    100, 14, 13, 12, 11, 9, 8, 7, 6, 5
)  # fmt: skip
BINARY = {"**": POWER, "*": TERM, "/": TERM, "//": TERM, "%": TERM,
          "+": ARITH, "-": ARITH}  # fmt: skip


class Expr:
    prec = ATOM
    paren = False  # parentheses drawn though not needed

    def text(self) -> str:
        raise NotImplementedError

    def eval(self, env: dict[str, Any]) -> Any:
        raise NotImplementedError

    def at(self, need: int) -> str:
        """This expression's text where the context needs precedence `need`."""
        body = self.text()
        return f"({body})" if self.paren or self.prec < need else body

    def values(self, envs: list[dict[str, Any]]) -> tuple[Any, ...]:
        return tuple(self.eval(env) for env in envs)


@dataclass(eq=False)
class Lit(Expr):
    value: Any

    def text(self) -> str:
        return repr(self.value)

    def eval(self, env):
        return self.value


class Spelled(Lit):
    """A literal written another way than Python's repr: `1_2`, `2.5e3`, `1E0`."""

    def __init__(self, value: Any, spelling: str) -> None:
        super().__init__(value)
        self.spelling = spelling

    def text(self) -> str:
        return self.spelling


INT_SPELLINGS = [(12, "1_2"), (10, "1_0"), (21, "2_1")]
FLOAT_SPELLINGS = [(2500.0, "2.5e3"), (0.5, "5e-1"), (1.0, "1E0"), (1e-05, "1e-05"),
                   (0.25, "2.5E-1"), (100.0, "1e2")]  # fmt: skip
STRINGS = ["nearest", "bilinear", 'a"b', "tab\there", "line\nbreak", "it's"]


@dataclass(eq=False)
class Var(Expr):
    name: str

    def text(self) -> str:
        return self.name

    def eval(self, env):
        return env[self.name]


@dataclass(eq=False)
class Bin(Expr):
    op: str
    left: Expr
    right: Expr

    @property
    def prec(self) -> int:  # type: ignore[override]
        return BINARY[self.op]

    def text(self) -> str:
        if self.op == "**":  # right-associative, binds tighter than a unary on its left
            return f"{self.left.at(ATOM)} ** {self.right.at(UNARY)}"
        return f"{self.left.at(self.prec)} {self.op} {self.right.at(self.prec + 1)}"

    def eval(self, env):
        a, b = self.left.eval(env), self.right.eval(env)
        ops = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
               "/": lambda: a / b, "//": lambda: a // b, "%": lambda: a % b,
               "**": lambda: a**b}  # fmt: skip
        return ops[self.op]()


@dataclass(eq=False)
class Neg(Expr):
    operand: Expr
    prec = UNARY

    def text(self) -> str:
        return f"-{self.operand.at(UNARY)}"

    def eval(self, env):
        return -self.operand.eval(env)


@dataclass(eq=False)
class Pos(Expr):
    operand: Expr
    prec = UNARY

    def text(self) -> str:
        return f"+{self.operand.at(UNARY)}"

    def eval(self, env):
        return +self.operand.eval(env)


@dataclass(eq=False)
class Cmp(Expr):
    op: str
    left: Expr
    right: Expr
    prec = COMPARE

    def text(self) -> str:
        return f"{self.left.at(ARITH)} {self.op} {self.right.at(ARITH)}"

    def eval(self, env):
        a, b = self.left.eval(env), self.right.eval(env)
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b,
                ">": a > b, ">=": a >= b}[self.op]  # fmt: skip


@dataclass(eq=False)
class Not(Expr):
    operand: Expr
    prec = NOT

    def text(self) -> str:
        return f"not {self.operand.at(NOT)}"

    def eval(self, env):
        return not self.operand.eval(env)


@dataclass(eq=False)
class Logic(Expr):
    op: str  # and, or
    left: Expr
    right: Expr

    @property
    def prec(self) -> int:  # type: ignore[override]
        return AND if self.op == "and" else OR

    def text(self) -> str:
        return f"{self.left.at(self.prec)} {self.op} {self.right.at(self.prec + 1)}"

    def eval(self, env):
        a = self.left.eval(env)
        if self.op == "and":
            return self.right.eval(env) if a else a
        return a if a else self.right.eval(env)


@dataclass(eq=False)
class Cond(Expr):
    then: Expr
    cond: Expr
    orelse: Expr
    prec = IFEXP

    def text(self) -> str:
        return (f"{self.then.at(OR)} if {self.cond.at(OR)} "
                f"else {self.orelse.at(IFEXP)}")  # fmt: skip

    def eval(self, env):
        return self.then.eval(env) if self.cond.eval(env) else self.orelse.eval(env)


@dataclass(eq=False)
class Builtin(Expr):
    name: str  # min, max, abs, int, float
    args: tuple[Expr, ...]

    def text(self) -> str:
        return f"{self.name}({', '.join(a.text() for a in self.args)})"

    def eval(self, env):
        funcs = {"min": min, "max": max, "abs": abs, "int": int, "float": float,
                 "len": len}  # fmt: skip
        return funcs[self.name](*(a.eval(env) for a in self.args))


@dataclass(eq=False)
class Index(Expr):
    value: Expr
    index: Expr

    def text(self) -> str:
        return f"{self.value.at(ATOM)}[{self.index.text()}]"

    def eval(self, env):
        return self.value.eval(env)[self.index.eval(env)]


def parenthesized(draw, expr: Expr) -> Expr:
    """Sometimes wrap an expression in parentheses it does not need."""
    if not isinstance(expr, (Lit, Var)) and draw(st.integers(0, 4)) == 0:
        expr.paren = True
    return expr


class Scope:
    """The build-time names a definition can read, by type, and their values in
    each environment it is instantiated with."""

    def __init__(self, envs: list[dict[str, Any]]) -> None:
        self.envs = envs
        self.types: dict[str, str] = {}

    def add(self, name: str, type_: str, expr: Expr) -> None:
        for env in self.envs:
            env[name] = expr.eval(env)
        self.types[name] = type_

    def names(self, type_: str) -> list[str]:
        return [n for n, t in self.types.items() if t == type_]

    def ok(self, expr: Expr, lo: float, hi: float) -> bool:
        try:
            values = expr.values(self.envs)
        except (ZeroDivisionError, OverflowError, ValueError, IndexError):
            return False
        return all(type(v) is not bool and lo <= v <= hi for v in values)


def int_expr(draw, scope: Scope, depth: int = 2) -> Expr:
    """An int expression over the scope's ints: every operator at every level."""
    names = scope.names("int")
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        lists = scope.names("list")
        if lists and draw(st.integers(0, 4)) == 0:
            chosen = draw(st.sampled_from(lists))
            index = Lit(draw(st.sampled_from([0, -1, 1])))
            item = Index(Var(chosen), index)  # `ws[-1]`, where every env has one
            if scope.ok(item, -(10**6), 10**6):
                return item
            return Builtin("len", (Var(chosen),))
        if names and draw(st.booleans()):
            return Var(draw(st.sampled_from(names)))
        if draw(st.integers(0, 5)) == 0:
            return Spelled(*draw(st.sampled_from(INT_SPELLINGS)))
        return Lit(draw(st.integers(0, 9)))
    kind = draw(
        st.sampled_from(["+", "-", "*", "//", "%", "**", "neg", "pos", "if", "call"])
    )
    sub = lambda: int_expr(draw, scope, depth - 1)  # noqa: E731
    if kind in ("+", "-", "*"):
        expr: Expr = Bin(kind, sub(), sub())
    elif kind in ("//", "%"):  # a divisor that is never zero: (e % 3 + 1) or 1..4
        divisor: Expr = Bin("+", Bin("%", sub(), Lit(3)), Lit(1))
        if draw(st.booleans()):
            divisor = Lit(draw(st.integers(1, 4)))
        if draw(st.integers(0, 3)) == 0:  # a negative divisor: 7 // -2 is -4
            divisor = Neg(divisor)
        expr = Bin(kind, sub(), divisor)
    elif kind == "**":
        expr = Bin("**", sub(), Lit(draw(st.integers(0, 2))))
    elif kind == "neg":
        expr = Neg(sub())
    elif kind == "pos":
        expr = Pos(sub())
    elif kind == "if":
        expr = Cond(sub(), bool_expr(draw, scope, depth - 1), sub())
    else:
        name = draw(st.sampled_from(["min", "max", "abs", "int"]))
        args = (sub(), sub()) if name in ("min", "max") else (sub(),)
        if name == "int":
            args = (Bin("/", sub(), Lit(2)),)
        expr = Builtin(name, args)
    return parenthesized(draw, expr)


def sized(draw, scope: Scope, lo: int, hi: int) -> Expr:
    """An int expression whose value lies in [lo, hi] in every environment: drawn
    freely, then clamped with min/max only where it would leave the range."""
    expr = int_expr(draw, scope)
    if scope.ok(expr, lo, hi):
        return expr
    try:
        expr.values(scope.envs)
    except (ZeroDivisionError, OverflowError, ValueError, IndexError):
        return Lit(draw(st.integers(lo, hi)))
    return Builtin("max", (Lit(lo), Builtin("min", (Lit(hi), expr))))


def bool_expr(draw, scope: Scope, depth: int = 2) -> Expr:
    names = scope.names("bool")
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        strings = scope.names("str")
        if strings and draw(st.integers(0, 3)) == 0:  # `mode == "bilinear"`
            op = draw(st.sampled_from(["==", "!="]))
            return Cmp(
                op,
                Var(draw(st.sampled_from(strings))),
                Lit(draw(st.sampled_from(STRINGS))),
            )
        if names and draw(st.booleans()):
            return Var(draw(st.sampled_from(names)))
        return Lit(draw(st.booleans()))
    kind = draw(st.sampled_from(["cmp", "not", "and", "or", "if"]))
    sub = lambda: bool_expr(draw, scope, depth - 1)  # noqa: E731
    if kind == "cmp":
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        expr: Expr = Cmp(
            op, int_expr(draw, scope, depth - 1), int_expr(draw, scope, depth - 1)
        )
    elif kind == "not":
        expr = Not(sub())
    elif kind == "if":
        expr = Cond(sub(), sub(), sub())
    else:
        expr = Logic(kind, sub(), sub())
    return parenthesized(draw, expr)


def float_expr(draw, scope: Scope, depth: int = 2) -> Expr:
    """A float (or int) scalar to mix with tensors: kept small and finite."""
    names = scope.names("float") + scope.names("int")
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        if names and draw(st.booleans()):
            return Var(draw(st.sampled_from(names)))
        if draw(st.integers(0, 4)) == 0:
            return Spelled(*draw(st.sampled_from(FLOAT_SPELLINGS)))
        return Lit(draw(st.sampled_from([0.5, 1.0, 1.5, 2.0, 0.25, 3.0])))
    kind = draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "neg", "if"]))
    sub = lambda: float_expr(draw, scope, depth - 1)  # noqa: E731
    if kind in ("//", "%"):  # by a float at least 1 in size, of either sign
        divisor: Expr = Bin("+", Builtin("abs", (sub(),)), Lit(1.0))
        expr: Expr = Bin(kind, sub(), Neg(divisor) if draw(st.booleans()) else divisor)
    elif kind == "**":  # a positive base: a fractional power stays real
        base = Bin("+", Builtin("abs", (sub(),)), Lit(0.5))
        expr = Bin("**", base, Lit(draw(st.sampled_from([0.5, 2, -1, 1.5]))))
    elif kind == "/":  # divide by something at least 1
        expr = Bin("/", sub(), Bin("+", Bin("*", sub(), sub()), Lit(1.0)))
        if not scope.ok(expr, -1e6, 1e6):
            expr = Bin("/", sub(), Lit(2.0))
    elif kind == "neg":
        expr = Neg(sub())
    elif kind == "if":
        expr = Cond(sub(), bool_expr(draw, scope, depth - 1), sub())
    else:
        expr = Bin(kind, sub(), sub())
    if not scope.ok(expr, -1e6, 1e6):
        return Lit(1.5)
    return parenthesized(draw, expr)


@dataclass(eq=False)
class Raw(Expr):
    """Text that is already an atom: a call such as `fc(x)` or `cat([a, b], dim=1)`."""

    body: str

    def text(self) -> str:
        return self.body

    def eval(self, env):
        raise TypeError("a tensor expression has no build-time value")


def variables(expr: Expr) -> set[str]:
    """The names an expression reads."""
    if isinstance(expr, Var):
        return {expr.name}
    found: set[str] = set()
    for value in vars(expr).values():
        if isinstance(value, Expr):
            found |= variables(value)
        elif isinstance(value, tuple):
            for item in value:
                found |= variables(item)
    return found


def substitute(expr: Expr, mapping: dict[str, Expr]) -> Expr:
    """`expr` with names replaced: a default such as `min(a * 2, 12)` as the caller
    sees it, in terms of the caller's own arguments."""
    if isinstance(expr, Var):
        return mapping.get(expr.name, expr)
    if isinstance(expr, (Lit, Raw)):
        return expr
    changes = {}
    for key, value in vars(expr).items():
        if isinstance(value, Expr):
            changes[key] = substitute(value, mapping)
        elif isinstance(value, tuple):
            changes[key] = tuple(substitute(v, mapping) for v in value)
    copy = type(expr).__new__(type(expr))
    copy.__dict__.update({**vars(expr), **changes})
    return copy
