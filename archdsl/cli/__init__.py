"""The `archdsl` command: one module per command, each with `register(commands)`
that adds its argparse parser and sets `run`. Exit 0 on success, 1 when a spec has
errors, 2 on usage errors. A bad spec prints diagnostics, never a traceback.

Registering imports only argparse-level code; what a command needs (the compiler,
torch) is imported when it runs, so `archdsl check` never pays for `export`."""

from __future__ import annotations

import argparse
import importlib
import os
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

    parser = _ArgumentParser(
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


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, as wide as argparse makes it, without importing
    shutil to measure the terminal: argparse makes a formatter for every argument
    added, and shutil (which loads bz2 and lzma) was a tenth of a cold `archdsl
    check` (issue 15)."""

    def __init__(self, prog: str, indent_increment: int = 2,
                 max_help_position: int = 24, width: int | None = None) -> None:  # fmt: skip
        if width is None:
            width = terminal_columns() - 2  # as argparse sizes it
        super().__init__(prog, indent_increment, max_help_position, width)


class _ArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help formatter is _HelpFormatter, as are its
    commands' parsers (add_subparsers makes them of the parser's own class)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def terminal_columns() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the width of the
    terminal standard output is on, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80
