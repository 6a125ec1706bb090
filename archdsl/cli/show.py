"""`archdsl summary` and `archdsl ir`: what a spec builds, without building it."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ArchError
from .model_args import infer, shown_name
from .options import positive, shape_options


def register_summary(commands) -> argparse.ArgumentParser:
    command = commands.add_parser(
        "summary",
        help="each module's output shape and parameters, without building the model",
    )
    command.add_argument("spec", type=Path, metavar="SPEC")
    shape_options(command, "the input's shape (default: as declared, symbolic)")
    command.add_argument(
        "--depth", type=positive, default=2, metavar="N",
        help="show module calls nested up to N levels deep (default 2; 1: the "
        "model's own members)",
    )  # fmt: skip
    command.set_defaults(run=summary)
    return command


def register_ir(commands) -> argparse.ArgumentParser:
    command = commands.add_parser("ir", help="print a spec's IR as JSON")
    command.add_argument("spec", type=Path, metavar="SPEC")
    command.set_defaults(run=show_ir)
    return command


def summary(args: argparse.Namespace) -> int:
    from ..pipeline import compile_spec
    from ..shapes.summary import render_summary

    info, shapes, result = infer(compile_spec(args.spec), args)
    if result.errors:
        raise ArchError(result.diagnostics)
    shown = {
        name: "[" + ", ".join(str(d) for d in shape) + "]"
        for name, shape in shapes.items()
    } or {"input": "as declared"}
    print(render_summary(shown_name(info, args), result, shown, args.depth))
    return 0


def show_ir(args: argparse.Namespace) -> int:
    from ..pipeline import parse

    print(parse(args.spec).model_dump_json(indent=2))
    return 0
