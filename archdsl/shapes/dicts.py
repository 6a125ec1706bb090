"""f-strings, dicts and the containers built from them, evaluated (check/dicts.py
checks them): the evaluator of shapes (modules.py) computes the keys a
comprehension makes and refuses what torch's `add_module` would (a duplicate, a
dot, an attribute's name), at the key, with the block calls that led there."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..check.consts import fstring_value
from ..check.dicts import key_problem
from ..check.forward_dicts import view_of
from ..ops.shapes import UNKNOWN
from . import values
from .built import MODULE_TYPES, SeqModule


class DictEvaluation:
    """The Evaluator's methods for these expressions (a mixin of modules.Evaluator,
    which dispatches on the node kind)."""

    def _fstring(self, node: ir.FString, env) -> Any:
        try:
            return fstring_value(node, lambda part: self.expr(part, env))
        except (ValueError, TypeError) as exc:  # `{x:d}` of a float: Python too
            raise self._refuse(f"an f-string field cannot be formatted: {exc}",
                               node.span) from None  # fmt: skip

    def _dict(self, node: ir.DictExpr, env) -> Any:
        keys = [self.expr(key, env) for key in node.keys]
        items = [self.expr(value, env) for value in node.values]
        return self._keyed(list(zip(keys, items, strict=True)), node.keys)

    def _dictcomp(self, node: ir.DictComp, env) -> Any:
        """The comprehension's pairs, as a list comprehension of (key, value)
        tuples makes them (one way to run clauses: modules.py's)."""
        pair = ir.TupleExpr(items=(node.key, node.value), span=node.span)
        listed = ir.ListComp(elt=pair, clauses=node.clauses, span=node.span)
        pairs = self._listcomp(listed, env)
        if not isinstance(pairs, list):
            return UNKNOWN
        return self._keyed(pairs, [node.key] * len(pairs))

    def _keyed(self, pairs: list[tuple[Any, Any]], key_nodes) -> Any:
        """A dict from (key, value) pairs, in order; a module's key that torch
        would refuse is refused at the key that made it, a key given twice too,
        and one not known makes the dict unknown."""
        out: dict[Any, Any] = {}
        for (key, value), node in zip(pairs, key_nodes, strict=True):
            if not isinstance(value, MODULE_TYPES):  # a table of values
                if not (values.plain(key) or isinstance(key, tuple)):
                    return UNKNOWN
                problem = None
            elif key is UNKNOWN or not isinstance(key, str):
                if values.plain(key):
                    raise self._refuse(key_problem(key), node.span)
                return UNKNOWN
            else:
                problem = key_problem(key)
            if problem is None and key in out:
                problem = f'the key "{key}" is given twice: a container holds one child per name'
            if problem:
                raise self._refuse(problem, node.span)
            out[key] = value
        return out

    def dict_item(self, table: dict, index: Any, node: ir.Subscript) -> Any:
        """`cfgs[cfg]`: Python's KeyError for a key the table does not hold."""
        if index is UNKNOWN or isinstance(index, (list, dict)):
            return UNKNOWN
        if index not in table:
            raise self._refuse(f"the dict has no key {index!r}", node.index.span)
        return table[index]

    def ordered_dict(self, node: ir.Call, env) -> Any:
        """`OrderedDict({...})`: the dict itself (Python's dicts keep order)."""
        given = [self.expr(arg.value, env) for arg in node.args]
        return given[0] if len(given) == 1 and isinstance(given[0], dict) else UNKNOWN

    def dict_container(self, name: str, positional: list[Any], node: ir.Call) -> Any:
        """`ModuleDict({...})`, `Sequential({...})`: the children in key order."""
        given = positional[0] if positional else {}
        if not isinstance(given, dict):
            return UNKNOWN
        for key in given:
            problem = key_problem(key, name)
            if problem:
                raise self._refuse(problem, node.span)
        for child in given.values():
            if isinstance(child, MODULE_TYPES) and hasattr(child, "parents"):
                child.parents += 1  # a place it is put (params.py counts once)
        return SeqModule(name, list(given.items()), node.span)


def takes_dict(name: str, positional: list[Any]) -> bool:
    """A container built from a dict: any ModuleDict, a Sequential given one."""
    if name == "ModuleDict":
        return True
    return (
        name == "Sequential"
        and len(positional) == 1
        and isinstance(positional[0], dict)
    )


# ---- a ModuleDict member in forward (check/forward_dicts.py checks it) -------------


def dict_items(iterable: ir.Node, block) -> list[Any] | None:
    """What a loop over a ModuleDict member's view runs over, in insertion order:
    (key, child) pairs, children or keys; None for another loop."""
    view = view_of(iterable)
    container = block.env.get(view[0]) if view else None
    if not isinstance(container, SeqModule) or container.kind != "ModuleDict":
        return None
    method = view[1]  # type: ignore[index]
    if method == "items":
        return [tuple(pair) for pair in container.children]
    if method == "values":
        return [child for _, child in container.children]
    return [key for key, _ in container.children]


def keyed_child(inference, func: ir.Subscript, values, block) -> tuple[str, Any]:
    """`blocks["conv"]`, `blocks[name]`: (the child's path, the child), UNKNOWN as
    the child when it is not known here; a key it does not hold is reported."""
    name = func.value.id  # type: ignore[attr-defined]
    container = block.env.get(name)
    key = inference.scalar(func.index, values, block)
    if not isinstance(container, SeqModule) or not isinstance(key, str):
        return name, UNKNOWN
    children = dict(container.children)
    if key not in children:
        keys = ", ".join(f'"{k}"' for k in children) or "none"
        inference.report(f'`{name}` has no key "{key}"', func.index.span,
                         f"its keys are {keys}")  # fmt: skip
        return name, UNKNOWN
    return f"{name}.{key}", children[key]


def child_path(block, module: Any, fallback: str) -> str:
    """The state_dict path of a loop's module within `block` (`stages.stage1`, or
    a member's name for `children()`), so summaries and graphs name the child, not
    the loop variable; `fallback` when it is not found."""
    for name in block.members:
        held = block.env.get(name)
        if held is module:
            return name
        if isinstance(held, SeqModule):
            for key, child in held.children:
                if child is module:
                    return f"{name}.{key}"
    return fallback


def dotted_child(owner: Any, parts: tuple[str, ...]) -> Any:
    """`blocks.conv`: a ModuleDict's child by attribute, as nn.ModuleDict allows."""
    if isinstance(owner, SeqModule) and owner.kind == "ModuleDict" and len(parts) == 1:
        return dict(owner.children).get(parts[0], UNKNOWN)
    return UNKNOWN


def apply_child(inference, block, module: Any, args, span, path: str, where: str):
    """Call the child at `where` (`heads.classes`, `stages.stage1`): a ModuleDict
    entered child by child gets a summary row of its own before its first child's,
    with its parameters and the output of the last child called (as the parents of
    a base model's submodules have); anything else is applied as it is."""
    name, dot, _ = where.partition(".")
    container = block.env.get(name)
    row = None
    if dot and isinstance(container, SeqModule) and container.kind == "ModuleDict":
        at = f"{path}.{name}" if path else name
        if isinstance(module, MODULE_TYPES):
            row = inference._row_at.get(at) or inference._row(container, at)
    result = inference.apply(module, args, span, f"{path}.{where}" if path else where,
                             where)  # fmt: skip
    if row is not None:
        first = result[0] if isinstance(result, list) and result else result
        row.output = getattr(first, "dims", None)
    return result
