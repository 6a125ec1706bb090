"""`archdsl build | check | ir`: exit 0 on success, 1 when a spec has errors, 2 on
usage errors. A bad spec prints diagnostics, never a traceback."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ArchError, Diagnostic, did_you_mean, render_all


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    # Unknown options are reported by the subcommand's parser, with its own usage.
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
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


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="archdsl", description="Compile .arch architecture specs to PyTorch."
    )
    parser.add_argument("--version", action="version", version=f"archdsl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="generate Python modules from specs")
    build.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    build.add_argument(
        "-o",
        "--output",
        help="OUT.py for one spec; otherwise a directory, made if missing "
        "(default: the current directory)",
    )
    _limit_options(build)
    _force_option(build)
    weights = build.add_argument_group(
        "weights",
        "load a weights file (--weights, else the one the spec names) into the "
        "spec's model and write its state_dict, as safetensors, next to the "
        "generated module (OUT.safetensors)",
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
    _param_option(weights, "a parameter of the model the weights load into")
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
        "--depth", type=_positive, default=2, metavar="N",
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
    _param_option(export, "a model parameter's value (needed where it has no default)")
    _force_option(export)
    export.set_defaults(run=_export)

    show_ir = commands.add_parser("ir", help="print a spec's IR as JSON")
    show_ir.add_argument("spec", type=Path, metavar="SPEC")
    show_ir.set_defaults(run=_ir)
    return parser, {
        "build": build, "check": check, "summary": summary, "export": export,
        "ir": show_ir,
    }  # fmt: skip


def _force_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that archdsl did not generate",
    )


def _param_option(command, help_text: str) -> None:
    command.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=help_text,
    )


def _shape_options(command: argparse.ArgumentParser, help_shape: str) -> None:
    command.add_argument(
        "--input-shape",
        action="append",
        default=[],
        metavar="[NAME=]1,3,224,224",
        help=help_shape,
    )
    _param_option(command, "a model parameter's value (for sizes that depend on it)")
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
            type=_positive,
            default=default,
            metavar="N",
            help=f"refuse a model with more {what} (default {default:,})",
        )


def _limits(args: argparse.Namespace):
    from .check import Limits

    return Limits(**{field: getattr(args, field) for field, _ in LIMIT_OPTIONS})


def _positive(text: str) -> int:
    """A whole number, 1 or more: a limit (a negative one would turn it off) or
    --depth (0 would show an empty table)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, 1 or more")
    return value


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
    from .codegen import generate_module
    from .output import check_targets, text_writer
    from .pipeline import compile_spec

    targets = _targets(args.specs, args.output)
    check_targets([target for _, target in targets])
    # Everything is generated, converted and checked before the first file is written.
    limits = _limits(args)
    compiled, found = [], []
    for spec, _ in targets:
        try:
            compiled.append(compile_spec(spec, limits))
        except ArchError as exc:
            found += exc.diagnostics
    if found:
        raise ArchError(found)
    files = [
        (target, text_writer(generate_module(c.program, c.context, c.source)))
        for c, (_, target) in zip(compiled, targets, strict=True)
    ]
    files += _convert_weights(args, compiled, [t for _, t in targets])
    _write(files, args.force)
    return 0


def _write(files, force: bool) -> None:
    """Check every target, refuse others' files, then write them all or none."""
    from .output import check_targets, write_all

    paths = [path for path, _ in files]
    check_targets(paths)
    _refuse_foreign(paths, force)
    try:
        write_all(files)
    except OSError as exc:
        where = exc.filename or ", ".join(map(str, paths))
        reason = exc.strerror or str(exc)
        raise ArchError(
            [Diagnostic(f"cannot write {where!s:.300}: {reason}")]
        ) from None
    for path in paths:
        print(f"wrote {path}")


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


def _convert_weights(args: argparse.Namespace, compiled: list, targets: list[Path]):
    """The weights files to write: with --weights, that file loaded into the spec's
    model; otherwise each spec's own `weights(...)`. A list of (path, writer)."""
    from .pipeline import model_info

    if args.weights is not None and len(compiled) != 1:
        raise ArchError([Diagnostic("--weights goes with one spec at a time")])
    jobs = []
    for spec, target in zip(compiled, targets, strict=True):
        if args.weights is not None:
            jobs.append((spec, model_info(spec, args.model), target))
        else:
            info = _model_with_weights(spec, args.model)
            jobs += [(spec, info, target)] if info is not None else []
    if args.param and not jobs:
        raise ArchError(
            [Diagnostic("-p sets the parameters of the model that weights load into, "
                        "and no weights are loaded here",
                        hint="the generated module takes them as arguments itself")]
        )  # fmt: skip
    return [_load_weights(args, *job) for job in jobs]


def _model_with_weights(compiled, name: str | None):
    """The model whose `weights(...)` a build applies: --model's, or the spec's only
    model's; None when it names none."""
    from .pipeline import model_info

    models = [
        info
        for info in compiled.context.defs.values()
        if info.kind == "model" and info.node.span is not None
        and info.node.span.path == compiled.source.path
    ]  # fmt: skip
    if name is None and not any(info.weights for info in models):
        return None
    info = model_info(compiled, name)
    return info if info.weights is not None else None


