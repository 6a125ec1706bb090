"""The IR: small frozen declarations (`base.Node`), told apart by a literal `kind`.

A union of node types (`Expr`, `Stmt`, ...) is a plain union: `isinstance(x, Expr)`
works, and its classes are `Expr.__args__`.
"""

from __future__ import annotations

from typing import Any, Literal

from .base import Node

# ---- expressions ---------------------------------------------------------------


class Name(Node):
    kind: Literal["name"] = "name"
    id: str


class Path(Node):
    """A dotted path: `torchvision.resnet50`, `net.layer3`, `layer4.2.conv3`."""

    kind: Literal["path"] = "path"
    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


class Constant(Node):
    kind: Literal["const"] = "const"
    value: bool | int | float | str | None


class ListExpr(Node):
    kind: Literal["list"] = "list"
    items: tuple[Expr, ...]


class TupleExpr(Node):
    kind: Literal["tuple"] = "tuple"
    items: tuple[Expr, ...]


#: What a `for` binds: names, a nested tuple for each parenthesised group, as
#: Python unpacks them (`i, (t, c, n, s)` is `("i", ("t", "c", "n", "s"))`).
Targets = tuple[str | tuple[Any, ...], ...]


class CompFor(Node):
    """A comprehension's `for i, (t, c) in iter` clause."""

    kind: Literal["comp_for"] = "comp_for"
    targets: Targets
    iter: Expr


class CompIf(Node):
    """A comprehension's `if cond` clause: keeps the items it holds for."""

    kind: Literal["comp_if"] = "comp_if"
    cond: Expr


#: A comprehension's clauses, in source order; the first is always a CompFor.
Clause = CompFor | CompIf


class ListComp(Node):
    """`[elt for row in cfg for c in row if c != "M"]`: repetition with
    per-iteration arguments, clauses nested left to right as Python's."""

    kind: Literal["listcomp"] = "listcomp"
    elt: Expr
    clauses: tuple[Clause, ...]


class Positional(Node):
    kind: Literal["positional"] = "positional"
    value: Expr


class Keyword(Node):
    kind: Literal["keyword"] = "keyword"
    name: str
    value: Expr


class Splat(Node):
    """`*xs` inside a call: the items of a list become positional arguments."""

    kind: Literal["splat"] = "splat"
    value: Expr


Arg = Positional | Keyword | Splat


class Call(Node):
    kind: Literal["call"] = "call"
    func: Expr
    args: tuple[Arg, ...]

    @property
    def positional(self) -> list[Expr]:
        return [a.value for a in self.args if isinstance(a, Positional)]

    @property
    def keywords(self) -> list[Keyword]:
        return [a for a in self.args if isinstance(a, Keyword)]


BinOperator = Literal["+", "-", "*", "/", "//", "%", "**"]
CmpOperator = Literal["==", "!=", "<", "<=", ">", ">="]


class BinOp(Node):
    kind: Literal["binop"] = "binop"
    op: BinOperator
    left: Expr
    right: Expr


class UnaryOp(Node):
    kind: Literal["unary"] = "unary"
    op: Literal["-", "+", "not"]
    operand: Expr


class Compare(Node):
    kind: Literal["compare"] = "compare"
    op: CmpOperator
    left: Expr
    right: Expr


class BoolOp(Node):
    kind: Literal["boolop"] = "boolop"
    op: Literal["and", "or"]
    left: Expr
    right: Expr


class IfExp(Node):
    kind: Literal["ifexp"] = "ifexp"
    cond: Expr
    then: Expr
    orelse: Expr


class Subscript(Node):
    """`value[index]`; several indices (`x[:, 0]`) are a TupleExpr index."""

    kind: Literal["subscript"] = "subscript"
    value: Expr
    index: Expr


class Slice(Node):
    """`lower:upper:step` inside a subscript; a part left out is None."""

    kind: Literal["slice"] = "slice"
    lower: Expr | None = None
    upper: Expr | None = None
    step: Expr | None = None


class EllipsisExpr(Node):
    """`...` inside a subscript: every dimension not indexed otherwise."""

    kind: Literal["ellipsis"] = "ellipsis"


class Attribute(Node):
    """`f(x).name`, an attribute of a computed value. Method calls (`x.flatten(1)`)
    and `.shape` are lowered to operations; what is left is refused by the checks."""

    kind: Literal["attribute"] = "attribute"
    value: Expr
    name: str


