"""Which identifiers a spec may use: generated Python must stay valid and unsurprising."""

from __future__ import annotations

import builtins
import keyword

from ..ops.module_attributes import MODULE_ATTRIBUTES

#: Names the generated module itself uses at module or method scope.
GENERATED_NAMES = frozenset(
    {
        "self",
        "super",
        "forward",  # a statement keyword of the language, and the method's name
        "torch",
        "torchvision",
        "nn",
        "F",
        "Tensor",
        "OrderedDict",
        "pad_like",
        "partial",  # `from functools import partial`: a layer type with bound arguments
        # extends/freeze: `from torchvision import models`, `from fnmatch import
        # fnmatchcase`, and the loop names of the adoption and freezing loops
        "models",
        "ops",  # `from torchvision import ops`: StochasticDepth, SqueezeExcitation, ...
        "fnmatchcase",
        "child_name",
        "child",
        "param_name",
        "param",
        "frozen",
    }
)

#: Every Python builtin: generated code calls some (`range`, `super`, `any` in the
#: freeze loop), and a definition of the same name would shadow it module-wide.
PYTHON_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_"))


def why_reserved(name: str, *, attribute: bool = False) -> str | None:
    """Why `name` cannot name a parameter, value or member; None when it can.

    `attribute` names become `self.<name>`, so they must also stay clear of every
    nn.Module attribute (`forward`, `training`, `to`, `state_dict`, ...)."""
    if keyword.iskeyword(name) or (keyword.issoftkeyword(name) and name != "_"):
        return f"`{name}` is a Python keyword"  # `_` is fine: a value thrown away
    if name.startswith("__") and name.endswith("__"):
        return f"`{name}` is a dunder name"
    if name in GENERATED_NAMES:
        return f"`{name}` is used by the generated code"
    if name in PYTHON_BUILTINS:
        return f"`{name}` is a Python builtin"
    if attribute and name.startswith("_"):
        return f"member `{name}` starts with an underscore, which nn.Module keeps for itself"
    if attribute and name in MODULE_ATTRIBUTES:
        return f"`{name}` is an nn.Module attribute"
    if name == "training":  # forward reads it as `self.training`, whatever shadows it
        return "`training` is the module's train/eval flag, which forward reads"
    return None
