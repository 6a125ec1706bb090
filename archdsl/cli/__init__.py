"""The `archdsl` command: one module per command, each with `register(commands)`
that adds its argparse parser and sets `run`. Exit 0 on success, 1 when a spec has
errors, 2 on usage errors. A bad spec prints diagnostics, never a traceback.

Registering imports only argparse-level code; what a command needs (the compiler,
torch) is imported when it runs, so `archdsl check` never pays for `export`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ArchError
from . import build, check, export, fmt, graph, import_model, lsp, show
from .options import report

#: Each command's register function, in the order `archdsl --help` lists them.
COMMANDS = (
    build.register,
    check.register,
    show.register_summary,
    export.register,
    show.register_ir,
    graph.register,
    fmt.register,
    lsp.register,
    import_model.register,
)


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    # Unknown options are reported by the subcommand's parser, with its own usage.
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return args.run(args)
    except ArchError as exc:
        report(exc.diagnostics, args)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `archdsl ... | head`: the reader left; not an error here
        sys.stderr.close()
        return 1


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="archdsl", description="Compile .arch architecture specs to PyTorch."
    )
    parser.add_argument("--version", action="version", version=f"archdsl {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {}
    for register in COMMANDS:
        command = register(subparsers)
        commands[command.prog.split()[-1]] = command
    return parser, commands