class FormattedValue(Node):
    """`{i + 1:02d}` in an f-string: a build-time value and its format spec."""

    kind: Literal["fvalue"] = "fvalue"
    value: Expr
    spec: str = ""


class FString(Node):
    """`f"denselayer{i + 1}"`: literal text (string Constants) and formatted values,
    in order; evaluated at build time, written as the same f-string."""

    kind: Literal["fstring"] = "fstring"
    parts: tuple[Constant | FormattedValue, ...]


class DictExpr(Node):
    """`{"conv0": Conv2d(...), "norm0": ...}`: keys and values in insertion order
    (a ModuleDict's or a named Sequential's children)."""

    kind: Literal["dict"] = "dict"
    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]


class DictComp(Node):
    """`{f"layer{i}": Conv2d(...) for i in range(n)}`: clauses as ListComp's."""

    kind: Literal["dictcomp"] = "dictcomp"
    key: Expr
    value: Expr
    clauses: tuple[Clause, ...]


Expr = (
    Name
    | Path
    | Constant
    | ListExpr
    | TupleExpr
    | ListComp
    | Call
    | BinOp
    | UnaryOp
    | Compare
    | BoolOp
    | IfExp
    | Subscript
    | Slice
    | EllipsisExpr
    | Attribute
    | FString
    | FormattedValue
    | DictExpr
    | DictComp
)

EXPR_KINDS = ("name", "path", "const", "list", "tuple", "listcomp", "call", "binop",
              "unary", "compare", "boolop", "ifexp", "subscript", "slice", "ellipsis",
              "attribute", "fstring", "fvalue", "dict", "dictcomp")  # fmt: skip


# ---- shapes ----------------------------------------------------------------------


class Dim(Node):
    """One dimension of a declared input shape: a size or a symbol such as `N`, `H`."""

    kind: Literal["dim"] = "dim"
    value: int | str


class Shape(Node):
    kind: Literal["shape"] = "shape"
    dims: tuple[Dim, ...]


# ---- forward: dataflow -------------------------------------------------------------


class Input(Node):
    kind: Literal["input"] = "input"
    name: str
    shape: Shape | None = None


class FAssign(Node):
    """`x = expr` or `a, b = expr` inside `forward`."""

    kind: Literal["fassign"] = "fassign"
    targets: tuple[str, ...]
    value: Expr


class FReturn(Node):
    kind: Literal["freturn"] = "freturn"
    values: tuple[Expr, ...]


class FIf(Node):
    """A choice made at build time (on parameters), written inside `forward`."""

    kind: Literal["fif"] = "fif"
    cond: Expr
    then: tuple[FStmt, ...]
    orelse: tuple[FStmt, ...] = ()


class FFor(Node):
    """`for layer in children() { ... }` in `forward`: a loop over a container's
    modules (or `range(k)`), emitted as a Python loop, not unrolled."""

    kind: Literal["ffor"] = "ffor"
    targets: tuple[str, ...]
    iter: Expr
    body: tuple[FStmt, ...]


class FCall(Node):
    """`features.append(y)`: a forward-time list grows (DenseNet's features)."""

    kind: Literal["fcall"] = "fcall"
    call: Call


FStmt = FAssign | FReturn | FIf | FFor | FCall


class Forward(Node):
    kind: Literal["forward"] = "forward"
    inputs: tuple[Input, ...]
    body: tuple[FStmt, ...]


# ---- build-time statements ---------------------------------------------------------


class Assign(Node):
    """`name = expr` in a block body: a member when `expr` builds a module, else a
    build-time constant. `path` targets (`layer4.2.conv3 = ...`) replace a submodule of
    the base model."""

    kind: Literal["assign"] = "assign"
    target: tuple[str, ...]
    value: Expr

    @property
    def name(self) -> str:
        return ".".join(self.target)


class If(Node):
    kind: Literal["if"] = "if"
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


class Outputs(Node):
    """`outputs(logits = fc, feat = layer3)`: extra outputs tapped from the base model."""

    kind: Literal["outputs"] = "outputs"
    args: tuple[Arg, ...]


class InputDecl(Node):
    kind: Literal["input_decl"] = "input_decl"
    name: str
    shape: Shape


