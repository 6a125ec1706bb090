"""The fast path: a recursive-descent parser for the common part of the language,
lowered with lower.py's own methods, that gives up on anything else.

Why it exists: a 10,000-layer spec spent most of its parse in lark's contextual
lexer and LALR loop (issue 15). This parser reads grammars/arch.lark's rules as
written (fastrules.py lists the alternatives it follows, and checks them against
the grammar), calls each rule's lowering method with the children lark would keep
and the extent lark's positions would give, and counts the nesting lark's tree
would have. Where it accepts a spec, lark accepts the same tokens with the same
tree, so the IR and every span are the same (tests/test_fastparse.py compares
them on every spec, example, corpus file and generated program).

It raises Abandon on anything it does not follow: a syntax error, a rule it does
not know (what the grammar gains), a rule whose alternatives changed in the
grammar, a literal the lowering refuses, nesting past the limits, a keyword
where lark might read it either way. The caller then parses with lark, which
reports exactly as before; so this parser never reports anything, and the
grammar may grow freely.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .. import ir
from ..errors import ArchError
from ..source import Source
from .fastexpr import ExprParser, Piece, read_field
from .fastlex import END, Abandon, Lexicon, Unscannable
from .fastlower import FastLower


class FastParser(ExprParser):
    """Definitions and statements; expressions are ExprParser's."""

    def start(self) -> ir.Program:
        kinds = self.kinds
        items = []
        while True:
            kind = kinds[self.i]
            if kind == "_NL":
                self.i += 1
            elif kind == END:
                break
            elif kind == "model":
                items.append(self.model())
            else:
                items.append(self.definition(kind))
        return self.node("start", items, 0, max(0, self.i - 1))[0]

    def definition(self, kind: str) -> Piece:
        first = self.i
        if kind == "block":
            self.i += 1
            name = self.token(self.expect("NAME"))
            params, body = self.params(), self.body()
            return self.node("block", [name, params, body], first, body[2])
        if kind == "builder":
            self.i += 1
            name = self.token(self.expect("NAME"))
            params = self.params()
            self.expect("=")
            if self.kinds[self.i] == "_NL":  # `builder f(x) =` then the expression
                self.i += 1
            value = self.expr()
            return self.node("builder", [name, params, value], first, value[2])
        if kind == "import":
            self.i += 1
            path = self.token(self.expect("STRING"))
            return self.node("import_all", [path], first, self.i - 1)
        if kind == "from":
            self.i += 1
            kept = [self.token(self.expect("STRING"))]
            self.expect("import")
            kept += self.names()
            return self.node("import_names", kept, first, self.i - 1)
        raise Abandon

    def model(self) -> Piece:
        """`model NAME [params] [extends] body`, or a variant:
        `model NAME [params] "=" NAME "(" args ")"`."""
        first = self.expect("model")
        name = self.token(self.expect("NAME"))
        params = self.params() if self.kinds[self.i] == "(" else None
        if self.kinds[self.i] == "=":
            self.i += 1
            model = self.token(self.expect("NAME"))
            self.expect("(")
            args = self.args(")")
            last = self.expect(")")
            return self.node("variant", [name, params, model, args], first, last)
        base = self.extends() if self.kinds[self.i] == "extends" else None
        body = self.body()
        return self.node("model", [name, params, base, body], first, body[2])

    def extends(self) -> Piece:
        first = self.expect("extends")
        path = self.token(self.expect("DOTTED"))
        self.expect("(")
        args = self.args(")")
        return self.node("extends", [path, args], first, self.expect(")"))

    def names(self) -> list:
        """`NAME ("," NAME)*`"""
        names = [self.token(self.expect("NAME"))]
        while self.kinds[self.i] == ",":
            self.i += 1
            names.append(self.token(self.expect("NAME")))
        return names

    # ---- parameters and types ----------------------------------------------------

    def params(self) -> Piece:
        first = self.expect("(")
        kept = self.listed(self.param, ")") or [None]
        return self.node("params", kept, first, self.expect(")"))

    def listed(self, item: Callable[[], Piece], close: str) -> list[Piece]:
        """`[item ("," item)* ","?]` up to `close`."""
        kept = []
        while self.kinds[self.i] != close:
            kept.append(item())
            if self.kinds[self.i] != ",":
                break
            self.i += 1
        return kept

    def param(self) -> Piece:
        first = self.i
        if self.kinds[first] in self.lexicon.names_in_params:  # `block: module`
            self.i += 1
        else:
            self.expect("NAME")
        type_ = default = None
        if self.kinds[self.i] == ":":
            self.i += 1
            type_ = self.type_()
        if self.kinds[self.i] == "=":
            self.i += 1
            default = self.expr()
        last = self.i - 1
        kept = [self.token(first, name=True), type_, default]
        return self.node("param", kept, first, last)

    def type_(self) -> Piece:
        terms = [self.type_term()]
        while self.kinds[self.i] == "|":
            self.i += 1
            terms.append(self.type_term())
        return self.node("type", terms, terms[0][1], terms[-1][2])

    def type_term(self) -> Piece:
        first = self.i
        if self.kinds[first] == "None":
            self.i += 1
            return self.node("none_type", [], first, first)
        kept: list = [self.token(self.expect("NAME"))]
        if self.kinds[self.i] != "[":
            return self.node("type_term", kept + [None], first, first)
        self.i += 1
        kept.append(self.type_())
        while self.kinds[self.i] == ",":
            self.i += 1
            kept.append(self.type_())
        return self.node("type_term", kept, first, self.expect("]"))

    # ---- build-time statements ---------------------------------------------------

    def body(self) -> Piece:
        return self.block_of("body", self.statement)

    def block_of(
        self, rule: str, statement: Callable[[], Piece], opener: int | None = None
    ) -> Piece:
        """`"{" _sep* (_stmt _sep+)* _stmt? "}"`: statements apart by newlines or
        `;` (`init {`: from the keyword at `opener` - 1)."""
        kinds = self.kinds
        first = self.i
        if opener is not None:
            self.i = opener
        self.expect("{")
        kept = []
        while True:
            while kinds[self.i] in ("_NL", ";"):
                self.i += 1
            if kinds[self.i] == "}":
                break
            kept.append(statement())
            if kinds[self.i] not in ("_NL", ";", "}"):
                raise Abandon
        return self.node(rule, kept, first, self.expect("}"))

    def statement(self) -> Piece:
        i = self.i
        kind = self.kinds[i]
        if kind == "NAME" or kind == "DOTTED" or kind in self.lexicon.names_in_body:
            after = self.kinds[i + 1]
            head = self.token(i, name=kind not in ("NAME", "DOTTED"))
            if after == "=":
                self.i = i + 2
                value = self.expr()
                height = value[3] + 1
                return self.reduce("assign", [head, value[0]], height, i, value[2])
            if after == "(":
                return self.call_like("call_stmt", [head], i)
            raise Abandon
        if kind == "forward":
            return self.forward()
        if kind == "if":
            return self.if_(self.body, "if_stmt")
        if kind in ("outputs", "weights", "freeze"):
            rule = "outputs" if kind == "outputs" else kind + "_stmt"
            return self.call_like(rule, [], i)
        if kind == "input":
            self.i += 1
            name = self.token(self.expect("NAME"))
            self.expect(":")
            shape = self.shape()
            return self.node("input_decl", [name, shape], i, shape[2])
        if kind == "at":
            return self.at()
        if kind == "for":
            self.i += 1
            targets = self.targets()
            self.expect("in")
            iterable = self.expr()
            body = self.body()
            return self.node("for_stmt", [targets, iterable, body], i, body[2])
        if kind == "init":
            return self.block_of("init_stmt", self.init_rule, opener=i + 1)
        raise Abandon  # whatever the grammar gains

    def call_like(self, rule: str, kept: list, first: int) -> Piece:
        """`head "(" args ")"`, the head at `first`: its kept tokens, then args."""
        self.i = first + 1
        self.expect("(")
        args = self.args(")")
        return self.node(rule, kept + [args], first, self.expect(")"))

    def if_(self, body: Callable[[], Piece], rule: str) -> Piece:
        first = self.expect("if")
        cond = self.expr()
        then = body()
        orelse = None
        if self.kinds[self.i] == "else":
            self.i += 1
            orelse = self.if_(body, rule) if self.kinds[self.i] == "if" else body()
        last = (orelse or then)[2]
        return self.node(rule, [cond, then, orelse], first, last)

    def at(self) -> Piece:
        first = self.expect("at")
        if self.kinds[self.i] not in ("NAME", "DOTTED"):
            raise Abandon
        path = self.token(self.i)
        self.i += 1
        self.expect("(")
        name = self.token(self.expect("NAME"))
        self.expect(")")
        self.expect("=")
        value = self.expr()
        return self.node("at_stmt", [path, name, value], first, value[2])

    def init_rule(self) -> Piece:
        """`Conv2d, "fc.*": kaiming_normal_(weight), zeros_(bias)`"""
        kept = [self.init_target()]
        while self.kinds[self.i] == ",":
            self.i += 1
            kept.append(self.init_target())
        self.expect(":")
        kept.append(self.expr())
        while self.kinds[self.i] == ",":
            self.i += 1
            kept.append(self.expr())
        return self.node("init_rule", kept, kept[0][1], kept[-1][2])

    def init_target(self) -> Piece:
        i = self.i
        if self.kinds[i] not in ("NAME", "STRING"):
            raise Abandon
        self.i = i + 1
        return self.node("init_target", [self.token(i)], i, i)

    # ---- forward -----------------------------------------------------------------

    def forward(self) -> Piece:
        first = self.expect("forward")
        self.expect("(")
        kept = self.listed(self.fparam, ")") or [None]
        self.expect(")")
        if self.kinds[self.i] == "=":
            self.i += 1
            body = self.fvalues()
        else:
            body = self.block_of("fbody", self.fstatement)
        return self.node("forward", kept + [body], first, body[2])

    def fparam(self) -> Piece:
        first = self.expect("NAME")
        shape = None
        if self.kinds[self.i] == ":":
            self.i += 1
            shape = self.shape()
        return self.node("fparam", [self.token(first), shape], first, self.i - 1)

    def shape(self) -> Piece:
        first = self.expect("[")
        dims = [self.dim()]
        while self.kinds[self.i] == ",":
            self.i += 1
            dims.append(self.dim())
        return self.node("shape", dims, first, self.expect("]"))

    def dim(self) -> Piece:
        i = self.i
        if self.kinds[i] not in ("NAME", "INT"):
            raise Abandon
        self.i = i + 1
        return self.node("dim", [self.token(i)], i, i)

    def fvalues(self) -> Piece:
        value = self.expr()
        if self.kinds[self.i] != ",":  # one value: every `x = f(x)`
            return self.reduce("fvalues", [value[0]], value[3] + 1, value[1], value[2])
        values = [value]
        while self.kinds[self.i] == ",":
            self.i += 1
            values.append(self.expr())
        return self.node("fvalues", values, values[0][1], values[-1][2])

    def fstatement(self) -> Piece:
        i = self.i
        kind = self.kinds[i]
        if kind == "NAME" or kind in self.lexicon.names_in_fbody:
            after = self.kinds[i + 1]
            if after == "AUG_OP":
                self.i = i + 2
                value = self.expr()
                kept = [self.token(i, name=True), self.token(i + 1), value]
                return self.node("faugassign", kept, i, value[2])
            if after in ("=", ","):
                self.i += 1
                targets = [self.token(i, name=True)]
                if self.kinds[self.i] == ",":
                    self.i += 1
                    targets += self.names()
                self.expect("=")
                values = self.fvalues()
                kept, height = targets + [values[0]], values[3] + 1
                return self.reduce("fassign", kept, height, i, values[2])
            raise Abandon
        if kind == "DOTTED" and self.kinds[i + 1] == "(":
            return self.call_like("fcall", [self.token(i)], i)
        if kind == "return":
            self.i += 1
            values = [self.expr()]
            while self.kinds[self.i] == ",":
                self.i += 1
                values.append(self.expr())
            return self.node("freturn", values, i, values[-1][2])
        if kind == "if":
            return self.if_(self.fbody, "fif")
        if kind == "for":
            self.i += 1
            targets = self.names()
            self.expect("in")
            iterable = self.expr()
            body = self.fbody()
            kept = targets + [iterable, body]
            return self.node("ffor", kept, i, body[2])
        raise Abandon  # whatever the grammar gains

    def fbody(self) -> Piece:
        return self.block_of("fbody", self.fstatement)


#: Why the fast path gives up, besides Abandon itself: a character lark reports, a
#: literal the lowering refuses, nesting deeper than Python's stack.
EXPECTED = (Unscannable, ArchError, RecursionError)


def fast_parse(lexicon: Lexicon, rules: frozenset[str], source: Source,
               text: str) -> ir.Program:  # fmt: skip
    """The IR of `text` (spans in `source`), or Abandon."""
    try:
        tokens = lexicon.scan(text)
        lowerer = FastLower(source, tokens, partial(read_field, lexicon, rules))
        parser = FastParser(tokens, lowerer, rules, lexicon)
        return parser.start()
    except Abandon:
        raise
    except Exception as exc:  # EXPECTED; anything else is a fast-path bug, which
        raise Abandon from exc  # lark's parse must not pay for (tests look for it)
