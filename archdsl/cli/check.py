"""`archdsl check`: report every error in specs."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ArchError, Diagnostic
from .options import limit_options, limits, report, shape_options


def register(commands) -> argparse.ArgumentParser:
    check = commands.add_parser("check", help="report every error in specs")
    check.add_argument("specs", nargs="+", type=Path, metavar="SPEC")
    check.add_argument("--format", choices=("text", "json"), default="text")
    limit_options(check)
    shape_options(
        check, "check shapes for this input size (with --model when a spec has several)"
    )
    check.set_defaults(run=run)
    return check


def run(args: argparse.Namespace) -> int:
    from ..pipeline import compile_spec

    found: list[Diagnostic] = []
    for spec in args.specs:
        try:
            compiled = compile_spec(spec, limits(args))
            if args.input_shape or args.param:
                found += _concrete_check(compiled, args)
            else:
                found += compiled.warnings
        except ArchError as exc:
            found += exc.diagnostics
    report(found, args)
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
    from ..shapes.infer import infer_model
    from .model_args import infer

    info, _, result = infer(compiled, args)
    symbolic = infer_model(compiled.context, info)
    decided = {(d.span, d.message) for d in symbolic.diagnostics} if symbolic else set()
    kept = [w for w in compiled.warnings if (w.span, w.message) not in decided]
    found = kept + [d for d in result.diagnostics if d not in kept]
    return list(dict.fromkeys(found))
