"""Binding a call's arguments to a signature: arity, keywords, types, choices."""

from __future__ import annotations

from .. import ir
from ..errors import did_you_mean
from ..ops.signature import ParamSpec, Signature
from . import types
from .arguments import argument_for
from .context import Context, Value
from .names import why_reserved

__all__ = ["argument_for", "bind"]


def bind(
    ctx: Context, label: str, sig: Signature, call: ir.Call, values: list[Value]
) -> dict[str, ir.Node]:
    """Check `call` against `sig`; returns the argument expression bound to each
    parameter (what later passes, such as shape inference, read)."""
    bound: dict[str, ir.Node] = {}
    spread = misspelt = False  # a `*xs` among the arguments; a keyword not known
    positional_params = sig.positional
    variadic = sig.variadic
    index = 0
    if sig.named_children:
        _check_children_form(ctx, label, call)
    for arg, value in zip(call.args, values, strict=True):
        if isinstance(arg, ir.Splat):
            spread = True
            _check_splat(ctx, label, variadic, arg, value)
            continue
        if isinstance(arg, ir.Keyword):
            misspelt = misspelt or sig.param(arg.name) is None
            _bind_keyword(ctx, label, sig, arg, value, bound)
            continue
        if index < len(positional_params):
            param = positional_params[index]
            bound[param.name] = arg.value
            _check_type(ctx, label, param, arg.value, value)
        elif variadic is not None:
            _check_type(ctx, label, variadic, arg.value, value)
        else:
            ctx.error(
                f"`{label}` takes at most {len(positional_params)} positional "
                f"argument{'s' if len(positional_params) != 1 else ''}, got more",
                arg.span,
                hint=f"the signature is `{label}{sig.describe()}`",
            )
        index += 1
    if not spread and not (misspelt and not sig.named_children):
        # a misspelt keyword is most likely the missing argument: say it once
        _check_missing(ctx, label, sig, call, bound)
    return bound


def _bind_keyword(
    ctx: Context,
    label: str,
    sig: Signature,
    arg: ir.Keyword,
    value: Value,
    bound: dict[str, ir.Node],
) -> None:
    if sig.named_children:  # Sequential(fc1=Linear(...)): the keyword names a child
        reason = why_reserved(arg.name, attribute=True)
        if reason:
            ctx.error(
                f"cannot name a child `{arg.name}`: {reason}",
                arg.span,
                hint="rename it",
            )
        if value.type not in ("module", "any"):
            ctx.error(
                f"child `{arg.name}` of `{label}` must be a module, "
                f"got {types.describe(value.type)}",
                arg.value.span,
            )
        return
    param = sig.param(arg.name)
    if param is None:
        names = [p.name for p in sig.params if p.kind != "var"]
        ctx.error(
            f"`{label}` has no parameter `{arg.name}`",
            arg.span,
            hint=did_you_mean(arg.name, names)
            or f"the signature is `{label}{sig.describe()}`",
        )
        return
    if param.name in bound:
        ctx.error(f"`{label}` got two values for `{param.name}`", arg.span)
        return
    bound[param.name] = arg.value
    _check_type(ctx, label, param, arg.value, value)


def _check_missing(
    ctx: Context, label: str, sig: Signature, call: ir.Call, bound: dict[str, ir.Node]
) -> None:
    missing = [name for name in sig.required_names if name not in bound]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        ctx.error(
            f"`{label}` is missing {'an argument' if len(missing) == 1 else 'arguments'}: "
            f"{listed}",
            call.span,
            hint=f"the signature is `{label}{sig.describe()}`",
        )


def _check_type(
    ctx: Context, label: str, param: ParamSpec, expr: ir.Node, value: Value
) -> None:
    if not types.accepts(param.types, value.type):
        ctx.error(
            f"`{label}` argument `{param.name}` must be "
            f"{types.describe_expected(param.types)}, got {types.describe(value.type)}",
            expr.span,
        )
        return
    if param.choices and isinstance(expr, ir.Constant) and isinstance(expr.value, str):
        if expr.value not in param.choices:
            choices = ", ".join(repr(c) for c in param.choices)
            ctx.error(
                f"`{label}` argument `{param.name}` must be one of {choices}, "
                f"got {expr.value!r}",
                expr.span,
                hint=did_you_mean(expr.value, param.choices),
            )


def _check_children_form(ctx: Context, label: str, call: ir.Call) -> None:
    """torch's Sequential takes modules, or one OrderedDict of named ones, never
    both: `Sequential(Linear(2, 8), out=Linear(8, 3))` has no meaning."""
    named = [a for a in call.args if isinstance(a, ir.Keyword)]
    unnamed = [a for a in call.args if not isinstance(a, ir.Keyword)]
    if named and unnamed:
        ctx.error(
            f"`{label}` children are either all named or all unnamed",
            unnamed[0].span,
            hint=f"name this one too (`{label}(a=..., b=...)`), or drop the names",
        )


def _check_splat(
    ctx: Context, label: str, variadic: ParamSpec | None, arg: ir.Splat, value: Value
) -> None:
    """`*xs` needs a list; into `Sequential(*xs)` a list of modules."""
    if types.base(value.type) not in ("list", "any"):
        ctx.error(f"`*` needs a list, got {types.describe(value.type)}", arg.span)
        return
    item = types.item(value.type)
    if (
        variadic is not None
        and item != "any"
        and not types.accepts(variadic.types, item)
    ):
        ctx.error(
            f"`*` spreads this list into `{label}`, which takes "
            f"{types.describe_expected(variadic.types)}; the list holds "
            f"{types.describe(item)}",
            arg.span,
            hint=f"`*` spreads each item into `{label}` as one argument",
        )
