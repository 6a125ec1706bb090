"""A ModuleDict member in `forward` (issue 12, item 4), as PyTorch reads one:

    for name, layer in blocks.items() { x = layer(x) }   # (key, child) pairs
    for layer in blocks.values() { ... }                 # the children
    for name in blocks { x = blocks[name](x) }           # the keys (blocks.keys())
    y = blocks["conv"](x)

in insertion order; generated as the same Python loop over `self.blocks`."""

from __future__ import annotations

from .. import ir
from ..errors import did_you_mean
from . import types
from .consts import const_value
from .context import ModuleRef, Symbol, Value

#: What each view of a ModuleDict gives per pass, by target.
_VIEWS = {"items": ("str", "module"), "values": ("module",), "keys": ("str",)}


def module_dict(checker, name: str) -> tuple[Symbol, ModuleRef] | None:
    """The ModuleDict member called `name`, if that is what it is."""
    symbol = checker.scope.lookup(name)
    if symbol is None or symbol.kind != "member" or symbol.value.module is None:
        return None
    ref = symbol.value.module
    return (symbol, ref) if ref.label == "ModuleDict" else None


def view_of(iterable: ir.Node) -> tuple[str, str] | None:
    """`blocks.items()` -> ("blocks", "items"); `blocks` -> ("blocks", "keys")."""
    if isinstance(iterable, ir.Name):
        return iterable.id, "keys"
    func = iterable.func if isinstance(iterable, ir.Call) else None
    if isinstance(func, ir.Path) and len(func.parts) == 2 and not iterable.args:
        return func.parts[0], func.parts[1]
    return None


def dict_loop(checker, stmt: ir.FFor) -> tuple[Value, ...] | None:
    """What each target of a loop over a ModuleDict member binds; None when the
    loop is over something else."""
    view = view_of(stmt.iter)
    found = module_dict(checker, view[0]) if view else None
    if found is None:
        return None
    name, method = view  # type: ignore[misc]
    kinds = _VIEWS.get(method)
    child = Value("module", ModuleRef("child", None, None))
    if kinds is None:
        checker.ctx.error(
            f"`{name}` is a ModuleDict: loop over `{name}.items()`, "
            f"`{name}.values()` or `{name}.keys()`",
            stmt.iter.span,
            hint=did_you_mean(method, list(_VIEWS)),
        )
        return tuple(child for _ in stmt.targets)  # said once: no more about them
    if len(stmt.targets) != len(kinds):
        shape = "(name, module) pairs" if method == "items" else "one item a pass"
        written = name if isinstance(stmt.iter, ir.Name) else f"{name}.{method}()"
        checker.ctx.error(
            f"`{written}` gives {shape}: "
            f"{len(kinds)} name{'s' if len(kinds) > 1 else ''}, not "
            f"{len(stmt.targets)}",
            stmt.span,
            hint=f"`for name, layer in {name}.items()`",
        )
        return tuple(child for _ in stmt.targets)
    return tuple(child if k == "module" else Value(k) for k in kinds)


def keyed_call(checker, expr: ir.Call) -> Value | None:
    """`blocks["conv"](x)`, `blocks[name](x)` (or `blocks.conv(x)`, as
    nn.ModuleDict allows): one child of a ModuleDict member, called; None when
    `expr` calls something else."""
    func = expr.func
    if isinstance(func, ir.Path) and len(func.parts) == 2:  # `blocks.conv(x)`
        head = ir.Name(id=func.parts[0], span=func.span)
        func = ir.Subscript(value=head, index=ir.Constant(value=func.parts[1],
                            span=func.span), span=func.span)  # fmt: skip
    if not isinstance(func, ir.Subscript) or not isinstance(func.value, ir.Name):
        return None
    found = module_dict(checker, func.value.id)
    if found is None:
        return None
    symbol, ref = found
    key = checker.expr(func.index)
    if key.type not in ("str", "any"):
        checker.ctx.error(
            f"a ModuleDict is indexed by a child's name, not "
            f"{types.describe(key.type)}",
            func.index.span,
        )
    child = _child(checker, symbol.name, ref, func.index)
    for arg, value in zip(expr.args, checker.args(expr), strict=True):
        checker._expect_tensors(value, arg.value, 1)
    outputs = child.outputs if child is not None else 1
    return Value("tensor", arity=outputs or 1)


def _child(checker, name: str, ref: ModuleRef, index: ir.Node) -> ModuleRef | None:
    """The child a key known here names; a diagnostic when there is none."""
    key = const_value(index, checker.known)
    if ref.children is None or not isinstance(key, str):
        return None  # its keys or this key are known when the model is built
    children = dict(ref.children)
    if key not in children:
        keys = ", ".join(f'"{k}"' for k in children) or "none"
        checker.ctx.error(
            f'`{name}` has no key "{key}"',
            index.span,
            hint=did_you_mean(key, list(children)) or f"its keys are {keys}",
        )
        return None
    return children[key]
