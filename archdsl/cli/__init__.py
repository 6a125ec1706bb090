"""The `archdsl` command: one module per command, each with `register(commands)`
that adds its argparse parser and sets `run`. Exit 0 on success, 1 when a spec has
errors, 2 on usage errors. A bad spec prints diagnostics, never a traceback.

Registering imports only argparse-level code; what a command needs (the compiler,
torch) is imported when it runs, so `archdsl check` never pays for `export`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import ArchError
from .options import report

#: Each command's module here and register function, in the order `archdsl --help`
#: lists them.
COMMANDS = {
    "build": ("build", "register"),
    "check": ("check", "register"),
    "summary": ("show", "register_summary"),
    "export": ("export", "register"),
    "ir": ("show", "register_ir"),
    "graph": ("graph", "register"),
    "fmt": ("fmt", "register"),
    "lsp": ("lsp", "register"),
    "import": ("import_model", "register"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser, commands = _parser(argv[0] if argv else None)
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


def _parser(
    command: str | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, with every command, or only `command` when it names one: each
    command's module is imported to register it, and `archdsl check` should not
    pay for the others (a cold check, issue 15)."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="archdsl", description="Compile .arch architecture specs to PyTorch."
    )
    parser.add_argument("--version", action="version", version=f"archdsl {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {}
    for name in [command] if command in COMMANDS else COMMANDS:
        module, register = COMMANDS[name]
        registered = getattr(importlib.import_module(f".{module}", __name__), register)
        commands[name] = registered(subparsers)
    return parser, commands
