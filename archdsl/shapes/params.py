"""Parameter counts of evaluated modules: what `sum(p.numel() for p in
module.parameters())` will give for the built model, for `archdsl summary` (a
row per module call) and the limits.

torch counts a module reachable twice once. Walking every row's subtree with a
set of what was seen is exact but costs the subtree's size per row: 30 s for
blocks nested 15 levels deep. Where no module below is in two places (the
evaluator counts the places each is put: `parents`), a subtree's count is the
sum of its children's, kept on the module; elsewhere the walk is done."""

from __future__ import annotations

from typing import Any

from ..ops.shapes import UNKNOWN, known
from .built import BaseModule, BlockModule, LayerModule, SeqModule, layer_count
from .state import StateTensor


def count_parameters(module: object) -> Any:
    """An int, a symbolic size, or UNKNOWN."""
    if _is_tree(module):
        return _summed(module)
    return _walked(module, set())


def _children(module: object) -> list[Any] | None:
    """What a module's count is the sum of; None for what is walked instead (a
    base model's submodules are made afresh at each lookup)."""
    if isinstance(module, SeqModule):
        return [child for _, child in module.children]
    if isinstance(module, BlockModule) and module.base is None:
        return [module.env.get(m) for m in module.members] + _state(module)
    if isinstance(module, (BlockModule, BaseModule, list)):
        return None
    return []  # a layer, UNKNOWN


def _is_tree(module: object) -> bool:
    """No module below `module` is reachable in two ways."""
    cache = getattr(module, "cache", None)
    if cache is not None and "tree" in cache:
        return cache["tree"]
    children = _children(module)
    tree = children is not None and all(
        getattr(child, "parents", 0) <= 1 and _is_tree(child) for child in children
    )
    if cache is not None:
        cache["tree"] = tree
    return tree


def _summed(module: object) -> Any:
    """The count of a tree: its children's, summed once and kept."""
    if module is UNKNOWN:
        return UNKNOWN
    if isinstance(module, LayerModule):
        return layer_count(module)
    if isinstance(module, StateTensor):
        return module.params
    cache = getattr(module, "cache", None)
    if cache is not None and "count" in cache:
        return cache["count"]
    count = _sum(_summed(child) for child in _children(module) or [])
    if cache is not None:
        cache["count"] = count
    return count


def _walked(module: object, seen: set[int]) -> Any:
    """The count by walking everything below, each module once, as torch does."""
    if module is UNKNOWN:
        return UNKNOWN
    if id(module) in seen:
        return 0
    seen.add(id(module))
    if isinstance(module, LayerModule):
        return layer_count(module)
    if isinstance(module, StateTensor):
        return module.params
    if isinstance(module, SeqModule):
        return _sum(_walked(child, seen) for _, child in module.children)
    if isinstance(module, BlockModule):
        if module.base is not None:
            adopted = module.base.tree.root.children
            own = [m for m in module.members if m not in adopted]
            return _sum(
                [_walked(module.base, seen)]
                + [_walked(module.env[m], seen) for m in own]
            )
        members = [module.env.get(m) for m in module.members] + _state(module)
        return _sum(_walked(m, seen) for m in members)
    if isinstance(module, BaseModule):
        node = module.tree.get(module.path)
        if node is None:
            return UNKNOWN
        total: Any = node.params
        prefix = f"{module.path}." if module.path else ""
        for path, new in module.replaced.items():
            if path == module.path or path.startswith(prefix):
                old = module.tree.get(path)
                total = total - (old.params if old else 0) + _walked(new, seen)
        return total
    if isinstance(module, list):
        return _sum(_walked(item, seen) for item in module)
    return 0


def _state(module: BlockModule) -> list[StateTensor]:
    """Its parameter and buffer members (shapes/state.py)."""
    return [v for v in module.env.values() if isinstance(v, StateTensor)]


def _sum(values) -> Any:
    total: Any = 0
    for value in values:
        if value is UNKNOWN or not (known(value)):
            return UNKNOWN
        total = total + value
    return total
