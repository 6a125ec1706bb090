"""The fast parser's expressions: recursive descent over grammars/arch.lark's
`?expr` .. `?atom` levels (Python precedence), lowered as it goes.

A parsed piece is a tuple `(value, first, last, height, rule, run)`: its lowered
value; the indices of its first and last tokens, with any parentheses around it
(lark's "container": the extent a parent's position starts and ends with); its
height in the tree lark would build, and for `a + b + c` the rule and length of
its left spine (for the nesting limits, counted as onepass.py counts them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .fastlex import END, Abandon, Lexicon, Tokens
from .fastlower import FastLower
from .grammar import CHAINS, MAX_CHAIN, MAX_DEPTH

Piece = tuple[Any, int, int, int, str, int]

#: The atoms that start with one token and take nothing else.
_ATOMS = {"NAME": "name", "DOTTED": "dotted", "INT": "int_", "FLOAT": "float_",
          "STRING": "string", "FSTRING": "fstring"}  # fmt: skip
_CONSTANTS = {"True": "true", "False": "false", "None": "none"}
#: What starts an expression with an operator (`not x`, `-x`), and what may follow
#: an operand within one: the tokens the levels from `?expr` to `?power` look at.
_PREFIXES = frozenset({"not", "ADD_OP"})
_OPERATORS = frozenset({"if", "or", "and", "COMP_OP", "ADD_OP", "*", "MUL_OP", "**"})
#: What ends an expression outright after a leaf (no call, subscript or operator).
_AFTER_OPERAND = frozenset({",", ")", "]", "_NL", "}", ";"})


def _spine(rule: str, kids: list) -> tuple[int, int]:
    """Height and left-spine length of `a + b + c` (binop, or_, and_): the left
    child of the same rule is the same level, as parser._check_depth counts."""
    height, run = 1, 0
    for index, kid in enumerate(kids):
        if type(kid) is not tuple:
            continue
        if index == 0 and kid[4] == rule:
            run = kid[5] + 1
            height = max(height, kid[3])
        else:
            height = max(height, kid[3] + 1)
    return height, run


class Token(str):
    """A token as lark's Token gives it to a lowering method: the text, its
    terminal's name (`type`) and where it is; made without lark, which the fast
    path does not import, and without lark's constructor's argument juggling (a
    token never spans lines here: none the fast path keeps can hold a newline)."""

    __slots__ = ("type", "value", "start_pos", "line", "column", "end_line",
                 "end_column", "end_pos")  # fmt: skip

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r})"  # as lark's

    def __new__(cls, type_: str, value: str, start: int, line: int, column: int):
        self = str.__new__(cls, value)
        self.type = type_
        self.value = value
        self.start_pos = start
        self.line = self.end_line = line
        self.column = column
        self.end_column = column + len(value)
        self.end_pos = start + len(value)
        return self


class ExprParser:
    """Expressions, lowered by `lowerer`'s methods for the grammar's `rules` that
    this parser follows, each called as lark's Transformer calls it: (meta,
    children as lark keeps them), the meta being the rule's extent (fastlower.py)."""

    def __init__(
        self,
        tokens: Tokens,
        lowerer: FastLower,
        rules: frozenset[str],
        lexicon: Lexicon,
    ) -> None:
        self.kinds = tokens.kinds
        self.tokens = tokens
        self.lowerer = lowerer
        self.lower = _methods(lowerer, rules)
        #: the leaves lowered from their token's index alone (fastlower.py)
        self.leaves = {
            rule: lowered
            for rule, lowered in lowerer.leaves().items()
            if rule in self.lower
        }
        self.lark_type = lexicon.lark_type
        self.lexicon = lexicon
        self.names_in_expr = lexicon.names_in_expr
        self.i = 0

    def read(self, tokens: Tokens) -> None:
        """Parse `tokens` from their start, with the same lowerer (f-string fields
        one after another: fastexpr.read_field)."""
        self.lowerer.read(tokens)
        self.tokens, self.kinds, self.i = tokens, tokens.kinds, 0

    # ---- plumbing ---------------------------------------------------------------

    def expect(self, kind: str) -> int:
        i = self.i
        if self.kinds[i] != kind:
            raise Abandon  # a syntax error, or syntax this parser does not know
        self.i = i + 1
        return i

    def token(self, i: int, name: bool = False) -> Token:
        """Token `i` as lark hands it to a lowering method (`name`: a keyword
        where lark reads it as a name)."""
        tokens = self.tokens
        start, line = tokens.starts[i], tokens.line_of[i]
        kind = "NAME" if name else self.lark_type[tokens.kinds[i]]
        value = tokens.text[start : tokens.ends[i]]
        return Token(kind, value, start, line, start - tokens.lines[line - 1] + 1)

    def node(self, rule: str, kids: list, first: int, last: int) -> Piece:
        """Lower one rule from its kept children (pieces, Tokens, None for a
        missing `[optional]`) over tokens first..last, as lark reduces it."""
        height, values = 0, []
        for kid in kids:
            if type(kid) is tuple:
                if kid[3] > height:
                    height = kid[3]
                values.append(kid[0])
            else:
                values.append(kid)
        height += 1  # one more than its highest child: lark's tree
        run = 0
        if rule in CHAINS:
            height, run = _spine(rule, kids)
        return self.reduce(rule, values, height, first, last, run)

    def reduce(self, rule: str, values: list, height: int, first: int, last: int,
               run: int = 0) -> Piece:  # fmt: skip
        """node() given its children's values and its height (the calls and
        arguments every spec is made of work them out as they read them)."""
        if height > MAX_DEPTH or run >= MAX_CHAIN:
            raise Abandon  # the tree path reports where
        method = self.lower.get(rule)
        if method is None:
            raise Abandon  # lowered some other way now: onepass knows how
        extent = (first, last) if last >= first else None
        return (method(extent, values), first, last, height, rule, run)

    def leaf(self, rule: str, i: int, kept: list) -> Piece:
        """A rule over the one token `i` (`string`, `True`): node() without the
        children to measure."""
        method = self.lower.get(rule)
        if method is None:
            raise Abandon
        return (method((i, i), kept), i, i, 1, rule, 0)

    # ---- `?expr` down to `?atom` --------------------------------------------------

    def expr(self) -> Piece:
        # Most expressions are one operand (`x`, `Linear(16, 16)`): read it, and go
        # down the operator levels with it only when an operator follows (each
        # level passes an operand alone through, as lark's `?rule`s do)
        kinds = self.kinds
        i = self.i
        kind = kinds[i]
        if kind in _PREFIXES:
            then = self.or_expr()
        elif kind in _ATOMS and kinds[i + 1] in _AFTER_OPERAND:
            # `x`, `16` and then `,` or `)`: the leaf alone (atom() written out)
            rule = _ATOMS[kind]
            lowered = self.leaves.get(rule)
            if lowered is None:
                return self.atom()
            self.i = i + 1
            return (lowered(i), i, i, 1, rule, 0)
        else:
            then = self.postfix()
            if kinds[self.i] not in _OPERATORS:
                return then
            then = self.or_expr(then)
        if kinds[self.i] != "if":
            return then
        self.i += 1
        cond = self.or_expr()
        self.expect("else")
        orelse = self.expr()
        return self.node("ifexp", [then, cond, orelse], then[1], orelse[2])

    def or_expr(self, operand: Piece | None = None) -> Piece:
        """(`operand`, at this level and each below: the first operand, read.)"""
        left = self.and_expr(operand)
        while self.kinds[self.i] == "or":
            self.i += 1
            right = self.and_expr()
            left = self.node("or_", [left, right], left[1], right[2])
        return left

    def and_expr(self, operand: Piece | None = None) -> Piece:
        left = self.not_expr(operand)
        while self.kinds[self.i] == "and":
            self.i += 1
            right = self.not_expr()
            left = self.node("and_", [left, right], left[1], right[2])
        return left

    def not_expr(self, operand: Piece | None = None) -> Piece:
        if operand is not None or self.kinds[self.i] != "not":
            return self.comparison(operand)
        first = self.i
        self.i += 1
        operand = self.not_expr()
        return self.node("not_", [operand], first, operand[2])

    def comparison(self, operand: Piece | None = None) -> Piece:
        left = self.arith(operand)
        if self.kinds[self.i] != "COMP_OP":
            return left
        op = self.token(self.i)
        self.i += 1
        right = self.arith()  # `a < b < c` is not in the grammar: the caller refuses
        return self.node("compare", [left, op, right], left[1], right[2])

    def arith(self, operand: Piece | None = None) -> Piece:
        left = self.term(operand)
        while self.kinds[self.i] == "ADD_OP":
            op = self.token(self.i)
            self.i += 1
            right = self.term()
            left = self.node("binop", [left, op, right], left[1], right[2])
        return left

    def term(self, operand: Piece | None = None) -> Piece:
        left = self.factor(operand)
        while self.kinds[self.i] in ("*", "MUL_OP"):
            op = self.token(self.i)
            self.i += 1
            right = self.factor()
            left = self.node("binop", [left, op, right], left[1], right[2])
        return left

    def factor(self, operand: Piece | None = None) -> Piece:
        if operand is not None or self.kinds[self.i] != "ADD_OP":
            return self.power(operand)
        first = self.i
        op = self.token(first)
        self.i += 1
        operand = self.factor()
        return self.node("unary", [op, operand], first, operand[2])

    def power(self, operand: Piece | None = None) -> Piece:
        base = self.postfix() if operand is None else operand
        if self.kinds[self.i] != "**":
            return base
        self.i += 1
        exponent = self.factor()
        return self.node("pow_", [base, exponent], base[1], exponent[2])

    def postfix(self) -> Piece:
        value = self.atom()
        kinds = self.kinds
        while True:
            kind = kinds[self.i]
            if kind == "(":
                self.i += 1
                args = self.args(")")
                last = self.expect(")")
                height = max(value[3], args[3]) + 1
                value = self.reduce("call", [value[0], args[0]], height, value[1], last)
            elif kind == "[":
                self.i += 1
                items = self.subscripts()
                last = self.expect("]")
                value = self.node("subscript", [value, items], value[1], last)
            elif kind == ".":
                self.i += 1
                name = self.expect("NAME")  # lark reads `f(x).a.b` by states
                value = self.node(
                    "attribute", [value, self.token(name)], value[1], name
                )
            else:
                return value

    def atom(self) -> Piece:
        i = self.i
        kind = self.kinds[i]
        rule = _ATOMS.get(kind)
        if rule is not None:
            self.i = i + 1
            lowered = self.leaves.get(rule)
            if lowered is not None:  # `x`, `16`: no Token to make
                return (lowered(i), i, i, 1, rule, 0)
            return self.leaf(rule, i, [self.token(i)])
        rule = _CONSTANTS.get(kind)
        if rule is not None:
            self.i = i + 1
            return self.leaf(rule, i, [])
        if kind == "(":
            return self.parenthesised()
        if kind == "[":
            return self.list_()
        if kind == "{":
            return self.dict_()
        if kind in self.names_in_expr:  # `f(block)`: a name here, to lark
            if kind == "return" and self.kinds[i + 1] == "{":
                # lark reads this `return` as a name, and the post-lexer then
                # takes the brace for a body's, where the scanner took a dict's
                raise Abandon
            self.i = i + 1
            lowered = self.leaves.get("name")
            if lowered is None:
                raise Abandon
            return (lowered(i), i, i, 1, "name", 0)
        raise Abandon  # `:`, `)`: whatever the grammar does not have here

    def parenthesised(self) -> Piece:
        """`(x)`: x itself, its extent widened to the parentheses; `(x,)`, `(x, y)`."""
        first = self.expect("(")
        inner = self.expr()
        if self.kinds[self.i] == ")":
            last = self.expect(")")
            return (inner[0], first, last, inner[3], inner[4], inner[5])
        self.expect(",")
        items = [inner] + (self.items(")") or [None])
        return self.node("tuple_", items, first, self.expect(")"))

    def list_(self) -> Piece:
        first = self.expect("[")
        items = self.items("]") or [None]
        if (
            self.kinds[self.i] == "for"
            and len(items) == 1
            and self.kinds[self.i - 1] != ","
        ):
            return self.comprehension("listcomp", first, items[0], "]")
        return self.node("list_", items, first, self.expect("]"))

    def dict_(self) -> Piece:
        """`{k: v, ...}`, `{k: v for ...}` (the scanner dropped the newlines in it
        as lark's post-lexer does, where that takes the brace for a dict's)."""
        first = self.expect("{")
        kinds = self.kinds
        items = []
        while kinds[self.i] != "}":
            key = self.expr()
            self.expect(":")
            value = self.expr()
            items.append(self.node("dict_item", [key, value], key[1], value[2]))
            if len(items) == 1 and kinds[self.i] == "for":
                return self.comprehension("dictcomp", first, items[0], "}")
            if kinds[self.i] != ",":
                break
            self.i += 1
        return self.node("dict_", items or [None], first, self.expect("}"))

    def comprehension(self, rule: str, first: int, elt: Piece, close: str) -> Piece:
        """`[elt for a, b in xs if c]`: `_comp_clauses`, a `for` then any mix."""
        kept = [elt, self.comp_for()]
        while self.kinds[self.i] in ("for", "if"):
            kept.append(
                self.comp_for() if self.kinds[self.i] == "for" else self.comp_if()
            )
        return self.node(rule, kept, first, self.expect(close))

    def comp_for(self) -> Piece:
        first = self.expect("for")
        targets = self.targets()
        self.expect("in")
        iterable = self.or_expr()
        return self.node("comp_for", [targets, iterable], first, iterable[2])

    def comp_if(self) -> Piece:
        first = self.expect("if")
        cond = self.or_expr()
        return self.node("comp_if", [cond], first, cond[2])

    def targets(self) -> Piece:
        """`a, b`, `i, (t, c)`: names, and a group per parentheses, its extent
        within them (the outer one's, with them)."""
        first = self.i
        kept = [self.target()]
        while self.kinds[self.i] == ",":
            self.i += 1
            kept.append(self.target())
        return self.node("targets", kept, first, self.i - 1)

    def target(self) -> Token | Piece:
        """`_target: NAME | "(" targets ")"`"""
        if self.kinds[self.i] != "(":
            return self.token(self.expect("NAME"))
        self.i += 1
        group = self.targets()
        self.expect(")")
        return group

    def items(self, close: str) -> list[Piece]:
        """`expr ("," expr)* ","?` up to `close`, or nothing."""
        items = []
        kinds = self.kinds
        while kinds[self.i] != close:
            items.append(self.expr())
            if kinds[self.i] != ",":
                break
            self.i += 1
        return items

    def subscripts(self) -> Piece:
        """`x[i]`, `x[:, :c]`, `x[..., 0]`: `_subscript ("," _subscript)* ","?`."""
        first = self.i
        kept = []
        while True:
            kept.append(self.subscript())
            if self.kinds[self.i] != "," or self.kinds[self.i + 1] == "]":
                break
            self.i += 1
        if self.kinds[self.i] == ",":
            self.i += 1
        return self.node("subscripts", kept, first, self.i - 1)

    def subscript(self) -> Piece:
        first = self.i
        kind = self.kinds[first]
        if kind == "...":
            self.i += 1
            return self.node("ellipsis", [self.token(first)], first, first)
        lower = None if kind == ":" else self.expr()
        if self.kinds[self.i] != ":":
            return lower
        self.i += 1
        upper = step = None
        if self.kinds[self.i] not in (":", ",", "]"):
            upper = self.expr()
        if self.kinds[self.i] == ":":
            self.i += 1
            if self.kinds[self.i] not in (",", "]"):
                step = self.expr()
        return self.node("slice", [lower, upper, step], first, self.i - 1)

    def args(self, close: str) -> Piece:
        """`args: [arg ("," arg)* ","?]`, up to `close`."""
        kinds = self.kinds
        first = self.i
        values, height = [], 0
        while kinds[self.i] != close:
            # arg() for `name=` and `*`, else the expression itself
            plain = kinds[self.i + 1] != "=" and kinds[self.i] != "*"
            arg = self.expr() if plain else self.arg()
            values.append(arg[0])
            if arg[3] > height:
                height = arg[3]
            if kinds[self.i] != ",":
                break
            self.i += 1
        if not values:
            return self.reduce("args", [None], 1, first, first - 1)  # no text: no span
        return self.reduce("args", values, height + 1, first, self.i - 1)

    def arg(self) -> Piece:
        i = self.i
        kind = self.kinds[i]
        if self.kinds[i + 1] == "=" and (kind == "NAME" or kind in self.names_in_expr):
            self.i = i + 2
            value = self.expr()
            return self.node("kwarg", [self.token(i, name=True), value], i, value[2])
        if kind == "*":
            self.i = i + 1
            value = self.expr()
            return self.node("splat", [self.token(i), value], i, value[2])
        return self.expr()


