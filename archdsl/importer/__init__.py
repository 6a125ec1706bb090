"""`archdsl import`: a PyTorch model, built from a torchvision builder or the user's
own code, written back as a `.arch` spec whose build has the same state_dict keys
and computes the same outputs.

The pipeline: target.py builds the model while recording each module's constructor
arguments; walk.py turns the module tree into definitions (layers.py for torch.nn
layers, forward.py for each class's traced forward, params.py for parameters); emit.py
writes the text, which is then checked by archdsl itself before it is returned.
This package imports torch; the compiler front end never imports it.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from ..errors import Diagnostic
from ..fmt import format_text
from .emit import emit
from .exprs import Inexpressible
from .stages import stage_builders
from .target import build_target
from .walk import Walk


@dataclass
class Imported:
    text: str
    diagnostics: list[Diagnostic]  # what could not be written; empty when complete
    python_lines: int  # non-blank lines of the Python classes it read


def import_model(target: str, input_shape: tuple[int, ...] | None = None) -> Imported:
    """Import `target` (see target.py for its forms). Raises ArchError when the target
    cannot be built; what cannot be expressed comes back as diagnostics."""
    built = build_target(target)
    walk = Walk(built)
    try:
        definitions = walk.run()
    except Inexpressible as exc:
        cls = type(built.model).__name__
        return Imported("", [Diagnostic(f"`{cls}`: {exc}")], 0)
    shapes = _input_shapes(definitions[-1], target, input_shape)
    header = [f"Imported by `archdsl import {target}`."]
    text = format_text(emit(definitions, header, shapes))  # as `archdsl fmt` does
    staged = copy.deepcopy(definitions)
    stage_builders(staged, set(walk.names))
    shorter = format_text(emit(staged, header, shapes))
    if _lines(shorter) < _lines(text):  # a builder only where it saves lines
        text, definitions = shorter, staged
    diagnostics = [
        Diagnostic(
            f"`{d.name}` ({d.python}): {problem}",
            hint="the spec leaves this out; write it by hand or change the Python",
        )
        for d in definitions
        for problem in _grouped(d.problems)
    ]
    if not diagnostics:
        diagnostics = _checked(text, target)
    return Imported(text, diagnostics, _python_lines(definitions, built))


def _lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def _grouped(problems: list[str]) -> list[str]:
    """One line per kind of problem: `passes a list of tensors to `denselayer1``
    and 5 more like it, rather than six lines."""
    kinds: dict[str, list[str]] = {}
    for problem in problems:
        kinds.setdefault(re.sub(r"`[^`]*`", "``", problem), []).append(problem)
    return [
        same[0] + (f" (and {len(same) - 1} more like it)" if len(same) > 1 else "")
        for same in kinds.values()
    ]


def _checked(text: str, target: str) -> list[Diagnostic]:
    """archdsl's own verdict on what was written: an import is complete only when
    its spec checks without errors."""
    from ..errors import ArchError
    from ..pipeline import compile_spec
    from ..source import Source

    try:
        compile_spec(Source(f"<import {target}>", text))
    except ArchError as exc:
        return exc.errors
    return []


def _input_shapes(model, target: str, input_shape) -> dict[str, str]:
    """The model's first input, declared for shape checks: `[N, 3, H, W]` for an
    image (from --input-shape, or torchvision's 3-channel images)."""
    if model.forward is None or not model.forward.inputs:
        return {}
    if input_shape is None and target.startswith("torchvision."):
        input_shape = (1, 3, 224, 224)
    if input_shape is None:
        return {}
    dims = ["N", *(str(d) for d in input_shape[1:2])]
    spatial = ["H", "W", "D"][: max(len(input_shape) - 2, 0)]
    return {model.forward.inputs[0]: "[" + ", ".join(dims + spatial) + "]"}


def _python_lines(definitions, built) -> int:
    """Non-blank, non-comment lines of the Python the spec replaces: the classes
    of the model's modules outside torch.nn (for the user's own code, those its
    module defines, and the factory function named)."""
    import inspect

    classes = {type(m) for m in built.model.modules()}
    classes = {c for c in classes if not c.__module__.startswith("torch.nn.")}
    if built.factory is not None:  # the user's own code: what its module defines
        home = built.factory.__module__
        classes = {c for c in classes if c.__module__ == home} | {built.factory}
    total = 0
    for item in classes:
        try:
            source = inspect.getsource(item)
        except (OSError, TypeError):
            continue
        total += sum(
            1
            for line in source.splitlines()
            if line.strip() and not line.strip().startswith("#")
        )
    return total


__all__ = ["Imported", "Inexpressible", "import_model"]
