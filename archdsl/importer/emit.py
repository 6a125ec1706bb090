"""Definitions as `.arch` text, laid out as a person would: one member per line,
long calls broken one argument per line, runs of equal Sequential children as
`*[... for _ in range(n)]`."""

from __future__ import annotations

from dataclasses import replace

from .exprs import AddLoop, Branch, Call, Repeat, literal, render, without_defaults
from .lists import ChildLoop
from .optional import Guarded
from .params import Param
from .tables import SeqTable
from .walk import Definition

LINE = 88
INDENT = "    "


def emit(
    definitions: list[Definition], header: list[str], input_shapes: dict[str, str]
) -> str:
    parts = ["\n".join(f"# {line}" if line else "#" for line in header)]
    for definition in definitions:
        parts.append(_definition(definition, input_shapes))
    return "\n\n".join(parts) + "\n"


def _definition(d: Definition, input_shapes: dict[str, str]) -> str:
    params = _params(d.params)
    if len(params) + len(d.name) + 12 > LINE:  # one parameter per line
        params = (
            "(\n"
            + "".join(f"{INDENT}{p},\n" for p in _params(d.params)[1:-1].split(", "))
            + ")"
        )
    if d.kind == "builder":
        return f"builder {d.name}{params} =\n{INDENT}" + _layout(
            _compressed(d.body), 1, 4
        )
    head = (
        f"model {d.name}" + (params if d.params else "")
        if d.kind == "model"
        else f"block {d.name}{params}"
    )
    if d.extends is not None:
        head += f" extends {render(d.extends)}"
    lines = [f"{head} {{"]
    for name, expr in d.members:
        if isinstance(expr, SeqTable):  # a Sequential from a config table
            lines += [INDENT + line for line in expr.lines(INDENT)]
            continue
        if isinstance(expr, AddLoop):  # members a loop adds
            loop = replace(expr, item=_compressed(expr.item))
            lines += loop.lines(INDENT, INDENT)
            continue
        if isinstance(expr, Guarded):  # an optional member
            start = f"{INDENT * 2}{name} = "
            lines.append(f"{INDENT}if {expr.condition} {{")
            lines.append(start + _layout(_compressed(expr.expr), 2, len(start)))
            lines.append(f"{INDENT}}}")
            continue
        start = f"{INDENT}{name} = "
        lines.append(start + _layout(_compressed(expr), 1, len(start)))
    if d.extends is not None:
        pass  # the base's forward
    elif d.forward is None:
        lines.append(f"{INDENT}# forward: not imported, see the diagnostics")
    else:
        shapes = input_shapes if d.kind == "model" else {}
        lines += ([""] if d.members else []) + _forward(d, shapes)
    lines.append("}")
    return "\n".join(lines)


def _params(params: list[Param]) -> str:
    parts = []
    for p in params:
        text = p.name + (f": {p.type}" if p.type else "")
        if p.has_default:
            text += f" = {literal(p.default)}"
        parts.append(text)
    return "(" + ", ".join(parts) + ")"


def _forward(d: Definition, shapes: dict[str, str]) -> list[str]:
    forward = d.forward
    inputs = ", ".join(
        f"{name}: {shapes[name]}" if name in shapes else name for name in forward.inputs
    )
    returns = ", ".join(render(r) for r in forward.returns)
    if not forward.statements and len(forward.returns) == 1 and not forward.notes:
        one = f"{INDENT}forward({inputs}) = {returns}"
        if len(one) <= LINE:
            return [one]
    lines = [f"{INDENT}forward({inputs}) {{"]
    lines += [f"{INDENT * 2}# {note}" for note in forward.notes]
    lines += _statements(forward.statements, 2)
    lines.append(f"{INDENT * 2}return {returns}")
    lines.append(f"{INDENT}}}")
    return lines


def _statements(statements: list, level: int) -> list[str]:
    pad = INDENT * level
    lines = []
    for targets, expr in statements:
        if isinstance(expr, ChildLoop):  # a list grown over the children
            lines += expr.lines(pad, INDENT)
            continue
        if isinstance(expr, Branch):  # what training mode (or some instances) do
            returns = ", ".join(render(r) for r in expr.returns)
            lines.append(f"{pad}if {expr.condition} {{")
            lines += _statements(expr.statements, level + 1)
            if expr.returns:
                lines.append(f"{pad}{INDENT}return {returns}")
            lines.append(f"{pad}}}")
            continue
        if isinstance(expr, Guarded):  # an optional member's call
            start = f"{pad}{INDENT}{', '.join(targets)} = "
            lines.append(f"{pad}if {expr.condition} {{")
            lines.append(start + _layout(expr.expr, level + 1, len(start)))
            lines.append(f"{pad}}}")
            continue
        start = f"{pad}{', '.join(targets)} = "
        lines.append(start + _layout(expr, level, len(start)))
    return lines


def _layout(expr: object, level: int, start: int) -> str:
    """`expr`, broken one argument per line when it does not fit on the line that
    already holds `start` characters."""
    flat = render(expr)
    if start + len(flat) <= LINE or not isinstance(expr, Call):
        return flat
    inner = INDENT * (level + 1)
    items = [inner + _layout(a, level + 1, len(inner)) + "," for a in expr.args]
    items += [
        f"{inner}{k}=" + _layout(v, level + 1, len(inner) + len(k) + 1) + ","
        for k, v in expr.kwargs
    ]
    return f"{expr.func}(\n" + "\n".join(items) + f"\n{INDENT * level})"


def _compressed(expr: object) -> object:
    """Sequential children that repeat one call, one after another, as one Repeat."""
    if not isinstance(expr, Call):
        return expr
    expr = without_defaults(expr)
    args = tuple(_compressed(a) for a in expr.args)
    kwargs = tuple((k, _compressed(v)) for k, v in expr.kwargs)
    if expr.func == "Sequential" and args:
        args = tuple(_runs(args))
    return Call(expr.func, args, kwargs)


def _runs(args: tuple) -> list[object]:
    out: list[object] = []
    i = 0
    while i < len(args):
        j = i
        while j + 1 < len(args) and args[j + 1] == args[i]:
            j += 1
        count = j - i + 1
        out.append(Repeat(args[i], count) if count > 2 else args[i])
        if count == 2:
            out.append(args[i])
        i = j + 1
    return out
