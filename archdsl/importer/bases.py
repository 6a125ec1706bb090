"""torchvision's own models, recognised: a member that is exactly what a builder of
the base-model catalog builds is written `net = torchvision.resnet50()`, and a model
that is one with some submodules replaced is written `extends torchvision.resnet50()`
with those replacements, as a person writing the spec would.

Recognition is by comparison, never by name: the candidate builders of the
module's torchvision family are built on the meta device with the arguments the
module was constructed with, and the module trees must print the same.
"""

from __future__ import annotations

import torch
from torch import nn

from ..bases.catalog import BUILDERS
from .exprs import Call, Lit


def _candidates(cls: type):
    """The catalog's builders that build `cls` (by their return annotation)."""
    if not cls.__module__.startswith("torchvision.models."):
        return
    from torchvision import models

    for builder in BUILDERS:
        function = getattr(models, builder, None)
        returns = getattr(function, "__annotations__", {}).get("return")
        if (
            function is not None
            and getattr(returns, "__name__", returns) == cls.__name__
        ):
            yield builder, function


def _variants(arguments: dict[str, object]):
    yield {}
    if "num_classes" in arguments and arguments["num_classes"] != 1000:
        yield {"num_classes": arguments["num_classes"]}


def closest(module: nn.Module, arguments: dict[str, object], exact: bool = False):
    """(builder, kwargs, the paths replaced) for the catalog builder whose model is
    `module` with the fewest whole submodules replaced (none if `exact`), or None."""
    best = None
    for builder, function in _candidates(type(module)):
        for kwargs in _variants(arguments):
            with torch.device("meta"):
                built = function(**kwargs)
            replaced: list[str] = []
            found = _same_tree(module, built, None if exact else replaced)
            if found and type(built) is type(module):
                if best is None or len(replaced) < len(best[2]):
                    best = (builder, kwargs, replaced)
    return best


def _same_tree(
    ours: nn.Module, theirs: nn.Module, replaced: list[str] | None, path: str = ""
) -> bool:
    """Whether the trees print the same; with `replaced`, children that differ are
    collected there instead (a child the base lacks, or a missing one, never is)."""
    if repr(ours) == repr(theirs) and _plain(ours) == _plain(theirs):
        return True
    if replaced is None:
        return False
    mine, base = dict(ours.named_children()), dict(theirs.named_children())
    if list(mine) != list(base) or type(ours) is not type(theirs) or not mine:
        return False
    for name, child in mine.items():
        where = f"{path}.{name}" if path else name
        if _same_tree(child, base[name], None):
            continue
        if (
            type(child) is type(base[name])
            and dict(child.named_children())
            and list(dict(child.named_children()))
            == list(dict(base[name].named_children()))
        ):
            if _same_tree(child, base[name], replaced, where):
                continue
        replaced.append(where)
    return True


def _plain(module: nn.Module) -> dict:
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not isinstance(v, torch.Tensor)
    }


def builder_call(builder: str, kwargs: dict) -> Call:
    return Call(
        f"torchvision.{builder}", (), tuple((k, Lit(v, k)) for k, v in kwargs.items())
    )
