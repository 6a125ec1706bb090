"""Semantic checks: collect every diagnostic, then raise once."""

from __future__ import annotations

from .. import ir
from ..errors import ArchError, Diagnostic
from .context import Context, DefInfo
from .limits import Limits
from .program import PASSES


def analyze(
    program: ir.Program, limits: Limits | None = None, memo: object | None = None
) -> Context:
    """Run every pass; the context holds all diagnostics (errors and warnings).
    `memo`: results kept from the check before (archdsl.incremental)."""
    ctx = Context(limits=limits or Limits(), memo=memo)
    for run in PASSES:
        run(ctx, program)
    return ctx


def check(program: ir.Program, limits: Limits | None = None) -> Context:
    """Like analyze(), but raise ArchError when any error was found."""
    ctx = analyze(program, limits)
    if ctx.has_errors:
        raise ArchError(sort_diagnostics(ctx.diagnostics))
    return ctx


def sort_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    def key(d: Diagnostic) -> tuple[str, int, int]:
        span = d.span
        return (span.path, span.line, span.column) if span else ("", 0, 0)

    return sorted(diagnostics, key=key)


__all__ = ["ArchError", "Context", "DefInfo", "Limits", "analyze", "check"]
