"""IR expressions -> Python source documents. Names arrive already validated by the
checks; every literal goes through `literal()` (a `repr` with ruff's quotes)."""

from __future__ import annotations

from collections.abc import Callable

from .. import ir
from ..ir.targets import target_names, targets_text
from ..ops import BUILTINS, TENSOR_OPS, layer
from ..ops.tensor_ops import TensorOp
from ..syntax.sugar import SHAPE_VARARGS
from .pretty import Doc, Group, Split, flat
from .state import state_doc

# Python operator precedence, lowest first (the language's and Python's agree).
_PREC = {
    "ifexp": 1, "or": 2, "and": 3, "not": 4, "compare": 5,
    "+": 6, "-": 6, "*": 7, "/": 7, "//": 7, "%": 7, "unary": 8, "**": 9,
}  # fmt: skip
_ATOM = 10
#: `*xs` binds tighter than any operator: `*(a + b)` needs its parentheses.
SPLAT_PRECEDENCE = _PREC["unary"]


def literal(value: object) -> str:
    """A validated constant as Python source, double-quoted like ruff writes strings."""
    if type(value) is int:  # the most common, first: layer sizes
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return text
    if isinstance(value, float) and value != value:  # NaN has no literal
        return 'float("nan")'
    assert value is None or isinstance(value, (bool, int, float))
    return repr(value)


