"""`archdsl import`: a PyTorch model written back as a `.arch` spec."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ArchError, Diagnostic
from .options import force_option, parse_shape, report

DESCRIPTION = """\
Write a PyTorch model as a .arch spec: one block per Python class, its parameters
from what differs between instances, the forward traced with torch.fx. TARGET is
a torchvision builder, `torchvision.resnet50` or `torchvision.resnet50(num_classes=10)`,
or your own code, `path/to/file.py:ClassName(args)` or `package.module:factory(args)`
(arguments are Python literals). Naming your own code imports it, which RUNS that
code and what it imports, as `python -c` would: import only code you trust. The spec
goes to -o OUT.arch (written whole or not at all), else to standard output. What the
language cannot say (an untraceable forward, an operation it lacks) is reported,
naming the class and the operation, and left out of the spec: the exit status is
then 1. Needs torch (and torchvision for its models)."""


def register(commands) -> argparse.ArgumentParser:
    command = commands.add_parser(
        "import",
        help="write a PyTorch model (torchvision's or your own) as a .arch spec",
        description=DESCRIPTION,
    )
    command.add_argument("target", metavar="TARGET")
    command.add_argument("-o", "--output", type=Path, help="OUT.arch (default: stdout)")
    command.add_argument(
        "--input-shape",
        metavar="1,3,224,224",
        help="the model input's shape, declared in the spec's forward as [N, C, H, W] "
        "(default for torchvision: 3-channel images; otherwise undeclared)",
    )
    force_option(command)
    command.set_defaults(run=run)
    return command


def run(args: argparse.Namespace) -> int:
    from ..importer import import_model
    from ..output import write_atomic

    if args.output is not None and args.output.exists() and not args.force:
        raise ArchError(
            [Diagnostic(f"{args.output} exists", hint="pass --force to replace it")]
        )
    shape = (
        parse_shape(args.input_shape, "1,3,224,224")[1] if args.input_shape else None
    )
    imported = import_model(args.target, shape)
    if imported.text:
        if args.output is None:
            sys.stdout.write(imported.text)
        else:
            write_atomic(args.output, imported.text)
            print(f"wrote {args.output}", file=sys.stderr)
    report(imported.diagnostics, args)
    return 1 if imported.diagnostics else 0
