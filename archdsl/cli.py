"""`archdsl build | check | ir`: exit 0 on success, 1 when a spec has errors, 2 on
usage errors. A bad spec prints diagnostics, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ArchError, Diagnostic, render_all


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ArchError as exc:
        _report(exc.diagnostics, args)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `archdsl ... | head`: the reader left; not an error here
        sys.stderr.close()
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archdsl", description="Compile .arch architecture specs to PyTorch."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="generate Python modules from specs")
    build.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    build.add_argument(
        "-o", "--output", help="OUT.py for one spec, or a directory (DIR/)"
    )
    _limit_options(build)
    build.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that archdsl did not generate",
    )
    weights = build.add_argument_group(
        "weights",
        "load a weights file into the spec's model and write its state_dict, as "
        "safetensors, next to the generated module (OUT.safetensors)",
    )
    weights.add_argument("--weights", metavar="FILE", help=".safetensors (or .pt/.pth)")
    weights.add_argument(
        "--partial",
        action="store_true",
        help="load what matches by name and shape, and report the rest",
    )
    weights.add_argument(
        "--allow-pickle",
        action="store_true",
        help="read .pt/.pth files, with torch.load(weights_only=True) only",
    )
    weights.add_argument(
        "--model", help="which model of the spec (default: its only one)"
    )
    build.set_defaults(run=_build)

    check = commands.add_parser("check", help="report every error in specs")
    check.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    check.add_argument("--format", choices=("text", "json"), default="text")
    _limit_options(check)
    _shape_options(
        check, "check shapes for this input size (with --model when a spec has several)"
    )
    check.set_defaults(run=_check)

    summary = commands.add_parser(
        "summary",
        help="each module's output shape and parameters, without building the model",
    )
    summary.add_argument("spec", type=Path, metavar="SPEC")
    _shape_options(summary, "the input's shape (default: as declared, symbolic)")
    summary.add_argument(
        "--depth", type=_levels, default=2, metavar="N",
        help="show module calls nested up to N levels deep (default 2; 1: the "
        "model's own members)",
    )  # fmt: skip
    summary.set_defaults(run=_summary)

    export = commands.add_parser("export", help="export a spec's model as ONNX")
    export.add_argument("spec", type=Path, metavar="SPEC")
    export.add_argument("--onnx", type=Path, required=True, metavar="OUT.onnx")
    export.add_argument(
        "--model", help="which model of the spec (default: its only one)"
    )
    export.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="NAME=1,3,224,224",
        help="an example input's shape (default: the shape the spec declares)",
    )
    export.set_defaults(run=_export)

    show_ir = commands.add_parser("ir", help="print a spec's IR as JSON")
    show_ir.add_argument("spec", type=Path, metavar="SPEC")
    show_ir.set_defaults(run=_ir)
    return parser


def _shape_options(command: argparse.ArgumentParser, help_shape: str) -> None:
    command.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="[NAME=]1,3,224,224",
        help=help_shape,
    )
    command.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a model parameter's value (for sizes that depend on it)",
    )
    if not any(a.dest == "model" for a in command._actions):
        command.add_argument(
            "--model", help="which model (default: the spec's only one)"
        )


#: The resource limits a user may raise: (field of Limits, what it counts)
LIMIT_OPTIONS = (("max_params", "parameters"), ("max_modules", "modules built"))


def _limit_options(command: argparse.ArgumentParser) -> None:
    from .check import Limits

    for field, what in LIMIT_OPTIONS:
        default = getattr(Limits(), field)
        command.add_argument(
            f"--{field.replace('_', '-')}",
            type=int,
            default=default,
            metavar="N",
            help=f"refuse a model with more {what} (default {default:,})",
        )


def _limits(args: argparse.Namespace):
    from .check import Limits

    return Limits(**{field: getattr(args, field) for field, _ in LIMIT_OPTIONS})


def _levels(text: str) -> int:
    """--depth: 1 or more (0 would show an empty table)."""
    try:
        levels = int(text)
    except ValueError:
        levels = 0
    if levels < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return levels


def _check(args: argparse.Namespace) -> int:
    from .pipeline import compile_spec

    found: list[Diagnostic] = []
    for spec in args.specs:
        try:
            compiled = compile_spec(spec, _limits(args))
            if args.input_shape or args.param:
                found += _concrete_check(compiled, args)
            else:
                found += compiled.warnings
        except ArchError as exc:
            found += exc.diagnostics
    _report(found, args)
    failed = any(d.severity == "error" for d in found)
    if not failed and args.format == "text":
        print(
            f"ok: {len(args.specs)} spec{'s' if len(args.specs) != 1 else ''} checked"
        )
    return 1 if failed else 0


def _concrete_check(compiled, args: argparse.Namespace) -> list[Diagnostic]:
    """The model's diagnostics for the sizes and parameters given. They replace what
    the symbolic pass said about it ("depends on the input size"), which the given
    sizes have now decided; other warnings (unused values, other models) stay."""
    from .shapes.infer import infer_model

    info, _, result = _infer(compiled, args)
    symbolic = infer_model(compiled.context, info)
    decided = {(d.span, d.message) for d in symbolic.diagnostics} if symbolic else set()
    kept = [w for w in compiled.warnings if (w.span, w.message) not in decided]
    found = kept + [d for d in result.diagnostics if d not in kept]
    return list(dict.fromkeys(found))


def _build(args: argparse.Namespace) -> int:
    from .output import write_atomic
    from .pipeline import generate

    targets = _targets(args.specs, args.output)
    # Everything is generated, converted and checked before the first file is written.
    limits = _limits(args)
    generated = [(target, generate(spec, limits)) for spec, target in targets]
    converted = _convert_weights(args, targets)
    outputs = [target for target, _ in generated]
    outputs += [converted[1]] if converted is not None else []
    _refuse_foreign(outputs, args.force)
    for target, code in generated:
        write_atomic(target, code)
        print(f"wrote {target}")
    if converted is not None:
        from .weights import save_weights

        model, target = converted
        save_weights(model, target)
        print(f"wrote {target}")
    return 0


def _refuse_foreign(paths: list[Path], force: bool) -> None:
    from .output import foreign_file

    foreign = [p for p in paths if not force and foreign_file(p)]
    if foreign:
        raise ArchError(
            [
                Diagnostic(
                    f"{path} exists and was not generated by archdsl; not overwriting it",
                    hint="pass --force to replace it, or choose another output",
                )
                for path in foreign
            ]
        )


def _convert_weights(args: argparse.Namespace, targets):
    """With --weights: the model with the file loaded, and where its state goes."""
    if args.weights is None:
        return None
    if len(targets) != 1:
        raise ArchError([Diagnostic("--weights goes with one spec at a time")])
    from .pipeline import instantiate

    spec, target = targets[0]
    try:
        model, report = instantiate(
            spec,
            args.model,
            weights=args.weights,
            strict=not args.partial,
            allow_pickle=args.allow_pickle,
        )
    except ImportError as exc:  # a front-end-only install has no torch
        raise ArchError(
            [
                Diagnostic(
                    f"--weights needs {exc.name or 'torch'}",
                    hint="pip install 'archdsl[torch]'",
                )
            ]
        ) from None
    print(f"weights {args.weights}: {report}")
    return model, target.with_suffix(".safetensors")


def _targets(specs: list[Path], output: str | None) -> list[tuple[Path, Path]]:
    # A str, not a Path: Path("out/") drops the slash that says "a directory".
    as_dir = output is not None and (
        len(specs) > 1 or output.endswith(("/", "\\")) or Path(output).is_dir()
    )
    if output is not None and not as_dir:
        return [(specs[0], Path(output))]
    folder = Path(output) if output is not None else Path(".")
    return [(spec, folder / f"{spec.stem}.py") for spec in specs]


def _export(args: argparse.Namespace) -> int:
    from .export import export_onnx

    overrides = {}
    for item in args.input_shape:
        name, dims = _parse_shape(item, "NAME=1,3,224,224")
        if not name:
            raise ArchError(
                [Diagnostic(f"--input-shape {item!r}: write NAME=1,3,224,224")]
            )
        overrides[name] = dims
    inputs, outputs = export_onnx(args.spec, args.onnx, args.model, overrides)
    print(
        f"wrote {args.onnx}: inputs {', '.join(inputs)}; outputs {', '.join(outputs)}"
    )
    return 0


def _summary(args: argparse.Namespace) -> int:
    from .pipeline import compile_spec
    from .shapes.summary import render_summary

    info, shapes, result = _infer(compile_spec(args.spec), args)
    if result.errors:
        raise ArchError(result.diagnostics)
    shown = {
        name: "[" + ", ".join(str(d) for d in shape) + "]"
        for name, shape in shapes.items()
    } or {"input": "as declared"}
    print(render_summary(info.name, result, shown, args.depth))
    return 0


def _infer(compiled, args: argparse.Namespace):
    """Shape inference for the chosen model, with the sizes the command line gives:
    (the model's DefInfo, the input shapes given, the result)."""
    from .pipeline import model_info
    from .shapes.infer import InputShapeError, infer_model

    info = model_info(compiled, args.model)
    params = dict(_parse_param(item) for item in args.param)
    unknown = [
        name for name in params if name not in {p.name for p in info.node.params}
    ]
    if unknown:
        raise ArchError(
            [Diagnostic(f"`{info.name}` has no parameter `{unknown[0]}`",
                        hint=f"its parameters: {', '.join(p.name for p in info.node.params) or 'none'}")]
        )  # fmt: skip
    _check_param_types(info, params)
    shapes = _input_shapes(args, info)
    try:
        result = infer_model(compiled.context, info, params, shapes or None)
    except InputShapeError as exc:
        raise ArchError([Diagnostic(str(exc), exc.span or info.node.span)]) from None
    if result is None:
        raise ArchError(
            [Diagnostic(f"`{info.name}` declares no input shapes",
                        info.node.span,
                        hint="declare them (`forward(x: [N, 3, H, W])`) or pass --input-shape")]
        )  # fmt: skip
    return info, shapes, result


def _check_param_types(info, params: dict[str, object]) -> None:
    """`-p n_classes=abc` for an `int` parameter is refused as the spec would be."""
    from .check import types

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
        name, dims = _parse_shape(item, "1,3,224,224 or x=1,3,224,224")
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


def _parse_shape(item: str, example: str) -> tuple[str, tuple[int, ...]]:
    """`x=1,3,224,224` -> ("x", (1, 3, 224, 224)); the name may be empty."""
    name, _, dims = item.rpartition("=")
    try:
        shape = tuple(int(d) for d in dims.split(","))
    except ValueError:
        raise ArchError(
            [Diagnostic(f"--input-shape {item!r}: write {example}")]
        ) from None
    if any(d < 0 for d in shape):
        raise ArchError(
            [Diagnostic(f"--input-shape {item!r}: sizes cannot be negative")]
        )
    return name, shape


def _parse_param(item: str) -> tuple[str, object]:
    name, sep, text = item.partition("=")
    if not sep or not name.isidentifier():
        raise ArchError([Diagnostic(f"--param {item!r}: write NAME=VALUE")])
    for convert in (int, float):
        try:
            return name, convert(text)
        except ValueError:
            pass
    if text in ("True", "False"):
        return name, text == "True"
    if text.startswith("["):  # a list[int] parameter: -p widths=[64,128]
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, list) or not all(
            isinstance(v, (int, float, str)) for v in value
        ):
            raise ArchError(
                [Diagnostic(f"--param {item!r}: write a list as [1, 2, 3]")]
            )
        return name, value
    return name, text


def _ir(args: argparse.Namespace) -> int:
    from .pipeline import parse

    print(parse(args.spec).model_dump_json(indent=2))
    return 0


def _report(diagnostics: list[Diagnostic], args: argparse.Namespace) -> None:
    if getattr(args, "format", "text") == "json":
        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    elif diagnostics:
        print(render_all(diagnostics), file=sys.stderr)
