"""A Sequential made from a config table, written back as the table and its loop.

torchvision's VGG builds `features` with `make_layers(cfgs["D"], batch_norm=True)`:
for each entry of `[64, 64, "M", 128, ...]`, a 3x3 convolution from the previous
width (with a norm and an activation after it), or a pool for "M". The importer
sees only the layers, forty of them; where a Sequential's children are exactly such
units (at least MIN_CONVS convolutions, each from the one before's width), the spec
says what the Python said: the table and the loop, as specs/zoo/vgg.arch writes it.
The build is the same layers in the same order, so keys and outputs are too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .exprs import Call, Lit, Name, literal, render, without_defaults

#: Fewer convolutions than this are clearer written out.
MIN_CONVS = 4
#: The table's mark for a pool, as torchvision's cfgs write it.
POOL = "M"


@dataclass(frozen=True)
class SeqTable:
    """`name = Sequential()`, then the loop over `table` that appends to it; its
    lines are relative to the member's indentation."""

    name: str
    first: int  # the first convolution's input width
    table: tuple  # widths, and POOL
    conv: Call  # reads Name("in_channels") and Name("width")
    after: tuple  # what follows each convolution (its norm, reading `width`; ReLU)
    pool: Call

    def lines(self, indent: str) -> list[str]:
        step = indent * 2
        appended = [
            f"{self.name}.append({render(c)})" for c in (self.conv, *self.after)
        ]
        pool = f"{self.name}.append({render(self.pool)})"
        head = [f"{self.name} = Sequential()", f"in_channels = {self.first}"]
        stages = _stages(self.table)
        if stages is not None:  # VGG's: each stage one width, then a pool
            widths = ", ".join(str(w) for w, _ in stages)
            counts = ", ".join(str(n) for _, n in stages)
            return [
                *head,
                f"for width, count in zip([{widths}], [{counts}]) {{",
                f"{indent}for _ in range(count) {{",
                *(f"{step}{line}" for line in appended),
                f"{step}in_channels = width",
                f"{indent}}}",
                f"{indent}{pool}",
                "}",
            ]
        table = "[" + ", ".join(literal(v) for v in self.table) + "]"
        return [
            *head,
            f"for width in {table} {{",
            f"{indent}if width == {literal(POOL)} {{",
            f"{step}{pool}",
            f"{indent}}} else {{",
            *(f"{step}{line}" for line in appended),
            f"{step}in_channels = width",
            f"{indent}}}",
            "}",
        ]

    def text(self) -> str:
        return " ".join(line.strip() for line in self.lines(""))


def _stages(table: tuple) -> list[tuple[int, int]] | None:
    """(width, count) per stage where the table is runs of one width, each ended
    by a pool; None otherwise."""
    stages: list[tuple[int, int]] = []
    run: list[object] = []
    for entry in table:
        if entry != POOL:
            run.append(entry)
            continue
        if not run or len(set(run)) != 1:
            return None
        stages.append((run[0], len(run)))
        run = []
    return stages if stages and not run else None


def table_of(name: str, expr: object, taken: set[str]) -> SeqTable | None:
    """`expr` (a member's `Sequential(...)`) as a config table, or None."""
    if not (isinstance(expr, Call) and expr.func == "Sequential" and not expr.kwargs):
        return None
    if {"in_channels", "width", "count"} & taken:
        return None
    children = [without_defaults(c) for c in expr.args]
    if not all(isinstance(c, Call) for c in children):
        return None
    convs = [i for i, c in enumerate(children) if c.func == "Conv2d"]
    if len(convs) < MIN_CONVS:
        return None
    # a convolution and what follows it: the closest two convolutions are a unit apart
    unit = min(b - a for a, b in zip(convs, convs[1:], strict=False))
    pools = [c for i, c in enumerate(children) if not _in_unit(i, convs, unit)]
    if not pools or len(set(pools)) != 1 or pools[0].func == "Conv2d":
        return None
    table, templates, width = [], set(), None
    first = _width(children[convs[0]], 0)
    for i, child in enumerate(children):
        if i in convs:
            found = _unit(children[i : i + unit], width if width is not None else first)
            if found is None:
                return None
            width = _width(child, 1)
            table.append(width)
            templates.add(found)
        elif not _in_unit(i, convs, unit):
            table.append(POOL)
    if len(templates) != 1 or not isinstance(first, int):
        return None
    conv, *after = templates.pop()
    return SeqTable(name, first, tuple(table), conv, tuple(after), pools[0])


def _in_unit(i: int, convs: list[int], unit: int) -> bool:
    return any(start <= i < start + unit for start in convs)


def _unit(calls: list[Call], width: object) -> tuple | None:
    """The convolution and what follows it with the widths as names (the same
    tuple for every unit of a table), or None when it is not one."""
    conv = calls[0]
    if len(conv.args) < 2 or _width(conv, 0) != width:
        return None
    out = conv.args[1]
    template = [Call(conv.func, (Name("in_channels"), Name("width"), *conv.args[2:]),
                     conv.kwargs)]  # fmt: skip
    for call in calls[1:]:
        if call.func == "Conv2d":
            return None
        if call.args and call.args[0] == out:  # the norm: BatchNorm2d(width)
            call = Call(call.func, (Name("width"), *call.args[1:]), call.kwargs)
        template.append(call)
    return tuple(template)


def _width(call: Call, index: int) -> object:
    arg = call.args[index] if len(call.args) > index else None
    return arg.value if isinstance(arg, Lit) else None
