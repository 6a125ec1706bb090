"""archdsl: describe neural-network architectures in `.arch` files, get PyTorch.

The pipeline, one stage per package: `syntax` (parse, lower to IR), `ir`, `check`,
`codegen`; `pipeline` strings them together. Nothing here imports torch.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ArchError, Diagnostic
from .pipeline import compile_spec, generate, instantiate, load, parse


def check(spec: str) -> list[Diagnostic]:
    """Check a spec (a path or its text); returns the warnings, raises ArchError."""
    return compile_spec(spec).warnings


def build(spec: str, output: str) -> None:
    """Generate the module for `spec` and write it to `output` atomically."""
    from pathlib import Path

    from .output import write_atomic

    write_atomic(Path(output), generate(spec))


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