class ExprWriter:
    """Turns expressions into docs. `name` maps a plain name to its Python spelling
    (e.g. a parameter read in forward becomes `self.p`)."""

    def __init__(
        self,
        name: Callable[[str], str],
        definitions: set[str],
        uses: set[str] | None = None,
        members: frozenset[str] = frozenset(),
        values: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        #: a forward's inputs and values: they shadow layer types (`ReLU = x`)
        self.values = values
        self.definitions = definitions
        self.members = members  # members shadow tensor ops of the same name (`relu`)
        #: names bound by the comprehensions being written: they shadow everything
        self.bound: set[str] = set()
        #: inside an f-string's field: the quote its strings take (not the f-string's)
        self.field_quote: str | None = None
        #: what the generated module must import or define: "OrderedDict", "F", ...
        self.uses: set[str] = set() if uses is None else uses

    def doc(self, expr: ir.Node) -> Doc:
        return _WRITERS[expr.kind](self, expr)

    def text(self, expr: ir.Node) -> str:
        return flat(self.doc(expr))

    # ---- atoms -------------------------------------------------------------------------

    def _name(self, expr: ir.Name) -> Doc:
        if expr.id in self.bound:
            return expr.id
        if expr.id in self.values:
            return self.name(expr.id)
        found = layer(expr.id)  # a layer type as a value: `norm_layer=BatchNorm2d`
        return found.python if found is not None else self.name(expr.id)

    def _path(self, expr: ir.Path) -> Doc:
        return path_text(expr.parts)

    def _const(self, expr: ir.Constant) -> Doc:
        if self.field_quote and isinstance(expr.value, str):  # inside an f-string
            return f"{self.field_quote}{expr.value}{self.field_quote}"  # checked plain
        return literal(expr.value)

    def _list(self, expr: ir.ListExpr) -> Doc:
        return Group("[", tuple(self.doc(i) for i in expr.items), "]")

    def _tuple(self, expr: ir.TupleExpr) -> Doc:
        items = tuple(self.doc(i) for i in expr.items)
        return Group("(", items, ")", one_tuple=len(items) == 1)

    def _listcomp(self, expr: ir.ListComp) -> Doc:
        outer = self.bound
        try:
            clauses = tuple(self._clause(clause) for clause in expr.clauses)
            elt = self.doc(expr.elt)
        finally:
            self.bound = outer
        return Group("[", (Split((elt, *clauses)),), "]")

    def _clause(self, clause: ir.CompFor | ir.CompIf) -> Doc:
        """One `for`/`if` clause; a `for` binds its names for what follows (its
        own iterable is read outside them)."""
        if isinstance(clause, ir.CompIf):
            return ("if ", self._wrap(clause.cond, _PREC["or"]))
        iterable = self._wrap(clause.iter, _PREC["or"])
        self.bound = self.bound | set(target_names(clause.targets))
        return (f"for {targets_text(clause.targets)} in ", iterable)

    def _fstring(self, expr: ir.FString) -> Doc:
        """The same f-string: `f"denselayer{i + 1}"`, `f"conv{k:02d}"`. Strings in
        its fields take the other quote (Python before 3.12 cannot nest the same)."""
        texts = [p.value for p in expr.parts if isinstance(p, ir.Constant)]
        quote = fstring_quote(texts)
        self.field_quote = "'" if quote == '"' else '"'
        try:
            fields = [self.text(p) if isinstance(p, ir.FormattedValue) else None
                      for p in expr.parts]  # fmt: skip
        finally:
            self.field_quote = None
        body = "".join(
            field if field is not None else fstring_text(part.value, quote)
            for part, field in zip(expr.parts, fields, strict=True)
        )
        return f"f{quote}{body}{quote}"

    def _fvalue(self, expr: ir.FormattedValue) -> Doc:
        spec = f":{expr.spec}" if expr.spec else ""
        return f"{{{self.text(expr.value)}{spec}}}"

    def _dict(self, expr: ir.DictExpr) -> Doc:
        items = zip(expr.keys, expr.values, strict=True)
        pairs = tuple((self.doc(k), ": ", self.doc(v)) for k, v in items)
        return Group("{", pairs, "}", explode=True)  # a display: one pair a line

    def _dictcomp(self, expr: ir.DictComp) -> Doc:
        outer = self.bound
        try:
            clauses = tuple(self._clause(clause) for clause in expr.clauses)
            pair = (self.doc(expr.key), ": ", self.doc(expr.value))
        finally:
            self.bound = outer
        return Group("{", (Split((pair, *clauses)),), "}")

    def _subscript(self, expr: ir.Subscript) -> Doc:
        index = expr.index
        items = index.items if isinstance(index, ir.TupleExpr) else (index,)
        docs = tuple(self.doc(i) for i in items)
        return (self._wrap(expr.value, _ATOM), Group("[", docs, "]"))

    def _slice(self, expr: ir.Slice) -> Doc:
        """ruff's spacing: `x[1:n]`, but `x[1 : n + 1]` and `x[: self.c]` once a
        bound is more than a name or a number."""
        parts = [expr.lower, expr.upper, expr.step]
        docs = [None if p is None else self.doc(p) for p in parts]
        if all(p is None or self._simple_bound(p) for p in parts):
            text: list[Doc] = [docs[0] or "", ":", docs[1] or ""]
            return tuple(text + ([":", docs[2]] if docs[2] is not None else []))
        lower, upper, step = docs
        out: list[Doc] = [lower, " :"] if lower is not None else [":"]
        if upper is not None:
            out += [" ", upper]
        if step is not None:
            out += [" :" if upper is not None else ":", " ", step]
        return tuple(out)

    def _simple_bound(self, expr: ir.Node) -> bool:
        if isinstance(expr, ir.UnaryOp) and expr.op in "+-":
            return self._simple_bound(expr.operand)
        if isinstance(expr, ir.Constant):
            return isinstance(expr.value, (int, float)) and expr.value >= 0
        return isinstance(expr, ir.Name) and "." not in flat(self.doc(expr))

    def _ellipsis(self, expr: ir.EllipsisExpr) -> Doc:
        return "..."

    def _attribute(self, expr: ir.Attribute) -> Doc:
        return (self._wrap(expr.value, _ATOM), f".{expr.name}")

    # ---- operators ---------------------------------------------------------------------

    def _binop(self, expr: ir.BinOp) -> Doc:
        prec = _PREC[expr.op]
        if expr.op == "**":  # right-associative; ruff hugs simple operands: `k**2`
            left = self._wrap(expr.left, prec + 1)
            right = self._wrap(expr.right, _PREC["unary"])  # `2 ** -1` is Python
            # a parenthesized operand is not simple to ruff: `(-2) ** 2`
            hugged = _simple_power_operand(expr.left) and precedence(expr.left) > prec
            if hugged and _simple_power_operand(expr.right):
                return (left, "**", right)
            return Split((left, ("** ", right)))
        operands = [(f"{expr.op} ", self._wrap(expr.right, prec + 1))]
        left: ir.Node = expr.left
        while isinstance(left, ir.BinOp) and _PREC[left.op] == prec:  # a + b - c
            operands.append((f"{left.op} ", self._wrap(left.right, prec + 1)))
            left = left.left
        operands.append(self._wrap(left, prec))
        return Split(tuple(reversed(operands)))

    def _unary(self, expr: ir.UnaryOp) -> Doc:
        if expr.op == "not":
            return ("not ", self._wrap(expr.operand, _PREC["not"]))
        # ruff parenthesizes a power under a unary operator: `-(k**0.5)`
        operand = expr.operand
        power = isinstance(operand, ir.BinOp) and operand.op == "**"
        return (expr.op, self._wrap(operand, _ATOM if power else _PREC["unary"]))

    def _compare(self, expr: ir.Compare) -> Doc:
        prec = _PREC["compare"]
        left = self._wrap(expr.left, prec + 1)
        return Split((left, (f"{expr.op} ", self._wrap(expr.right, prec + 1))))

    def _boolop(self, expr: ir.BoolOp) -> Doc:
        prec = _PREC[expr.op]
        operands = [(f"{expr.op} ", self._wrap(expr.right, prec + 1))]
        left: ir.Node = expr.left
        while isinstance(left, ir.BoolOp) and left.op == expr.op:  # a and b and c
            operands.append((f"{left.op} ", self._wrap(left.right, prec + 1)))
            left = left.left
        operands.append(self._wrap(left, prec))
        return Split(tuple(reversed(operands)))

    def _ifexp(self, expr: ir.IfExp) -> Doc:
        prec = _PREC["ifexp"]
        parts: list[Doc] = [self._wrap(expr.then, prec + 1)]
        while True:  # `a if c else b if d else e`: one split, as ruff reads it
            parts.append(("if ", self._wrap(expr.cond, prec + 1)))
            if not isinstance(expr.orelse, ir.IfExp):
                parts.append(("else ", self._wrap(expr.orelse, prec)))
                return Split(tuple(parts))
            expr = expr.orelse
            parts.append(("else ", self._wrap(expr.then, prec + 1)))

    def _wrap(self, expr: ir.Node, minimum: int) -> Doc:
        doc = self.doc(expr)
        return Group("(", (doc,), ")") if precedence(expr) < minimum else doc

    # ---- calls ---------------------------------------------------------------------------

    def _call(self, expr: ir.Call) -> Doc:
        state = state_doc(self, expr, _ATOM)  # Parameter(zeros(...)): codegen/state.py
        if state is not None:
            return state
        op = self.method_op(expr)
        if op is not None:
            receiver = self._wrap(expr.args[0].value, _ATOM)
            return (receiver, f".{op.python}", Group("(", self.method_args(expr), ")"))
        return (self.callee(expr.func), self.arguments(expr))

    def method_op(self, call: ir.Call) -> TensorOp | None:
        """The op `call` makes when torch has it as a tensor method only (`view`)."""
        func = call.func
        if not isinstance(func, ir.Name) or func.id in self.members:
            return None
        op = TENSOR_OPS.get(func.id)
        return op if op is not None and op.method and call.positional else None

    def method_args(self, call: ir.Call, argument=None) -> tuple[Doc, ...]:
        """A method call's arguments after its tensor; a shape written as a list
        is spread as torch's methods take it: `x.view(n, c, -1)`."""
        argument = argument or self.argument
        rest = call.args[1:]
        name = call.func.id  # type: ignore[union-attr]
        if (
            name in SHAPE_VARARGS
            and len(rest) == 1
            and isinstance(rest[0], ir.Positional)
            and isinstance(rest[0].value, ir.ListExpr)
        ):
            items = rest[0].value.items
            return tuple(argument(ir.Positional(value=i, span=i.span)) for i in items)
        return tuple(argument(a) for a in rest)

    def callee(self, func: ir.Node) -> str:
        if isinstance(func, ir.Subscript):  # `self.blocks["conv"]`: a ModuleDict's
            return flat(self._subscript(func))
        if isinstance(func, ir.Name) and func.id == "OrderedDict":
            self.uses.add("OrderedDict")
            return "OrderedDict"
        if isinstance(func, ir.Path):
            if func.parts[0] == "torchvision":  # torchvision.resnet50: a builder
                self.uses.add("models")
                return f"models.{func.parts[-1]}"
            head, *rest = func.parts
            if head in self.members:  # layer3.1 -> self.layer3[1]
                return path_text((self.name(head), *rest))
            return path_text(func.parts)
        assert isinstance(func, ir.Name)
        name = func.id
        if name in self.members:
            return self.name(name)
        if name in self.definitions or name in BUILTINS:
            return name
        if name == "partial":  # a reserved name: a layer type with bound arguments
            self.uses.add("partial")
            return name
        found = layer(name)
        if found is not None:
            self.uses.update({"ops"} if found.namespace == "ops" else set())
            return found.python
        op = TENSOR_OPS.get(name)
        if op is not None:
            self.uses.update({"F"} if op.needs_functional else set())
            self.uses.update({op.helper} if op.helper else set())
            self.uses.update({"torch"} if op.python.startswith("torch.") else set())
            return op.python
        return self.name(name)  # a member, spelled by the caller

    def arguments(self, call: ir.Call) -> Group:
        if _is_dict_sequential(call):  # Sequential({...}): torch takes an OrderedDict
            self.uses.add("OrderedDict")
            given = Group("(", (self.doc(call.args[0].value),), ")")
            return Group("(", (("OrderedDict", given),), ")")
        if _is_named_sequential(call):
            self.uses.add("OrderedDict")
            children = tuple((kw.name, "=", self.doc(kw.value)) for kw in call.keywords)
            return Group("(", (("OrderedDict", Group("(", children, ")")),), ")")
        args = [self.argument(a) for a in call.args]
        args += self.companions(call)
        return Group("(", tuple(args), ")")

    def companions(self, call: ir.Call) -> tuple[Doc, ...]:
        """Arguments torch needs beside ones the spec gave (see TensorOp.companions):
        `mean(x, keepdim=False)` is written `torch.mean(x, keepdim=False, dim=None)`."""
        func = call.func
        if not isinstance(func, ir.Name) or func.id in self.members:
            return ()
        op = TENSOR_OPS.get(func.id)
        if (
            op is None
            or not op.companions
            or any(isinstance(a, ir.Splat) for a in call.args)
        ):
            return ()
        names = [p.name for p in op.signature.params]
        given = set(names[: len(call.positional)]) | {k.name for k in call.keywords}
        return tuple(
            (companion, "=", literal(op.signature.param(companion).default))
            for passed, companion in op.companions
            if passed in given and companion not in given
        )

    def argument(self, arg: ir.Node) -> Doc:
        kind = arg.kind
        if kind == "positional":
            return self.doc(arg.value)
        if kind == "keyword":
            return (arg.name, "=", self.doc(arg.value))
        return ("*", self._wrap(arg.value, SPLAT_PRECEDENCE))  # a splat


#: The writer of each kind of expression (ExprWriter.doc): a lookup, not a
#: `getattr` of a formatted name, as every expression of a spec passes here.
_WRITERS = {
    kind: getattr(ExprWriter, f"_{kind}")
    for kind in (
        "name", "path", "const", "list", "tuple", "listcomp", "fstring", "fvalue",
        "dict", "dictcomp", "subscript", "slice", "ellipsis", "attribute", "binop",
        "unary", "compare", "boolop", "ifexp", "call",
    )
}  # fmt: skip


def _is_dict_sequential(call: ir.Call) -> bool:
    return (
        isinstance(call.func, ir.Name)
        and call.func.id == "Sequential"
        and len(call.args) == 1
        and isinstance(call.args[0].value, (ir.DictExpr, ir.DictComp))
    )


def fstring_quote(texts: list[str]) -> str:
    """The f-string's quote: `"` as ruff writes strings, `'` when its text holds a
    `"` and no `'`."""
    double = any('"' in t for t in texts)
    single = any("'" in t for t in texts)
    return "'" if double and not single else '"'


def fstring_text(text: str, quote: str) -> str:
    """Literal text inside an f-string: braces doubled, the quote and what a
    string literal cannot hold escaped."""
    out = []
    for char in text:
        if char in "{}":
            out.append(char * 2)
        elif char in ("\\", quote) or not char.isprintable():
            out.append(repr(char)[1:-1] if char != quote else "\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _is_named_sequential(call: ir.Call) -> bool:
    return (
        isinstance(call.func, ir.Name)
        and call.func.id == "Sequential"
        and bool(call.keywords)
    )


def precedence(expr: ir.Node) -> int:
    kind = expr.kind
    if kind == "binop":
        return _PREC[expr.op]
    if kind == "unary":
        return _PREC["not" if expr.op == "not" else "unary"]
    if kind == "boolop":
        return _PREC[expr.op]
    if kind in ("compare", "ifexp"):
        return _PREC[kind]
    if kind == "const" and isinstance(expr.value, (int, float)) and expr.value < 0:
        return _PREC["unary"]
    return _ATOM


def _simple_power_operand(expr: ir.Node) -> bool:
    """ruff writes `**` without spaces between names, numbers and dotted names,
    a unary minus included (`2**-1`, `self.k**2`)."""
    if isinstance(expr, ir.UnaryOp) and expr.op == "-":
        expr = expr.operand
    if isinstance(expr, ir.Constant):
        return isinstance(expr.value, (int, float)) and not isinstance(expr.value, bool)
    return isinstance(expr, (ir.Name, ir.Path))


def path_text(parts: tuple[str, ...]) -> str:
    """`features.0.conv` -> `features[0].conv`: numeric segments index containers."""
    text = parts[0]
    for part in parts[1:]:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text
