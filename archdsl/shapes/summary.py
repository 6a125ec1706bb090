"""`archdsl summary`: each module call with its output shape and parameter count.

Computed from the spec alone (shape inference and the registry's parameter rules),
so nothing is allocated, and the total is what `sum(p.numel() for p in
model.parameters())` gives for the built model (tests/test_shapes.py holds it to
that for every spec).
"""

from __future__ import annotations

from typing import Any

from ..check.limits import describe_gigabytes
from ..ops.shapes import describe, known
from .dims import Poly
from .infer import Result


def render_summary(
    name: str, result: Result, inputs: dict[str, str], depth: int
) -> str:
    rows = [("module", "layer", "output shape", "params")]
    for row in result.rows:
        if row.depth >= depth:
            continue
        indent = "  " * row.depth
        shape = describe(row.output) if row.output is not None else "?"
        rows.append((indent + row.path, row.layer, shape, _count(row.params)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    rule = "  ".join("-" * w for w in widths)
    lines = [f"{name}: " + ", ".join(f"{k} {v}" for k, v in inputs.items()), ""]
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]),
                 row[2].ljust(widths[2]), row[3].rjust(widths[3])]  # fmt: skip
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append(rule)
    lines.append(rule)
    outputs = ", ".join(
        describe(t.dims) if t.dims is not None else "?" for t in result.outputs
    )
    lines.append(f"output{'s' if len(result.outputs) > 1 else ''}: {outputs}")
    lines.append(f"parameters: {_count(result.params)}{_memory(result.params)}")
    return "\n".join(lines)


def _count(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Poly):
        return str(value)
    return "?" if not isinstance(value, str) else value


def _memory(params: Any) -> str:
    if not isinstance(params, int) or not known(params):
        return ""
    size = params * 4
    if size >= 10**15:  # past what MB shows well (or a float holds): GB, from ints
        return f" ({describe_gigabytes(params)} GB as float32)"
    shown = f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
    return f" ({shown} as float32)"
