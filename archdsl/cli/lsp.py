"""`archdsl lsp`: the language server, over standard input and output."""

from __future__ import annotations

import argparse

from ..errors import ArchError, Diagnostic


def register(commands) -> argparse.ArgumentParser:
    lsp = commands.add_parser(
        "lsp",
        help="run the language server (for editors)",
        description="Run the archdsl language server on standard input and output "
        "(the Language Server Protocol): diagnostics as you type, shapes on hover, "
        "go to definition, layer completion and formatting. Writes nothing to disk. "
        'Needs pygls: pip install "archdsl[lsp]".',
    )
    lsp.set_defaults(run=run)
    return lsp


def run(args: argparse.Namespace) -> int:
    try:
        from ..lsp.server import main
    except ImportError as exc:
        raise ArchError(
            [
                Diagnostic(
                    f"archdsl lsp needs pygls ({exc.name} is not installed)",
                    hint='pip install "archdsl[lsp]"',
                )
            ]
        ) from None
    main()
    return 0
