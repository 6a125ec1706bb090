"""Build-time functions: plain Python builtins, spelled the same in generated code."""

from __future__ import annotations

#: name -> (min args, max args or None)
BUILTINS: dict[str, tuple[int, int | None]] = {
    "range": (1, 3),
    "len": (1, 1),
    "min": (1, None),
    "max": (1, None),
    "abs": (1, 1),
    "int": (1, 1),
    "float": (1, 1),
    "zip": (1, None),
    "enumerate": (1, 1),
    "str": (1, 1),  # computed child names: "denselayer" + str(i + 1)
    "sum": (1, 2),
    "round": (1, 2),
}
