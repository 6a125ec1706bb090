"""`init { Conv2d: kaiming_normal_(weight, mode="fan_out"), ... }`: weight
initialisation rules.

Checked in two steps. While a definition's body is checked (`check_init_args`),
each action's arguments are checked against the `torch.nn.init` function's
signature in the body's scope, as any call is. Once every definition is known
(`check_inits`, a pass), each rule's targets are resolved: a layer or block type,
or a path pattern that must name modules the model has; and the tensor each
action fills must be one the matched modules have (`weight`, `bn3.weight`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import ir
from ..errors import did_you_mean
from ..ops import layer
from ..ops.init_functions import INIT_SIGNATURES, LAYER_TENSORS
from ..ops.signature import Signature
from .calls import bind
from .context import Context, DefInfo, Value
from .freeze import parameter_names

if TYPE_CHECKING:
    from .build import BuildChecker

#: The prefixes a copied `nn.init.kaiming_normal_` may carry.
_INIT_MODULES = (("nn", "init"), ("torch", "nn", "init"), ("init",))
_WILDCARDS = "*?["


def init_function(call: ir.Node) -> str | None:
    """`kaiming_normal_` for `kaiming_normal_(...)` or `nn.init.kaiming_normal_(...)`."""
    if not isinstance(call, ir.Call):
        return None
    func = call.func
    if isinstance(func, ir.Name):
        return func.id
    if isinstance(func, ir.Path) and func.parts[:-1] in _INIT_MODULES:
        return func.parts[-1]
    return None


def tensor_arg(call: ir.Call) -> ir.Node | None:
    """The expression naming the tensor an action fills: its first argument."""
    first = call.args[0] if call.args else None
    if isinstance(first, ir.Positional):
        return first.value
    keyword = next((k for k in call.keywords if k.name == "tensor"), None)
    return keyword.value if keyword else None


def tensor_path(expr: ir.Node | None) -> tuple[str, ...] | None:
    """`weight` -> ("weight",); `bn3.weight` -> ("bn3", "weight"); else None."""
    if isinstance(expr, ir.Name):
        return (expr.id,)
    if isinstance(expr, ir.Path):
        return expr.parts
    return None


def is_pattern(target: ir.Node) -> bool:
    return isinstance(target, ir.Constant)


def is_exact_path(target: ir.Node) -> bool:
    """A pattern without wildcards names one module: generated code reaches it
    directly (`self.heads.head.weight`), as a person would."""
    return is_pattern(target) and not any(c in str(target.value) for c in _WILDCARDS)


# ---- while the body is checked -----------------------------------------------------


def check_init_args(checker: BuildChecker, stmt: ir.Init) -> None:
    """Each action is a call of a torch.nn.init function with arguments known at
    build time; the statement is kept for `check_inits` and codegen."""
    checker.info.inits.append(stmt)
    for rule in stmt.rules:
        for action in rule.actions:
            _check_action(checker, action)


def _check_action(checker: BuildChecker, action: ir.Node) -> None:
    ctx = checker.ctx
    name = init_function(action)
    if name is None or not isinstance(action, ir.Call):
        ctx.error(
            "an `init` rule applies torch.nn.init functions",
            action.span,
            hint='for example `Conv2d: kaiming_normal_(weight, mode="fan_out")`',
        )
        return
    if name not in INIT_SIGNATURES:
        ctx.error(
            f"`{name}` is not a torch.nn.init function",
            action.func.span,
            hint=did_you_mean(name, INIT_SIGNATURES)
            or did_you_mean(name + "_", INIT_SIGNATURES)
            or "the functions are " + ", ".join(f"`{f}`" for f in INIT_SIGNATURES),
        )
        return
    tensor = tensor_arg(action)
    values = [
        Value("any") if arg.value is tensor else checker.expr(arg.value)
        for arg in action.args
    ]
    bind(ctx, name, Signature.from_table(INIT_SIGNATURES[name]), action, values)
    if tensor is not None and tensor_path(tensor) is None:
        ctx.error(
            f"`{name}` fills a parameter or buffer of the matched module, by name",
            tensor.span,
            hint="for example `weight`, `bias`, or a member's `bn3.weight`",
        )


# ---- the pass ----------------------------------------------------------------------


def check_inits(ctx: Context, program: ir.Program) -> None:
    """The pass (see PASSES): targets and tensors, once all definitions are known."""
    for info in ctx.defs.values():
        for stmt in info.inits:
            for rule in stmt.rules:
                _check_rule(ctx, info, rule)


def _check_rule(ctx: Context, info: DefInfo, rule: ir.InitRule) -> None:
    tensors = [
        (path, tensor)
        for action in rule.actions
        if init_function(action) in INIT_SIGNATURES
        and (path := tensor_path(tensor := tensor_arg(action))) is not None
    ]
    for target in rule.targets:
        if is_pattern(target):
            _check_pattern(ctx, info, target, tensors)
        else:
            _check_type(ctx, info, target, tensors)


def _check_type(
    ctx: Context,
    info: DefInfo,
    target: ir.Name,
    tensors: list[tuple[tuple[str, ...], ir.Node]],
) -> None:
    name = target.id
    if layer(name) is not None:
        known = LAYER_TENSORS.get(name)
        for path, expr in tensors:
            if known is not None and (len(path) > 1 or path[0] not in known):
                ctx.error(
                    f"`{name}` has no parameter or buffer `{'.'.join(path)}`",
                    expr.span,
                    hint=did_you_mean(path[-1], known)
                    or "it has " + ", ".join(f"`{t}`" for t in known),
                )
        return
    target_info = ctx.defs.get(name)
    if target_info is None or target_info.kind == "builder":
        candidates = [d for d, i in ctx.defs.items() if i.kind != "builder"]
        member = f'`{name}` is a member: match it by path, `"{name}": ...`'
        ctx.error(
            f"`{name}` is neither a layer nor a block of this spec",
            target.span,
            hint=(member if name in info.members else None)
            or did_you_mean(name, candidates)
            or "an `init` rule matches modules by layer or block type (`Conv2d`, "
            '`Bottleneck`) or path ("fc")',
        )
        return
    names = parameter_names(ctx, target_info)
    for path, expr in tensors:
        _check_tensor(ctx, names, ".".join(path), expr, f"block `{name}`")


def _check_pattern(
    ctx: Context,
    info: DefInfo,
    target: ir.Constant,
    tensors: list[tuple[tuple[str, ...], ir.Node]],
) -> None:
    pattern = target.value
    if not isinstance(pattern, str) or not pattern:
        ctx.error("a path pattern is a non-empty string", target.span)
        return
    names = parameter_names(ctx, info)
    if not names.matches(pattern + ".*"):  # `*` matches dots too
        ctx.error(
            f"no module with parameters in `{info.name}` has a path matching "
            f"{pattern!r}",
            target.span,
            hint=_closest(names.exact, pattern)
            or "patterns match module paths, such as `layer1.*.conv1`",
        )
        return
    for path, expr in tensors:
        full = f"{pattern}.{'.'.join(path)}"
        _check_tensor(ctx, names, full, expr, f"the modules at {pattern!r}")


def _check_tensor(ctx: Context, names, full: str, expr: ir.Node, where: str) -> None:
    """Only `weight` and `bias` are listed by name (check/freeze.py); other
    tensors, such as a buffer, are taken on trust."""
    if full.rsplit(".", 1)[-1] not in ("weight", "bias") or names.matches(full):
        return
    ctx.error(
        f"{where} has no parameter `{full}`",
        expr.span,
        hint=_closest(names.exact, full),
    )


def _closest(exact: list[str], wanted: str) -> str | None:
    modules = {name.rsplit(".", 1)[0] for name in exact}
    return did_you_mean(wanted, sorted(modules | set(exact)))
