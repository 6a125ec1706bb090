"""The generated module: header, imports, helpers, builders and one class per block."""

from __future__ import annotations

from .. import __version__, ir
from ..check.context import Context, DefInfo
from ..check.families import class_constants, variant_root
from ..ir.targets import targets_text
from ..ir.walk import assigned
from ..output import GENERATED_MARK
from ..source import Source
from .exprs import ExprWriter, literal, path_text
from .forward import ForwardWriter
from .init import write_inits
from .pretty import Group
from .writer import Writer

PAD_LIKE = '''\
def pad_like(input: Tensor, other: Tensor) -> Tensor:
    """Zero-pad `input` around its centre to the height and width of `other`."""
    diff_h = other.size(2) - input.size(2)
    diff_w = other.size(3) - input.size(3)
    pad = [diff_w // 2, diff_w - diff_w // 2, diff_h // 2, diff_h - diff_h // 2]
    return F.pad(input, pad)
'''

HELPERS = {"pad_like": PAD_LIKE}


def generate_module(program: ir.Program, ctx: Context, source: Source) -> str:
    definitions = set(ctx.defs)
    uses: set[str] = set()
    bodies: list[str] = []
    shared = class_constants(ctx)
    for info in ctx.defs.values():
        writer = Writer()
        exprs = ExprWriter(_init_names(shared.get(info.name, set())), definitions)
        if isinstance(info.node, ir.Builder):
            write_builder(writer, info, exprs)
        elif isinstance(info.node, ir.Variant):
            write_variant(writer, info.node, exprs, variant_root(ctx, info.node)[0])
        else:
            write_class(writer, info, exprs, definitions, shared.get(info.name, set()))
        uses |= exprs.uses
        bodies.append(writer.text())
    helpers = [HELPERS[name] for name in sorted(uses & HELPERS.keys())]
    parts = [_header(source, uses), *helpers, *bodies]
    return "\n\n".join(part.rstrip("\n") + "\n" for part in parts)


def header_comment(source: Source) -> list[str]:
    """The comment opening every generated module. Python reads a source-encoding
    declaration (PEP 263) from the first two lines, so those two are fixed text and
    the second declares UTF-8 itself; the spec's file name, which anyone can choose
    (`model(coding=utf-7).arch`, a newline, quotes), comes only after them, escaped
    as an ASCII Python string literal."""
    return [
        f"{GENERATED_MARK} {__version__}. Do not edit: change the spec and rebuild it.",
        "# -*- coding: utf-8 -*-",
        f"# Source: {ascii(source.name)}",
        f"# Source sha256: {source.sha256}",
    ]


def _header(source: Source, uses: set[str]) -> str:
    lines = [*header_comment(source), "", "from __future__ import annotations", ""]
    stdlib = []
    if "OrderedDict" in uses:
        stdlib.append("from collections import OrderedDict")
    if "Callable" in uses:
        stdlib.append("from collections.abc import Callable")
    if "fnmatchcase" in uses:
        stdlib.append("from fnmatch import fnmatchcase")
    if "partial" in uses:
        stdlib.append("from functools import partial")
    lines += [*stdlib, ""] if stdlib else []
    if "torch" in uses:
        lines.append("import torch")
    if "F" in uses or "pad_like" in uses:
        lines.append("import torch.nn.functional as F")
    lines.append("from torch import Tensor, nn")
    if "models" in uses or "ops" in uses:
        imported = ", ".join(n for n in ("models", "ops") if n in uses)
        lines.append(f"from torchvision import {imported}")
    return "\n".join(lines) + "\n"


# ---- builders ---------------------------------------------------------------------------


def write_builder(out: Writer, info: DefInfo, exprs: ExprWriter) -> None:
    node = info.node
    returns = "nn.Module" if info.returns == "module" else info.returns
    out.line(("def ", node.name, _params(node, exprs, with_self=False), f" -> {returns}:"),
             first_group=True)  # fmt: skip
    with out.indented():
        _default_fixups(out, node, exprs)
        out.line(("return ", exprs.doc(node.body)))


def write_variant(out: Writer, node: ir.Variant, exprs: ExprWriter, root: str) -> None:
    """A named variant as torchvision writes one: a factory passing the model (or
    the variant it starts from) its fixed arguments and the caller's keywords
    (`resnet50(num_classes=10)`); its own parameters come first, as torchvision's
    `efficientnet_b0` takes `dropout`."""
    params = _params(node, exprs, with_self=False).items
    signature = Group("(", (*params, "**kwargs"), ")")
    out.line(("def ", node.name, signature, f" -> {root}:"), first_group=True)
    with out.indented():
        _default_fixups(out, node, exprs)
        args = (*(exprs.argument(a) for a in node.args), "**kwargs")
        out.line(("return ", node.model, Group("(", args, ")")))


