"""A `for`'s targets (`i, (t, c, n, s)`): the names they bind, and Python's
unpacking of one item into them, shared by every stage that runs a loop."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .nodes import Targets


class UnpackProblem(ValueError):
    """What Python's ValueError/TypeError would say unpacking an item."""


def target_names(targets: Targets) -> Iterator[str]:
    """Every name bound, left to right, nested groups included."""
    for target in targets:
        if isinstance(target, str):
            yield target
        else:
            yield from target_names(target)


def is_plain(targets: Targets) -> bool:
    """One name (`for c in ...`): the item itself, nothing unpacked."""
    return len(targets) == 1 and isinstance(targets[0], str)


#: Items Python refuses to unpack; any other item that is not a sequence is one
#: the caller does not know yet (a symbol, a module): its names bind `unknown`.
SCALARS = (bool, int, float, type(None))


def unpack(targets: Targets, item: Any, unknown: Any = None) -> dict[str, Any]:
    """The names one item binds, as Python binds them; UnpackProblem where
    Python raises (a length that differs, an int unpacked)."""
    if is_plain(targets):
        return {targets[0]: item}  # type: ignore[dict-item]
    bound: dict[str, Any] = {}
    _unpack(targets, item, unknown, bound)
    return bound


def _unpack(targets: Targets, item: Any, unknown: Any, bound: dict[str, Any]) -> None:
    count = len(targets)
    if isinstance(item, SCALARS):
        kind = type(item).__name__
        raise UnpackProblem(f"cannot unpack {kind} {item!r:.40} into {count} names")
    if not isinstance(item, (list, tuple, str, range)):
        bound.update(dict.fromkeys(target_names(targets), unknown))
        return
    if len(item) != count:
        raise UnpackProblem(f"cannot unpack {len(item)} values into {count} names")
    for target, part in zip(targets, item, strict=True):
        if isinstance(target, str):
            bound[target] = part
        else:
            _unpack(target, part, unknown, bound)


def targets_text(targets: Targets) -> str:
    """`i, (t, c, n, s)`: the targets as Python writes them."""
    return ", ".join(
        t if isinstance(t, str) else f"({targets_text(t)})" for t in targets
    )
