"""`partial(SiLU, inplace=True)`: a layer or block type with some arguments bound.

torchvision passes layer types this way (`SqueezeExcitation(..., activation=
partial(nn.SiLU, inplace=True))`, `norm_layer=partial(nn.BatchNorm2d, eps=1e-3)`),
and a `module` parameter must be able to hold what it holds. The result is again a
type (`families.CLASS`): calling it builds the layer with the bound arguments first,
the caller's after, as `functools.partial` does. The bound arguments are checked
here against the type's signature, with every parameter optional, since the rest
come when the type is called; generated code writes the same call, with
`from functools import partial`. Shape inference evaluates it into a `PartialRef`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ir
from ..ops import layer
from ..ops.signature import OPAQUE, Signature
from ..records import replace
from . import types
from .calls import bind
from .context import Context, Value
from .families import CLASS, ClassRef
from .inplace import is_inplace

#: The name a spec calls, as generated code does.
PARTIAL = "partial"


def is_partial_call(ctx: Context, call: ir.Call, shadowed: bool) -> bool:
    """`partial(...)` where no value, parameter or definition takes the name."""
    func = call.func
    return (
        isinstance(func, ir.Name)
        and func.id == PARTIAL
        and not shadowed
        and PARTIAL not in ctx.defs
    )


def check_partial(
    ctx: Context,
    call: ir.Call,
    values: list[Value],
    def_signature: Callable[[ir.Node], Signature],
) -> Value:
    """The type `call` makes, after checking what it binds."""
    args = call.args
    if not args or not isinstance(args[0], ir.Positional):
        ctx.error(
            "`partial` takes a block or layer type first, then the arguments to bind",
            call.span,
            hint="write `partial(SiLU, inplace=True)`",
        )
        return Value("any")
    first = values[0]
    if first.type != CLASS:
        if first.type != "any":  # an `any` came from an error already reported
            ctx.error(
                f"`partial` binds the arguments of a block or layer type, not of "
                f"{types.describe(first.type)}",
                args[0].value.span,
                hint="name the type without calling it: `partial(SiLU, inplace=True)`",
            )
        return Value("any")
    ref = first.module
    rest = ir.Call(func=call.func, args=args[1:], span=call.span)
    signature = _signature_of(ctx, ref, def_signature) if ref is not None else None
    if signature is None:
        return Value(CLASS, ref)  # a `module` parameter: its type is known on build
    bind(ctx, ref.label, _all_optional(signature), rest, values[1:])
    inplace = ref.inplace or is_inplace(signature, rest)
    return Value(CLASS, replace(ref, inplace=inplace))


def _signature_of(ctx: Context, ref, def_signature) -> Signature | None:
    if ref.definition is not None and ref.definition in ctx.defs:
        return def_signature(ctx.defs[ref.definition].node)
    found = layer(ref.label)
    return found.signature if found is not None else None


def _all_optional(signature: Signature) -> Signature:
    """The arguments not bound here come when the type is called."""
    params = tuple(
        replace(p, default=OPAQUE) if p.required else p for p in signature.params
    )
    return Signature(params, signature.named_children)


class PartialRef(ClassRef):
    """A `partial(...)` as a build-time value: the type and its bound arguments,
    evaluated (shapes/modules.py merges them into each call of it)."""

    __slots__ = ("positional", "keywords")

    def __init__(self, name: str, positional: list[Any], keywords: dict[str, Any]):
        super().__init__(name)
        self.positional = tuple(positional)
        self.keywords = dict(keywords)

    def __repr__(self) -> str:
        bound = [repr(p) for p in self.positional]
        bound += [f"{k}={v!r}" for k, v in self.keywords.items()]
        return f"partial({', '.join([self.name, *bound])})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PartialRef)
            and other.name == self.name
            and other.positional == self.positional
            and other.keywords == self.keywords
        )

    def __hash__(self) -> int:
        return hash((PARTIAL, self.name, self.positional, tuple(self.keywords)))

    def merged(
        self, positional: list[Any], keywords: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """A call's arguments after the bound ones, as functools.partial passes
        them: the call's keywords win."""
        return [*self.positional, *positional], {**self.keywords, **keywords}
