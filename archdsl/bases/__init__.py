"""Base models: torchvision classification networks that a spec may extend or wrap.

`catalog` is data (which builders, how each family's forward runs) and imports no
torch; `tree` builds a model on the `meta` device to learn its submodule paths and
the shapes flowing through them, and caches what it learned as JSON.

The names below are loaded from their module on first use, so a spec that extends
no base model never loads the tree cache (a cold `archdsl check`, issue 15).
"""

from __future__ import annotations

import importlib

#: Each name's module in this package.
_MODULES = {
    "BUILDERS": "catalog",
    "FAMILIES": "catalog",
    "Family": "catalog",
    "Step": "catalog",
    "family_of": "catalog",
    "SAMPLE_INPUT": "tree",
    "BaseError": "tree",
    "BaseTree": "tree",
    "SubModule": "tree",
    "load_tree": "tree",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES})