def _load_weights(args: argparse.Namespace, compiled, info, target: Path):
    from .pipeline import build_model, missing_params, spec_weights_path

    params = _model_params(info, args.param)
    missing_params(info, params)
    source = args.weights or spec_weights_path(compiled, info)
    try:
        from .weights import weights_writer

        model, report = build_model(
            compiled, info, kwargs=params, weights=source,
            strict=False if args.partial else None,
            allow_pickle=True if args.allow_pickle else None,
        )  # fmt: skip
    except ImportError as exc:  # a front-end-only install has no torch
        raise ArchError(
            [Diagnostic(f"loading weights needs {exc.name or 'torch'}",
                        hint="pip install 'archdsl[torch]'")]
        ) from None  # fmt: skip
    print(f"weights {source}: {report}")
    return target.with_suffix(".safetensors"), weights_writer(model)


def _targets(specs: list[Path], output: str | None) -> list[tuple[Path, Path]]:
    """Where each spec's module goes: -o OUT.py names the file for one spec; any
    other -o is a directory (made if missing); no -o, the current directory."""
    # A str, not a Path: Path("out/") drops the slash that says "a directory".
    if output is not None and output.endswith(".py") and not os.path.isdir(output):
        if len(specs) > 1:
            raise ArchError(
                [Diagnostic(f"-o {output} names one file, and {len(specs)} specs "
                            "were given", hint="give a directory: -o DIR/")]
            )  # fmt: skip
        return [(specs[0], Path(output))]
    folder = Path(output) if output is not None else Path(".")
    targets = [(spec, folder / f"{spec.stem}.py") for spec in specs]
    clashes = _duplicates([target for _, target in targets])
    if clashes:
        raise ArchError(
            [Diagnostic(f"two specs would both be written to {clashes[0]}",
                        hint="build them into different directories")]
        )  # fmt: skip
    return targets


def _duplicates(paths: list[Path]) -> list[Path]:
    seen: set[Path] = set()
    return [p for p in paths if p in seen or seen.add(p)]  # type: ignore[func-returns-value]


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
    from .output import check_targets

    check_targets([args.onnx])
    _refuse_foreign([args.onnx], args.force)
    from .pipeline import compile_spec, model_info

    compiled = compile_spec(args.spec)
    params = _model_params(model_info(compiled, args.model), args.param)
    inputs, outputs = export_onnx(compiled, args.onnx, args.model, overrides, params)
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
    params = _model_params(info, args.param)
    shapes = _input_shapes(args, info)
    _check_defaults(info, params, shapes)
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


def _model_params(info, items: list[str]) -> dict[str, object]:
    """The -p values for `info`'s parameters: known names, of the declared types."""
    params = dict(_parse_param(item) for item in items)
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


#: How deeply a -p list may nest: a list[int] needs one level.
MAX_PARAM_NESTING = 8


def _parse_param(item: str) -> tuple[str, object]:
    name, sep, text = item.partition("=")
    if not sep or not name.isidentifier():
        raise ArchError([Diagnostic(f"--param {item[:80]!r}: write NAME=VALUE")])
    number = _parse_number(item, text)
    if number is not None:
        return name, number
    if text in ("True", "False", "true", "false"):  # as written in specs, or in JSON
        return name, text in ("True", "true")
    if text.startswith("["):  # a list[int] parameter: -p widths=[64,128]
        return name, _parse_list(item, text)
    return name, text


def _parse_number(item: str, text: str) -> int | float | None:
    """An int or a finite float, as a spec would hold it; None if not a number. A
    literal a spec could not hold is refused, never turned into `inf`."""
    digits = text.strip().removeprefix("-").removeprefix("+").replace("_", "")
    try:
        return int(text)
    except ValueError:
        if digits.isdigit():  # Python refuses ints of over 4,300 digits
            raise ArchError(
                [Diagnostic(f"--param {item[:80]!r}: the integer is too large")]
            ) from None
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        raise ArchError(
            [Diagnostic(f"--param {item[:80]!r}: {text[:40]} is not a finite number")]
        )
    return value


def _parse_list(item: str, text: str) -> list:
    # Nesting is measured before json reads it: JSON thousands deep would exhaust
    # the recursion limit, and no parameter type nests so.
    depth = deepest = 0
    for char in text:
        depth += {"[": 1, "]": -1}.get(char, 0)
        deepest = max(deepest, depth)
    value = None
    if deepest <= MAX_PARAM_NESTING:
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float, str)) for v in value
    ):
        raise ArchError(
            [Diagnostic(f"--param {item[:80]!r}: write a list as [1, 2, 3]")]
        )
    return value


def _ir(args: argparse.Namespace) -> int:
    from .pipeline import parse

    print(parse(args.spec).model_dump_json(indent=2))
    return 0


def _report(diagnostics: list[Diagnostic], args: argparse.Namespace) -> None:
    if getattr(args, "format", "text") == "json":
        print(json.dumps([d.to_json() for d in diagnostics], indent=2))
    elif diagnostics:
        print(render_all(diagnostics), file=sys.stderr)