class At(Node):
    """`at fc(x) = expr`: in a model extending a base, the base forward's step through
    `path` becomes `expr`, where `input` names the tensor arriving at that step."""

    kind: Literal["at"] = "at"
    path: tuple[str, ...]
    input: str
    value: Expr

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


class Weights(Node):
    """`weights("file.safetensors", strict=False)`: the weights a model loads."""

    kind: Literal["weights"] = "weights"
    args: tuple[Arg, ...]


class Freeze(Node):
    """`freeze("conv1.*", "layer1.*")`: parameters (by path pattern) not trained."""

    kind: Literal["freeze"] = "freeze"
    args: tuple[Arg, ...]


class InitRule(Node):
    """`Conv2d, Linear: trunc_normal_(weight, std=0.02), zeros_(bias)`: what
    `torch.nn.init` does to the modules of these types (`Name`s) or at paths that
    match these patterns (string `Constant`s)."""

    kind: Literal["init_rule"] = "init_rule"
    targets: tuple[Name | Constant, ...]
    actions: tuple[Expr, ...]  # calls, checked


class Init(Node):
    """`init { ... }`: one loop over the modules, the first fitting rule applies."""

    kind: Literal["init"] = "init"
    rules: tuple[InitRule, ...]


class For(Node):
    """`for i, n in enumerate(block_config) { ... }`: a build-time loop in a body."""

    kind: Literal["for"] = "for"
    targets: Targets
    iter: Expr
    body: tuple[Stmt, ...]


class CallStmt(Node):
    """A call made for its effect at build time: `add_module(name, module)` (a
    child named when the model is built) or `features.append(module)`."""

    kind: Literal["call_stmt"] = "call_stmt"
    call: Call


Stmt = (
    Assign
    | If
    | For
    | CallStmt
    | Forward
    | Outputs
    | InputDecl
    | At
    | Weights
    | Freeze
    | Init
)


# ---- definitions -------------------------------------------------------------------


class TypeRef(Node):
    """A parameter type: `int`, `float`, `bool`, `str`, `None`, `module` (a block
    or layer type), `list[T]`, `tuple[T, ...]`; `options` holds the types of a
    union (`int | None`), whose `name` is then "|"."""

    kind: Literal["type"] = "type"
    name: str
    arg: TypeRef | None = None
    more: tuple[TypeRef, ...] = ()  # `tuple[int, str]`: the arguments after `arg`
    options: tuple[TypeRef, ...] = ()

    @property
    def args(self) -> tuple[TypeRef, ...]:
        return (self.arg, *self.more) if self.arg else ()

    def __str__(self) -> str:
        if self.options:
            return " | ".join(str(o) for o in self.options)
        if not self.arg:
            return self.name
        return f"{self.name}[{', '.join(str(a) for a in self.args)}]"


class Param(Node):
    kind: Literal["param"] = "param"
    name: str
    type: TypeRef | None = None
    default: Expr | None = None


class Block(Node):
    kind: Literal["block"] = "block"
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]


class Model(Node):
    kind: Literal["model"] = "model"
    name: str
    params: tuple[Param, ...]
    base: Call | None = None
    body: tuple[Stmt, ...]


class Builder(Node):
    """A function returning a module expression without adding a class level
    (torchvision's `_make_layer`)."""

    kind: Literal["builder"] = "builder"
    name: str
    params: tuple[Param, ...]
    body: Expr


class Import(Node):
    """`import "x.arch"` (names is None) or `from "x.arch" import A, B`."""

    kind: Literal["import"] = "import"
    path: str
    names: tuple[str, ...] | None = None


class Variant(Node):
    """`model resnet50 = ResNet(Bottleneck, [3, 4, 6, 3])`: a model with some of its
    arguments given, exported under its own name (a factory function)."""

    kind: Literal["variant"] = "variant"
    name: str
    model: str
    args: tuple[Arg, ...]
    # what a caller may change, passed on in `args` (`dropout: float = 0.2`); the
    # model's other parameters pass through as keywords. Every one has a default.
    params: tuple[Param, ...] = ()
    body: tuple[Stmt, ...] = ()


Definition = Block | Model | Builder | Variant


class Program(Node):
    kind: Literal["program"] = "program"
    path: str
    imports: tuple[Import, ...] = ()
    definitions: tuple[Definition, ...] = ()
