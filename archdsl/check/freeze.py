"""`freeze("layer1.*")`: every pattern must match a parameter of the model.

A pattern that matches nothing freezes nothing, silently (a typo such as
`layr1.*` or `conv1.kernel`). The model's parameter names are worked out from the
spec: its members' layers (`conv.weight`, `conv.bias`), the members of the blocks
it builds, and a torchvision base's module tree. Where a module's own parameters
are not known by name (a Sequential of spread items, a builder, a torchvision
module of an unusual type), any name under its path is taken to exist."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from .. import ir
from ..errors import did_you_mean
from ..ops import layer
from ..ops.layers import CONTAINERS
from ..ops.shapes import PARAMETERS
from ..records import dataclass, field

if TYPE_CHECKING:
    from ..bases import BaseTree
from .context import Context, DefInfo, ModuleRef

#: Layers whose parameters are exactly `weight` and `bias`.
WEIGHT_AND_BIAS = frozenset(
    {"Linear", "Bilinear", "Embedding", "LayerNorm", "GroupNorm", "PReLU",
     *(f"{kind}{d}d" for kind in ("Conv", "ConvTranspose", "BatchNorm",
                                  "InstanceNorm") for d in (1, 2, 3))}
)  # fmt: skip


#: Modules the listing of one model's parameter names visits at most.
MAX_VISITS = 100_000


@dataclass
class Names:
    """Parameter names known exactly, and prefixes under which any name may exist."""

    exact: list[str] = field(default_factory=list)
    open: list[str] = field(default_factory=list)
    #: modules still to visit: blocks built twice at each of many levels (or a
    #: recursive block, refused by a later pass) must not take exponential time
    budget: int = MAX_VISITS

    def matches(self, pattern: str) -> bool:
        if any(fnmatchcase(name, pattern) for name in self.exact):
            return True
        head = _literal_head(pattern)
        return any(
            (p + ".").startswith(head) or head.startswith(p + ".") for p in self.open
        )


def _literal_head(pattern: str) -> str:
    """The part of a pattern before its first wildcard."""
    cut = [pattern.index(c) for c in "*?[" if c in pattern]
    return pattern[: min(cut)] if cut else pattern


def parameter_names(ctx: Context, info: DefInfo) -> Names:
    names = Names()
    if info.base is not None:
        _tree_names(ctx, info.base.tree, "", "", info.replaced_refs, names)
    for member, symbol in info.members.items():
        ref = symbol.value.module
        adopted = (
            info.base is not None and ref is not None and ref.tree is info.base.tree
        )
        if ref is not None and not adopted:
            _ref_names(ctx, ref, member, names, depth=0)
    return names


def _tree_names(
    ctx: Context,
    tree: BaseTree,
    path: str,
    prefix: str,
    replaced: dict[str, ModuleRef | None],
    names: Names,
) -> None:
    node = tree.get(path)
    if node is None:
        return
    here = prefix + path
    names.budget -= 1
    if names.budget < 0:
        names.open.append(here)
        return
    if path in replaced:  # a spec expression stands there now
        _ref_names(ctx, replaced[path], here, names, depth=1)
        return
    owned = node.params - sum(
        child.params
        for c in node.children
        if (child := tree.get(f"{path}.{c}" if path else c)) is not None
    )
    if owned > 0:
        if node.type in WEIGHT_AND_BIAS:
            names.exact += [f"{here}.weight", f"{here}.bias"]
        else:
            names.open.append(here)
    for c in node.children:
        _tree_names(ctx, tree, f"{path}.{c}" if path else c, prefix, replaced, names)


def _ref_names(
    ctx: Context, ref: ModuleRef | None, path: str, names: Names, depth: int
) -> None:
    names.budget -= 1
    if ref is None or names.budget < 0:  # not known here, or too many to list
        names.open.append(path)
        return
    target = ctx.defs.get(ref.definition) if ref.definition else None
    plain = ref.definition is None and ref.tree is None
    if plain and ref.label in WEIGHT_AND_BIAS:
        names.exact += [f"{path}.weight", f"{path}.bias"]
    elif plain and ref.children is not None:
        for name, child in ref.children:
            _ref_names(ctx, child, f"{path}.{name}", names, depth + 1)
    elif plain and layer(ref.label) and ref.label not in CONTAINERS | set(PARAMETERS):
        pass  # an activation, a pool, a dropout: no parameters
    elif target is not None and target.kind != "builder" and depth < 50:
        if target.base is not None:
            tree = target.base.tree
            _tree_names(ctx, tree, "", path + ".", target.replaced_refs, names)
        for member, symbol in target.members.items():
            inner = symbol.value.module
            if inner is not None and inner.tree is None:
                _ref_names(ctx, inner, f"{path}.{member}", names, depth + 1)
    elif ref.tree is not None and not ref.prefix:  # a torchvision model as a member
        _tree_names(ctx, ref.tree, "", path + ".", {}, names)
    else:  # containers, builders, layers without parameters by these names
        names.open.append(path)


def check_freeze(ctx: Context, program: ir.Program) -> None:
    """The pass (see PASSES)."""
    for info in ctx.defs.values():
        if not info.freeze_spans:
            continue
        names = parameter_names(ctx, info)
        for pattern, span in info.freeze_spans:
            if names.matches(pattern):
                continue
            ctx.error(
                f"freeze pattern {pattern!r} matches no parameter of `{info.name}`",
                span,
                hint=did_you_mean(pattern, _suggestions(names))
                or "patterns match state_dict names, e.g. `layer1.*`",
            )


def _suggestions(names: Names) -> list[str]:
    """Full names, and `prefix.*` for each module path above them."""
    found = dict.fromkeys([*names.exact, *(p + ".*" for p in names.open)])
    for name in names.exact:
        parts = name.split(".")
        found.update(
            dict.fromkeys(".".join(parts[:i]) + ".*" for i in range(1, len(parts)))
        )
    return list(found)
