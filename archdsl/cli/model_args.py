"""The model a command works on: which one (--model), its parameters (-p) and its
input sizes (--input-shape), checked against what the spec declares."""

from __future__ import annotations

import argparse

from ..errors import ArchError, Diagnostic, did_you_mean
from .options import parse_param, parse_shape


def infer(compiled, args: argparse.Namespace, engine=None):
    """Shape inference for the chosen model, with the sizes the command line gives:
    (the model's DefInfo, the input shapes given, the result). `engine`: as for
    infer_model (archdsl graph records the dataflow with one)."""
    from ..pipeline import model_info
    from ..shapes.infer import InputShapeError, infer_model

    info = model_info(compiled, args.model)
    fixed: dict[str, object] = {}
    if info.kind == "variant":  # `resnet50`: its model, with the arguments it fixes
        from ..check.families import variant_params, variant_root

        fixed = variant_params(compiled.context, info) or {}
        info = compiled.context.defs[variant_root(compiled.context, info.node)[0]]
    params = {**fixed, **model_params(info, args.param)}
    shapes = _input_shapes(args, info)
    _check_defaults(info, params, shapes)
    try:
        result = infer_model(
            compiled.context, info, params, shapes or None, engine=engine
        )
    except InputShapeError as exc:
        raise ArchError([Diagnostic(str(exc), exc.span or info.node.span)]) from None
    if result is None:
        raise ArchError(
            [Diagnostic(f"`{info.name}` declares no input shapes",
                        info.node.span,
                        hint="declare them (`forward(x: [N, 3, H, W])`) or pass --input-shape")]
        )  # fmt: skip
    return info, shapes, result


def shown_name(info, args: argparse.Namespace) -> str:
    """The model as a title names it: `vgg11 (VGG)` for a named variant."""
    chosen = getattr(args, "model", None)
    return f"{chosen} ({info.name})" if chosen and chosen != info.name else info.name


def model_params(info, items: list[str]) -> dict[str, object]:
    """The -p values for `info`'s parameters: known names, of the declared types."""
    params = dict(parse_param(item) for item in items)
    declared = [p.name for p in info.node.params]
    unknown = [name for name in params if name not in declared]
    if unknown:
        raise ArchError(
            [Diagnostic(f"`{info.name}` has no parameter `{unknown[0]}`",
                        hint=did_you_mean(unknown[0], declared)
                        or f"its parameters: {', '.join(declared) or 'none'}")]
        )  # fmt: skip
    _check_param_types(info, params)
    return params


def _check_defaults(info, params: dict, shapes: dict[str, tuple[int, ...]]) -> None:
    """An --input-shape that gives a parameter's dimension a size other than its
    default is refused: it would silently check another model than the one built."""
    for inp in info.forward.inputs if info.forward else ():
        given = shapes.get(inp.name)
        if given is None or inp.shape is None or len(given) != len(inp.shape.dims):
            continue
        for dim, size in zip(inp.shape.dims, given, strict=True):
            default = info.known.get(dim.value) if isinstance(dim.value, str) else None
            named = any(p.name == dim.value for p in info.node.params)
            if (
                named
                and dim.value not in params
                and isinstance(default, int)
                and default != size
            ):
                raise ArchError(
                    [Diagnostic(f"--input-shape gives input `{inp.name}` {size} for "
                                f"`{dim.value}`, whose default is {default}", inp.span,
                                hint=f"to check the model built with {dim.value}={size}, "
                                f"also pass -p {dim.value}={size}")]
                )  # fmt: skip


def _check_param_types(info, params: dict[str, object]) -> None:
    """`-p n_classes=abc` for an `int` parameter is refused as the spec would be."""
    from ..check import types

    for param in info.node.params:
        if param.name in params and param.type is not None:
            given = types.of_constant(params[param.name])
            if not types.accepts((str(param.type),), given):
                raise ArchError(
                    [Diagnostic(f"--param {param.name}: `{info.name}` declares "
                                f"`{param.name}: {param.type}`, got {types.describe(given)} "
                                f"{params[param.name]!r}", param.span)]
                )  # fmt: skip


def _input_shapes(args: argparse.Namespace, info) -> dict[str, tuple[int, ...]]:
    """--input-shape values by input name; unnamed ones go to the inputs in order."""
    names = [inp.name for inp in info.forward.inputs] if info.forward else []
    shapes: dict[str, tuple[int, ...]] = {}
    for index, item in enumerate(args.input_shape):
        name, dims = parse_shape(item, "1,3,224,224 or x=1,3,224,224")
        if not name and index >= len(names):
            raise ArchError(
                [Diagnostic(f"--input-shape {item!r}: `{info.name}` takes "
                            f"{len(names)} input(s), and this is shape {index + 1}",
                            hint=f"its inputs: {', '.join(names) or 'none'}")]
            )  # fmt: skip
        name = name or names[index]
        if name not in names:
            raise ArchError(
                [Diagnostic(f"--input-shape {item!r}: `{info.name}` has no input "
                            f"`{name}`", hint=f"its inputs: {', '.join(names)}")]
            )  # fmt: skip
        shapes[name] = dims
    return shapes
