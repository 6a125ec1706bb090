"""Weights in and out of generated models, safely.

safetensors files are read by default. Pickle-based `.pt`/`.pth` files are read only
when asked (`allow_pickle=True`), and then only through
`torch.load(weights_only=True)`: there is no fallback to full unpickling. Loading is
strict unless asked otherwise; a partial load matches by name and shape and says what
it did in a LoadReport.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ArchError, Diagnostic
from .output import WEIGHTS_MARK, Writer, write_all

if TYPE_CHECKING:
    from torch import Tensor, nn


#: Weights files archdsl reads without unpickling anything.
SAFE_SUFFIXES = (".safetensors",)
#: Pickle-based files: read only on request, and only with `weights_only=True`.
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt")


def weights_file_problem(path: str, allow_pickle: bool) -> tuple[str, str] | None:
    """Why a weights file name is refused, with a hint; None when it is fine."""
    lower = path.lower()
    if lower.endswith(SAFE_SUFFIXES):
        return None
    if lower.endswith(PICKLE_SUFFIXES):
        if allow_pickle:
            return None
        return (
            f"`{path}` is a pickle file, and unpickling can run code",
            "convert it to safetensors, or allow it (`allow_pickle=True`, or "
            "`--allow-pickle`) to load it with torch.load(weights_only=True)",
        )
    return (
        f"`{path}` is not a weights file archdsl reads",
        "use a .safetensors file (or .pt/.pth with `allow_pickle=True`)",
    )


class WeightsError(ArchError):
    """A weights file that cannot be read, or does not fit the model."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__([Diagnostic(message, None, hint)])


@dataclass
class LoadReport:
    """What a load did, by state_dict key."""

    loaded: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)  # in the model, not in the file
    #: in both, with different shapes: (key, shape in file, shape in model)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(
        default_factory=list
    )
    unexpected: list[str] = field(default_factory=list)  # in the file only

    @property
    def complete(self) -> bool:
        return not (self.new or self.mismatched or self.unexpected)

    def __str__(self) -> str:
        lines = [
            f"loaded {len(self.loaded)}, new {len(self.new)}, "
            f"skipped for shape {len(self.mismatched)}, unexpected {len(self.unexpected)}"
        ]
        lines += [f"  new: {key}" for key in self.new]
        lines += [
            f"  shape: {key}: file {list(got)}, model {list(want)}"
            for key, got, want in self.mismatched
        ]
        lines += [f"  unexpected: {key}" for key in self.unexpected]
        return "\n".join(lines)


def read_weights(path: str | os.PathLike, *, allow_pickle: bool = False) -> dict:
    """A state dict from a file: safetensors, or (on request) a weights-only pickle."""
    path = Path(path)
    problem = weights_file_problem(path.name, allow_pickle)
    if problem:
        raise WeightsError(f"{path}: {problem[0]}", problem[1])
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    if path.name.lower().endswith(PICKLE_SUFFIXES):
        return _read_pickle(path)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"{path}: not a readable safetensors file ({exc})") from None


def _read_pickle(path: Path) -> dict:

    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    # Any failure at all: torch.load raises many types (ValueError, KeyError,
    # zipfile errors, ...) for files that are not what they claim to be.
    except Exception as exc:  # noqa: BLE001
        text = str(exc).strip()
        # The first sentence: torch's messages go on for paragraphs.
        first = (
            text.splitlines()[0].split(". ")[0][:200] if text else type(exc).__name__
        )
        raise WeightsError(
            f"{path}: refused by torch.load(weights_only=True): {first}",
            "archdsl never unpickles arbitrary objects; save a plain state_dict, "
            "or convert the file to safetensors",
        ) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]  # a training checkpoint
    if not isinstance(state, dict) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise WeightsError(f"{path}: holds no state_dict of tensors")
    return state


def load_weights(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    strict: bool = True,
    allow_pickle: bool = False,
) -> LoadReport:
    """Load a file into `model`. Strict: every key present with its shape, or
    WeightsError and the model untouched. Partial: what matches by name and shape."""
    state = read_weights(path, allow_pickle=allow_pickle)
    report = match_state(model.state_dict(), state)
    if strict and not report.complete:
        raise WeightsError(
            f"{path} does not fit {type(model).__name__}: {report}",
            "load what matches with strict=False (`--partial` on the command line)",
        )
    model.load_state_dict({k: state[k] for k in report.loaded}, strict=False)
    return report


def match_state(own: dict[str, Tensor], given: dict[str, Tensor]) -> LoadReport:
    report = LoadReport()
    for key, tensor in own.items():
        if key not in given:
            report.new.append(key)
        elif tuple(given[key].shape) != tuple(tensor.shape):
            report.mismatched.append(
                (key, tuple(given[key].shape), tuple(tensor.shape))
            )
        else:
            report.loaded.append(key)
    report.unexpected = [key for key in given if key not in own]
    return report


def save_weights(model: nn.Module, path: str | os.PathLike) -> None:
    """The model's state_dict as safetensors, written atomically."""
    write_all([(Path(path), weights_writer(model))])


def weights_writer(model: nn.Module) -> Writer:
    """Writes the model's state_dict as safetensors, marked as archdsl's own file."""
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}

    def write(tmp: Path) -> None:
        from safetensors.torch import save_file

        save_file(state, str(tmp), metadata=dict([WEIGHTS_MARK]))

    return write


def freeze(model: nn.Module, patterns: tuple[str, ...] | list[str]) -> list[str]:
    """Stop training the parameters whose names match a pattern (`layer1.*`);
    returns their names. A pattern that matches nothing is an error."""
    names = [name for name, _ in model.named_parameters()]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
            raise WeightsError(
                f"freeze pattern {pattern!r} matches no parameter of "
                f"{type(model).__name__}",
                "patterns match state_dict names, e.g. `layer1.*` or `fc.weight`",
            )
    frozen = []
    for name, param in model.named_parameters():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            param.requires_grad_(False)
            frozen.append(name)
    return frozen
