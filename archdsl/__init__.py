"""archdsl: describe neural-network architectures in `.arch` files, get PyTorch.

The pipeline, one stage per package: `syntax` (parse, lower to IR), `ir`, `check`,
`codegen`; `pipeline` strings them together. Nothing here imports torch.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

from .errors import ArchError, Diagnostic
from .pipeline import compile_spec, generate, instantiate, load, parse


def check(
    spec: str | Path | None = None, *, text: str | None = None
) -> list[Diagnostic]:
    """Check a spec (a path, or its text as `text=`); returns the warnings, raises
    ArchError."""
    return compile_spec(spec, text=text).warnings


def build(
    spec: str | Path | None, output: str | Path, *, text: str | None = None
) -> None:
    """Generate the module for a spec (a path, or `text=`) and write it to `output`
    atomically."""
    from .output import write_atomic

    write_atomic(Path(output), generate(spec, text=text))


__all__ = [
    "ArchError",
    "Diagnostic",
    "build",
    "check",
    "compile_spec",
    "generate",
    "instantiate",
    "load",
    "parse",
]