def read_field(lexicon: Lexicon, rules: frozenset[str], outer: FastLower, text: str,
               line: int, column: int) -> Any:  # fmt: skip
    """An f-string field's expression `text`, written at (line, column) of the
    text `outer` lowers: scanned alone and parsed from `expr`, as lark's
    expression parser reads it (fstrings.py), its spans where it is written."""
    offset = outer.lines[line - 1] + column - 1  # of the field in outer's text
    field = lexicon.scan(text).moved(outer.tokens, offset, line)
    parser = outer.fields
    if parser is None:  # one per text (a field's own fields get theirs)
        lowerer = FastLower(outer.source, field, outer.read_field)
        parser = outer.fields = ExprParser(field, lowerer, rules, lexicon)
    else:
        parser.read(field)
    value = parser.expr()
    if parser.kinds[parser.i] != END:  # `{x y}`: lark says what is wrong
        raise Abandon
    return value[0]


def _methods(lowerer: FastLower, rules: frozenset[str]) -> dict[str, Callable]:
    """Each followed rule's lowering method, called directly as (extent, children);
    a rule lowered some other way is left out (the parser gives up on it)."""
    methods = {}
    for rule in rules:
        method = None if rule.startswith("_") else getattr(lowerer, rule, None)
        if method is not None:
            methods[rule] = method
    return methods
