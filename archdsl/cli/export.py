"""`archdsl export`: a spec's model as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ArchError, Diagnostic
from .build import refuse_foreign
from .model_args import model_params
from .options import force_option, param_option, parse_shape


def register(commands) -> argparse.ArgumentParser:
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
    param_option(export, "a model parameter's value (needed where it has no default)")
    force_option(export)
    export.set_defaults(run=run)
    return export


def run(args: argparse.Namespace) -> int:
    from ..export import export_onnx

    overrides = {}
    for item in args.input_shape:
        name, dims = parse_shape(item, "NAME=1,3,224,224")
        if not name:
            raise ArchError(
                [Diagnostic(f"--input-shape {item!r}: write NAME=1,3,224,224")]
            )
        overrides[name] = dims
    from ..output import check_targets

    check_targets([args.onnx])
    refuse_foreign([args.onnx], args.force)
    from ..pipeline import compile_spec, model_info

    compiled = compile_spec(args.spec)
    params = model_params(model_info(compiled, args.model), args.param)
    inputs, outputs = export_onnx(compiled, args.onnx, args.model, overrides, params)
    print(
        f"wrote {args.onnx}: inputs {', '.join(inputs)}; outputs {', '.join(outputs)}"
    )
    return 0
