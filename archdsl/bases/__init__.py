"""Base models: torchvision classification networks that a spec may extend or wrap.

`catalog` is data (which builders, how each family's forward runs) and imports no
torch; `tree` builds a model on the `meta` device to learn its submodule paths and
the shapes flowing through them, and caches what it learned as JSON.
"""

from .catalog import BUILDERS, FAMILIES, Family, Step, family_of
from .tree import BaseError, BaseTree, SubModule, load_tree

__all__ = [
    "BUILDERS",
    "FAMILIES",
    "BaseError",
    "BaseTree",
    "Family",
    "Step",
    "SubModule",
    "family_of",
    "load_tree",
]