# ---- classes ----------------------------------------------------------------------------


def _init_names(shared: set[str]):
    """Names in __init__: a constant shared by every instance is the class's."""
    return lambda name: f"self.{name}" if name in shared else name


def write_class(
    out: Writer,
    info: DefInfo,
    exprs: ExprWriter,
    definitions: set[str],
    shared: set[str] = frozenset(),
) -> None:
    node = info.node
    out.line(f"class {node.name}(nn.Module):")
    with out.indented():
        for stmt in node.body:  # constants read from the type: `block.expansion`
            if isinstance(stmt, ir.Assign) and stmt.name in shared:
                out.line((stmt.name, " = ", exprs.doc(stmt.value)))
        if shared:
            out.blank()
        out.line(("def __init__", _params(node, exprs, with_self=True), " -> None:"),
                 first_group=True)  # fmt: skip
        with out.indented():
            out.line("super().__init__()")
            _default_fixups(out, node, exprs)
            if info.base is not None:
                _adopt_base(out, info, exprs)
            _body(out, info, node.body, exprs, shared=shared)
            for name in stored_names(info, always=True):
                if name not in shared:  # forward reads the class's
                    out.line(f"self.{name} = {name}")
            write_inits(out, info, exprs)
            if info.freeze:
                _freeze(out, info.freeze, exprs)
        out.blank()
        _forward(out, info, definitions, exprs.uses)


def _adopt_base(out: Writer, info: DefInfo, exprs: ExprWriter) -> None:
    """The base model's children become this model's, under the same names and in
    the same order, so its state_dict keys are torchvision's."""
    assert info.base is not None
    out.line(f"# torchvision's {info.base.builder}, child by child: same names, "
             "order and state_dict keys")  # fmt: skip
    base = exprs.doc(info.base.call)
    out.line(("for child_name, child in ", base, ".named_children():"))
    with out.indented():
        out.line("self.add_module(child_name, child)")


def _freeze(out: Writer, patterns: tuple[str, ...], exprs: ExprWriter) -> None:
    exprs.uses.add("fnmatchcase")
    listed = Group("(", tuple(literal(p) for p in patterns), ")",
                   one_tuple=len(patterns) == 1)  # fmt: skip
    out.line("# parameters the spec keeps from training")
    out.line(("frozen = ", listed))
    out.line("for param_name, param in self.named_parameters():")
    with out.indented():
        out.line("if any(fnmatchcase(param_name, pattern) for pattern in frozen):")
        with out.indented():
            out.line("param.requires_grad_(False)")


def _params(node: ir.Node, exprs: ExprWriter, *, with_self: bool) -> Group:
    items = ["self"] if with_self else []
    for param in node.params:
        py_type = _py_type(param, exprs.uses)
        if param.default is None:
            items.append(f"{param.name}: {py_type}")
        elif isinstance(param.default, ir.Constant) or _is_type(param):
            items.append(f"{param.name}: {py_type} = {exprs.text(param.default)}")
        else:  # a default computed from earlier parameters: filled in the body
            items.append(f"{param.name}: {py_type} | None = None")
    return Group("(", tuple(items), ")")


def _py_type(param: ir.Param, uses: set[str]) -> str:
    if param.type is not None:
        return python_type(param.type, uses)
    if isinstance(param.default, ir.Constant) and param.default.value is not None:
        return type(param.default.value).__name__
    return "int"


def python_type(ref: ir.TypeRef, uses: set[str]) -> str:
    """A parameter type as Python writes it. `module` is `Callable[..., nn.Module]`,
    as torchvision types `norm_layer`: a class, or a `partial` of one, that makes a
    module when called (`type[nn.Module]` would refuse the partial)."""
    if ref.options:
        return " | ".join(python_type(o, uses) for o in ref.options)
    if ref.name == "module":
        uses.add("Callable")
        return "Callable[..., nn.Module]"
    if ref.args:
        return f"{ref.name}[{', '.join(python_type(a, uses) for a in ref.args)}]"
    return ref.name


def _is_type(param: ir.Param) -> bool:
    """A default naming a block or layer (`block: module = BasicBlock`): written
    as the default itself, the class being defined above."""
    return param.type is not None and param.type.name == "module"


def _default_fixups(out: Writer, node: ir.Node, exprs: ExprWriter) -> None:
    for param in node.params:
        if _is_type(param):
            continue
        if param.default is not None and not isinstance(param.default, ir.Constant):
            out.line(f"if {param.name} is None:")
            with out.indented():
                out.line((param.name, " = ", exprs.doc(param.default)))


