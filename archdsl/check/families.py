"""Families of models (issue 12, item 6): block and layer types as values
(`block: module = BasicBlock`, `norm_layer: module = BatchNorm2d`), constants read
from a type (`block.expansion`, torchvision's `Bottleneck.expansion`), parameter
types for configs (`list[list[int]]`, `tuple[int, str]`, `int | None`) and named
variants (`model resnet50 = ResNet(Bottleneck, [3, 4, 6, 3])`)."""

from __future__ import annotations

from .. import ir
from ..errors import Diagnostic, Note, did_you_mean
from ..ir.walk import walk_expr
from ..ops import layer
from ..records import replace
from . import types
from .consts import UNKNOWN, const_value
from .context import Context, DefInfo, ModuleRef, Value

#: The type of a block or layer type: what a `module` parameter holds.
CLASS = "class"

_PLAIN = {"int": "int", "float": "float", "bool": "bool", "str": "str", "None": "none"}


def param_type(ctx: Context, ref: ir.TypeRef) -> tuple[str, ...] | None:
    """The types a parameter declared `ref` accepts (one per option of a union),
    or None after reporting a type that does not exist."""
    found = declared_types(ref)
    if found is None:
        ctx.error(
            f"unknown parameter type `{ref}`",
            ref.span,
            hint="parameters are int, float, bool, str, module (a block or layer "
            "type), list[T], tuple[T, ...] or a union such as `int | None`",
        )
    return found


def declared_types(ref: ir.TypeRef) -> tuple[str, ...] | None:
    """`ref` in the checks' type lattice (check/types.py); None if unknown."""
    if ref.options:
        found = [declared_types(option) for option in ref.options]
        return None if None in found else tuple(t for f in found for t in f)  # type: ignore[union-attr]
    if ref.name == "module" and not ref.args:
        return (CLASS,)
    if ref.name in _PLAIN and not ref.args:
        return (_PLAIN[ref.name],)
    items = [declared_types(a) for a in ref.args]
    if None in items or not items:
        return None
    if ref.name == "list" and len(items) == 1:
        return (f"list[{items[0][0]}]" if len(items[0]) == 1 else "list",)
    return ("tuple",) if ref.name == "tuple" else None


def value_type(accepted: tuple[str, ...]) -> str:
    """The type a parameter's value has inside its body: `int | None` is an int
    where it is used (a None there is the caller's mistake, as in Python)."""
    options = [t for t in accepted if t != "none"] or ["none"]
    return options[0] if len(options) == 1 else "any"


def class_value(ctx: Context, name: str) -> Value | None:
    """A block or torch.nn layer named as a value (`BasicBlock`, `BatchNorm2d`)."""
    if name in ctx.defs and ctx.defs[name].kind == "block":
        info = ctx.defs[name]
        ref = ModuleRef(name, len(info.inputs), info.outputs, definition=name)
        return Value(CLASS, ref)
    found = layer(name)
    if found is not None:
        return Value(CLASS, ModuleRef(name, found.inputs, found.outputs))
    return None


def class_call(value: Value) -> Value:
    """What calling a type gives: a module of that type, or, when the type is
    known only when the model is built, a module taking and giving one tensor
    (the shape checks see the real one)."""
    ref = value.module or ModuleRef("module", None, None)
    return Value("module", ModuleRef(ref.label, ref.inputs, ref.outputs,
                                     definition=ref.definition,
                                     inplace=ref.inplace))  # fmt: skip


def class_constant(
    ctx: Context, owner: Value, path: ir.Path, by_name: bool = False
) -> Value:
    """`block.expansion`: a constant of a block type, fixed (no parameter changes
    it) so that it is the same for every instance, as a class attribute is. A type
    not named `by_name` (a parameter, a partial) is checked where its value is known
    (shapes)."""
    if len(path.parts) != 2:
        ctx.error(f"`{path.dotted}`: a type has constants, not submodules", path.span)
        return Value("any")
    name = path.parts[1]
    definition = owner.module.definition if owner.module else None
    if definition is None and by_name and owner.module is not None:
        ctx.error(no_constant(owner.module.label, name), path.span, hint=CONSTANT_HINT)
        return Value("any")
    if definition is None:
        return Value("any")
    shared = shared_constants(ctx.defs[definition].node)
    if name not in shared:
        ctx.error(
            f"`{definition}` has no constant `{name}` that every instance shares",
            path.span,
            hint=did_you_mean(name, sorted(shared))
            or "write it at the top of the block from literals, like `expansion = 4`",
        )
        return Value("any")
    return Value(types.of_constant(shared[name]))


CONSTANT_HINT = "constants are read from the spec's blocks (`expansion = 4` at the top)"


def no_constant(layer_name: str, name: str) -> str:
    """`Conv2d.expansion`: torch.nn's classes have no such constant (Python's
    AttributeError)."""
    return f"`{layer_name}` is a torch.nn layer: it has no constant `{name}`"


def shared_constants(node: ir.Node) -> dict[str, object]:
    """A block's constants made from literals alone, outside any `if`: the same for
    every instance, so readable from the type (codegen: class attributes)."""
    if not isinstance(node, ir.Block):
        return {}
    found: dict[str, object] = {}
    for stmt in node.body:
        if isinstance(stmt, ir.Assign) and len(stmt.target) == 1:
            value = const_value(stmt.value, {})
            if value is not UNKNOWN:
                found[stmt.name] = value
    return found


