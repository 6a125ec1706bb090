"""`import "x.arch"`: merge the definitions of imported files into one program."""

from __future__ import annotations

from pathlib import Path

from . import ir
from .errors import ArchError, Diagnostic
from .source import Source
from .syntax import parse_source


def resolve_imports(program: ir.Program, source: Source) -> ir.Program:
    """The program with every imported file's definitions first, in import order.
    Paths resolve relative to the importing file; cycles and missing files are
    diagnostics."""
    definitions: list[ir.Node] = []
    _collect(program, source, definitions, seen=set(), stack=[_key(source)])
    return program.model_copy(update={"definitions": tuple(definitions)})


def _key(source: Source) -> str:
    return str(Path(source.path).resolve()) if source.path != "<string>" else "<string>"


def _collect(program, source, out, seen, stack) -> None:
    base = Path(source.path).parent if source.path != "<string>" else Path.cwd()
    for imp in program.imports:
        if not imp.path.endswith(".arch"):
            raise ArchError(
                [
                    Diagnostic(
                        f"cannot import `{imp.path}`: only .arch files are imported",
                        imp.span,
                    )
                ]
            )
        try:
            path = (base / imp.path).resolve()
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            raise ArchError(
                [Diagnostic(f"cannot import `{imp.path}`: {exc}", imp.span)]
            ) from None
        key = str(path)
        if key in stack:
            raise ArchError(
                [Diagnostic(f"import cycle through `{imp.path}`", imp.span)]
            )
        if key in seen:
            continue
        seen.add(key)
        try:
            imported = Source.from_file(path)
        except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            reason = getattr(exc, "strerror", None) or str(exc)
            if isinstance(exc, UnicodeDecodeError):
                reason = f"not UTF-8 text ({exc.reason})"
            raise ArchError(
                [Diagnostic(f"cannot import `{imp.path}`: {reason}", imp.span)]
            ) from None
        _collect(parse_source(imported), imported, out, seen, [*stack, key])
    out.extend(program.definitions)