def stored_names(info: DefInfo, *, always: bool) -> list[str]:
    """The build-time names forward reads that are defined on every path (`always`:
    stored once, at the end of __init__) or only under an `if` (stored where they
    are made: a store at the end would read a name the branch never made)."""
    node = info.node
    top = {p.name for p in node.params} | {
        s.target[0] for s in node.body if isinstance(s, ir.Assign)
    }
    return [name for name in info.stored if (name in top) == always]


def _body(
    out: Writer,
    info: DefInfo,
    stmts: tuple[ir.Node, ...],
    exprs: ExprWriter,
    conditional: frozenset[str] | None = None,
    shared: set[str] = frozenset(),
) -> None:
    """`conditional`: inside an `if` or a loop, the names stored where they are made
    (stored_names(always=False)); None at the top of the body, which works them out
    once for all its nested bodies (a body of 10,000 `if`s asks 10,000 times)."""
    inner = conditional
    for stmt in stmts:
        if isinstance(stmt, ir.Assign):
            if shared and stmt.name in shared:
                continue  # a class attribute (write_class)
            target = path_text(stmt.target)
            if stmt.target[0] in info.members:
                target = f"self.{target}"
            out.line((target, " = ", exprs.doc(stmt.value)))
            if conditional and target in conditional:
                out.line(f"self.{target} = {target}")
            continue
        if inner is None and isinstance(stmt, (ir.If, ir.For)):
            inner = frozenset(stored_names(info, always=False))
        if isinstance(stmt, ir.If) and _has_code((stmt,)):
            _if(out, info, stmt, exprs, inner)
        elif isinstance(stmt, ir.For):
            out.line(
                ("for ", targets_text(stmt.targets), " in ", exprs.doc(stmt.iter), ":")
            )
            with out.indented():
                _body(out, info, stmt.body, exprs, inner)
        elif isinstance(stmt, ir.CallStmt):
            out.line(_call_stmt(info, stmt.call, exprs))


def _if(
    out: Writer,
    info: DefInfo,
    stmt: ir.If,
    exprs: ExprWriter,
    conditional: frozenset[str],
    keyword: str = "if",
) -> None:
    out.line((keyword, " ", exprs.doc(stmt.cond), ":"))
    with out.indented():
        if _has_code(stmt.then):
            _body(out, info, stmt.then, exprs, conditional)
        else:
            out.line("pass")
    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ir.If):
        _if(out, info, stmt.orelse[0], exprs, conditional, "elif")
    elif _has_code(stmt.orelse):
        out.line("else:")
        with out.indented():
            _body(out, info, stmt.orelse, exprs, conditional)


def _call_stmt(info: DefInfo, call: ir.Call, exprs: ExprWriter):
    """`add_module(...)` is the block's own; `features.append(...)` a member's."""
    func = call.func
    if isinstance(func, ir.Name):
        callee = f"self.{func.id}"
    else:
        head = (
            f"self.{func.parts[0]}" if func.parts[0] in info.members else func.parts[0]
        )
        callee = path_text((head, *func.parts[1:]))
    return (callee, exprs.arguments(call))


def _has_code(stmts: tuple[ir.Node, ...]) -> bool:
    """Assignments, loops and calls, here or in an `if` (one holding only `init`s
    is written later, by write_inits)."""
    return any(
        isinstance(s, (ir.Assign, ir.For, ir.CallStmt))
        or (isinstance(s, ir.If) and (_has_code(s.then) or _has_code(s.orelse)))
        for s in stmts
    )


def _forward_values(forward: ir.Forward) -> frozenset[str]:
    """The names a forward binds: its inputs, loop variables and assigned values."""
    inputs = {i.name for i in forward.inputs}
    return frozenset(inputs | assigned(forward.body, loop_variables=True))


def _tensors(count: int) -> str:
    return "Tensor" if count == 1 else f"tuple[{', '.join(['Tensor'] * count)}]"


def _forward(out: Writer, info: DefInfo, definitions: set[str], uses: set[str]) -> None:
    forward = info.forward
    assert forward is not None, "checked definitions have a forward"
    built = set(info.members) | set(info.stored)
    exprs = ExprWriter(
        lambda name: f"self.{name}" if name in built or name == "training" else name,
        definitions,
        uses,
        frozenset(info.members),
        _forward_values(forward),
    )
    inputs = tuple(["self", *(f"{i.name}: Tensor" for i in forward.inputs)])
    returns = _tensors(info.outputs)
    if info.train_outputs is not None:  # GoogLeNet: more outputs in training
        returns = f"{returns} | {_tensors(info.train_outputs)}"
    out.line(
        ("def forward", Group("(", inputs, ")"), f" -> {returns}:"), first_group=True
    )
    with out.indented():
        ForwardWriter(info, out, exprs).write()