def class_constants(ctx: Context) -> dict[str, set[str]]:
    """For each block, the constants read through a type (`block.expansion`):
    codegen writes them as class attributes. Read by name, as the type behind a
    parameter is known only when the model is built. The blocks' constants come
    first: where there are none, there is nothing to write, and the walk of every
    expression (10,000 layers: 50,000 nodes) is not made."""
    constants = {
        name: set(shared_constants(info.node)) for name, info in ctx.defs.items()
    }
    if not any(constants.values()):
        return {}
    read = {
        node.parts[1]
        for info in ctx.defs.values()
        for node in _paths(info.node)
        if len(node.parts) == 2
    }
    found = {name: shared & read for name, shared in constants.items()}
    return {name: shared for name, shared in found.items() if shared}


def _paths(node: ir.Node):
    for expr in _exprs(node):
        for found in walk_expr(expr):
            if isinstance(found, ir.Path):
                yield found


def _exprs(node: ir.Node):
    if isinstance(node, ir.Builder):
        yield node.body
        return
    if isinstance(node, ir.Variant):
        return
    yield from (p.default for p in node.params if p.default is not None)
    stack = list(node.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ir.Assign):
            yield stmt.value
        elif isinstance(stmt, ir.If):
            yield stmt.cond
            stack.extend((*stmt.then, *stmt.orelse))


#: What a builder may return: a module (torchvision's `_make_layer`) or a number,
#: string or list (`make_divisible`), usable wherever a value of that type is.
BUILDER_RESULTS = ("module", "int", "float", "bool", "str", "list", "any")


def builder_returns(ctx: Context, node: ir.Builder, value: Value) -> str:
    if types.base(value.type) not in BUILDER_RESULTS:
        ctx.error(
            f"builder `{node.name}` returns {types.describe(value.type)}",
            node.body.span,
            hint="a builder returns a module or a build-time value (a number, a "
            "string, a list)",
        )
        return "any"
    return value.type


# ---- named variants -------------------------------------------------------------


def check_variant(ctx: Context, info: DefInfo, checker) -> None:
    """`model resnet50 = ResNet(...)`: the model exists and takes these arguments.
    A variant may start from another (`model vgg11_bn = vgg11(batch_norm=True)`):
    the arguments of both go to the model."""
    node = info.node
    assert isinstance(node, ir.Variant)
    root, args = variant_root(ctx, node)
    if root is None:
        ctx.error(
            f"variant `{node.name}` starts from itself, through `{node.model}`",
            node.span,
            hint="a variant names a model, or a variant of one",
        )
        return
    target = ctx.defs.get(root)
    if target is None or target.kind != "model":
        models = [n for n, d in ctx.defs.items() if d.kind in ("model", "variant")]
        ctx.error(
            f"`{node.model}` is not a model of this spec",
            node.span,
            hint=did_you_mean(node.model, models)
            or "a variant names a model and some of its arguments",
        )
        return
    if target.node.base is not None:
        ctx.error(
            f"`{node.model}` extends a torchvision model; a variant needs a model "
            "written out",
            node.span,
        )
        return
    for param in node.params:  # the variant is a model as it stands
        if param.default is None:
            ctx.error(
                f"variant `{node.name}`'s parameter `{param.name}` needs a default",
                param.span,
                hint="a variant is a model as it stands: give the value it is "
                "built with, which a caller may change",
            )
    call = ir.Call(func=ir.Name(id=root, span=node.span), args=args, span=node.span)
    checker.expr(call)
    info.uses[node.model] = node.span


def variant_root(ctx: Context, node: ir.Variant) -> tuple[str | None, tuple]:
    """The model a chain of variants starts from, and all their arguments (the
    base variant's first, so a keyword given twice is reported); None for a
    chain that comes back to itself."""
    args: tuple = node.args
    seen = {node.name}
    name = node.model
    while name in ctx.defs and ctx.defs[name].kind == "variant":
        if name in seen:
            return None, args
        seen.add(name)
        base = ctx.defs[name].node
        args = (*base.args, *args)
        name = base.model
    return name, args


def variant_params(ctx: Context, info: DefInfo) -> dict[str, object] | None:
    """The model parameters a variant fixes, by name, evaluated at check time;
    None when one is not a literal or a block type (then shapes are not checked)."""
    root, args = variant_root(ctx, info.node)
    if root not in ctx.defs:
        return None
    names = [p.name for p in ctx.defs[root].node.params]
    known = _variant_defaults(ctx, info.node)
    bound: dict[str, object] = {}
    for index, arg in enumerate(args):
        if isinstance(arg, ir.Splat):
            return None
        name = arg.name if isinstance(arg, ir.Keyword) else names[index]
        expr = arg.value
        if isinstance(expr, ir.Name) and class_value(ctx, expr.id) is not None:
            bound[name] = ClassRef(expr.id)
            continue
        value = const_value(expr, known)
        if value is UNKNOWN:
            return None
        bound[name] = value
    return bound


def _variant_defaults(ctx: Context, node: ir.Variant) -> dict[str, object]:
    """The defaults of the parameters of a variant and of those it starts from
    (`efficientnet_b0(dropout: float = 0.2)`): the values its arguments read."""
    known: dict[str, object] = {}
    seen: set[str] = set()
    while node.name not in seen:
        seen.add(node.name)
        for param in node.params:
            if param.default is not None:
                known.setdefault(param.name, const_value(param.default, {}))
        base = ctx.defs.get(node.model)
        if base is None or not isinstance(base.node, ir.Variant):
            break
        node = base.node
    return known


def in_variant(found: Diagnostic, variant: ir.Variant) -> Diagnostic:
    """A diagnostic found building a variant's model, with the variant as a note."""
    note = Note(f"in variant `{variant.name}` of `{variant.model}`", variant.span)
    return replace(found, notes=(*found.notes, note))


class ClassRef:
    """A block or layer type as a build-time value (shapes/modules.py builds it
    when it is called)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClassRef) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("ClassRef", self.name))
