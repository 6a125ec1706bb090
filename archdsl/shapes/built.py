"""What build-time evaluation builds (shapes/modules.py evaluates a spec into
these; shapes/params.py counts their parameters; inference calls them): layers
with their arguments bound, Sequentials, blocks, and torchvision submodules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..check.context import DefInfo
from ..ops.shapes import PARAMETERS, UNKNOWN, ShapeProblem, Unknowable, known
from ..records import dataclass, field

if TYPE_CHECKING:
    from ..bases import BaseTree
from ..source import Span


@dataclass(eq=False)
class LayerModule:
    name: str  # `Conv2d`
    args: dict[str, Any]  # every parameter, defaults filled in
    span: Span | None
    parents: int = 0  # places it is a child or member in (see params.py)

    # written out (archdsl/records.py's shared one is slower): one per layer built
    def __init__(self, name: str, args: dict[str, Any], span: Span | None,
                 parents: int = 0) -> None:  # fmt: skip
        self.name, self.args, self.span, self.parents = name, args, span, parents


@dataclass(eq=False)
class SeqModule:
    """Sequential (callable, children in order) or ModuleList."""

    kind: str
    children: list[tuple[str, Any]]
    span: Span | None
    parents: int = 0
    #: what params.py learned of it (its count, whether it is a tree below)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class BlockModule:
    info: DefInfo
    env: dict[str, Any]  # parameters, constants and members, once evaluated
    span: Span | None
    members: dict[str, None] = field(default_factory=dict)  # names, in order
    base: BaseModule | None = None  # the torchvision model it extends, if any
    parents: int = 0
    cache: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class BaseModule:
    """A torchvision model, or a submodule of one, as its tree records it."""

    tree: BaseTree
    path: str
    span: Span | None
    #: submodules replaced by the spec: path in the tree -> the new module
    replaced: dict[str, Any] = field(default_factory=dict)

    def child(self, parts: tuple[str, ...]) -> Any:
        path = ".".join(p for p in (self.path, *parts) if p)
        if path in self.replaced:
            return self.replaced[path]
        if self.tree.get(path) is None:
            return UNKNOWN
        return BaseModule(self.tree, path, self.span, self.replaced)


Module = LayerModule | SeqModule | BlockModule | BaseModule

#: What a member holding a module may hold.
MODULE_TYPES = (LayerModule, SeqModule, BlockModule, BaseModule)


def label_of(module: object) -> str:
    if isinstance(module, LayerModule):
        return module.name
    if isinstance(module, SeqModule):
        return module.kind
    if isinstance(module, BlockModule):
        return module.info.name
    if isinstance(module, BaseModule):
        node = module.tree.get(module.path)
        return node.type if node else "?"
    return "?"


def layer_count(module: LayerModule) -> Any:
    """A layer's parameters by the registry's rule: an int, a symbolic size, or
    UNKNOWN (the shape pass reports what is wrong with its arguments)."""
    rule = PARAMETERS.get(module.name)
    if rule is None:
        return 0
    try:
        count = rule(module.args)
    except (TypeError, KeyError, ValueError, ArithmeticError, Unknowable, ShapeProblem):
        return UNKNOWN
    return count if known(count) else UNKNOWN  # e.g. a str where a size goes
