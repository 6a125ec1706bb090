"""`init { ... }` -> the initialisation loop a person writes at the end of
`__init__`, as torchvision does:

    for m in self.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.constant_(m.weight, 1)
            nn.init.constant_(m.bias, 0)

One loop per statement, over the modules in registration order, the first fitting
rule applying: so the random stream is drawn in the order torchvision draws it.
Statements inside an `if` keep their `if`. A statement whose rules all name one
module by path (`"heads.head"`) fills that module's tensors directly.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import ir
from ..check.context import DefInfo
from ..check.init import init_function, is_exact_path, is_pattern, tensor_arg
from ..check.init import tensor_path as tensor_parts
from ..ops import layer
from ..ops.init_functions import OPTIONAL_TENSORS
from .exprs import ExprWriter, literal, path_text
from .pretty import Doc, Group, Split
from .writer import Writer

#: Layers built with `bias=False` have no bias: a rule filling one is guarded.
_OPTIONAL_BIAS = frozenset(
    {"Linear", "Bilinear",
     *(f"{kind}{d}d" for kind in ("Conv", "ConvTranspose") for d in (1, 2, 3))}
)  # fmt: skip


def has_init(stmts: tuple[ir.Node, ...]) -> bool:
    return any(
        isinstance(s, ir.Init)
        or (isinstance(s, ir.If) and (has_init(s.then) or has_init(s.orelse)))
        for s in stmts
    )


def write_inits(out: Writer, info: DefInfo, exprs: ExprWriter) -> None:
    """Every `init` of the body, in order, after the modules exist."""
    _stmts(out, info, info.node.body, exprs, _loop_names(info))


def _stmts(
    out: Writer, info: DefInfo, stmts: tuple[ir.Node, ...], exprs: ExprWriter, m: Loop
) -> None:
    for stmt in stmts:
        if isinstance(stmt, ir.Init):
            _init(out, stmt, exprs, m)
        elif isinstance(stmt, ir.If) and has_init((stmt,)):
            _if(out, info, stmt, exprs, m, "if")


def _if(
    out: Writer,
    info: DefInfo,
    stmt: ir.If,
    exprs: ExprWriter,
    m: Loop,
    keyword: str,
) -> None:
    out.line((keyword, " ", exprs.doc(stmt.cond), ":"))
    with out.indented():
        if has_init(stmt.then):
            _stmts(out, info, stmt.then, exprs, m)
        else:
            out.line("pass")
    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ir.If):
        if has_init(stmt.orelse):
            _if(out, info, stmt.orelse[0], exprs, m, "elif")
    elif has_init(stmt.orelse):
        out.line("else:")
        with out.indented():
            _stmts(out, info, stmt.orelse, exprs, m)


class Loop(NamedTuple):
    """The loop's names: each module, and its path (for patterns)."""

    module: str
    path: str


def _loop_names(info: DefInfo) -> Loop:
    """`m` and `name`, as torchvision writes, unless the definition already names
    something so (a parameter read after the loop must keep its value)."""
    taken = {p.name for p in info.node.params} | set(info.consts) | set(info.members)
    module = next(n for n in ("m", "module", "init_module") if n not in taken)
    path = next(n for n in ("name", "module_name", "init_name") if n not in taken)
    return Loop(module, path)


def _init(out: Writer, stmt: ir.Init, exprs: ExprWriter, loop: Loop) -> None:
    if all(is_exact_path(t) for rule in stmt.rules for t in rule.targets):
        for rule in stmt.rules:
            for target in rule.targets:
                owner = path_text(("self", *str(target.value).split(".")))
                _actions(out, rule, owner, exprs, guarded=False)
        return
    by_name = any(is_pattern(t) for rule in stmt.rules for t in rule.targets)
    if by_name:
        exprs.uses.add("fnmatchcase")
        out.line(f"for {loop.path}, {loop.module} in self.named_modules():")
    else:
        out.line(f"for {loop.module} in self.modules():")
    with out.indented():
        for index, rule in enumerate(stmt.rules):
            keyword = "if" if index == 0 else "elif"
            out.line((keyword, " ", _test(rule, loop, exprs), ":"))
            with out.indented():
                _actions(out, rule, loop.module, exprs, guarded=_guards_bias(rule))


def _test(rule: ir.InitRule, loop: Loop, exprs: ExprWriter) -> Doc:
    """`isinstance(m, (nn.BatchNorm2d, nn.GroupNorm))`, `fnmatchcase(name, "fc")`."""
    types = [exprs.callee(t) for t in rule.targets if not is_pattern(t)]
    tests: list[Doc] = []
    if types:
        kinds = types[0] if len(types) == 1 else Group("(", tuple(types), ")")
        tests.append(("isinstance", Group("(", (loop.module, kinds), ")")))
    for target in rule.targets:
        if is_pattern(target):
            tests.append(
                ("fnmatchcase", Group("(", (loop.path, literal(target.value)), ")"))
            )
    if len(tests) == 1:
        return tests[0]
    return Split((tests[0], *(("or ", t) for t in tests[1:])))


def _guards_bias(rule: ir.InitRule) -> bool:
    return any(
        is_pattern(t) or (layer(t.id) is not None and t.id in _OPTIONAL_BIAS)
        for t in rule.targets
    )


def _actions(
    out: Writer, rule: ir.InitRule, owner: str, exprs: ExprWriter, *, guarded: bool
) -> None:
    for action in rule.actions:
        assert isinstance(action, ir.Call)
        tensor = tensor_arg(action)
        parts = tensor_parts(tensor)
        assert parts is not None, "checked: the tensor is named"
        filled = path_text((owner, *parts))
        call = _call(action, tensor, filled, exprs)
        if guarded and parts[-1] in OPTIONAL_TENSORS:
            out.line(f"if {filled} is not None:")
            with out.indented():
                out.line(call)
        else:
            out.line(call)


def _call(action: ir.Call, tensor: ir.Node, filled: str, exprs: ExprWriter) -> Doc:
    args: list[Doc] = []
    for arg in action.args:
        if arg.value is tensor:
            args.append(
                filled if isinstance(arg, ir.Positional) else f"tensor={filled}"
            )
        else:
            args.append(exprs.argument(arg))
    return (f"nn.init.{init_function(action)}", Group("(", tuple(args), ")"))
