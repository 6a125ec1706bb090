"""A Picture as a Mermaid flowchart: needs no program to draw, and GitHub draws it
inside a ```mermaid block of any markdown file."""

from __future__ import annotations

from .layout import Box, Cluster, Picture

#: Node shapes by kind: inputs and outputs as stadiums, module calls as rounded
#: boxes, ops as hexagons, other tensors (parameters) as parallelograms.
SHAPES = {
    "input": ('(["', '"])'),
    "output": ('(["', '"])'),
    "module": ('("', '")'),
    "op": ('{{"', '"}}'),
    "value": ('[/"', '"/]'),
}

#: Colours as in the DOT picture (archdsl/graph/dot.py).
CLASSES = {
    "input": "fill:#dbeafe,stroke:#3b82f6",
    "output": "fill:#dcfce7,stroke:#22c55e",
    "module": "fill:#fef3c7,stroke:#d97706",
    "op": "fill:#f3f4f6,stroke:#9ca3af",
    "value": "fill:#ede9fe,stroke:#8b5cf6,stroke-dasharray:4",
}


def to_mermaid(picture: Picture, source: str) -> str:
    lines = [f"%% {picture.title}, drawn by `archdsl graph` from {source}",
             "flowchart TB"]  # fmt: skip
    kinds: dict[str, list[str]] = {}
    _add(lines, picture.items, "    ", kinds)
    for edge in picture.edges:
        lines.append(f'    {edge.tail} -->|"{_text(edge.label)}"| {edge.head}')
    for kind, style in CLASSES.items():
        if kinds.get(kind):
            lines.append(f"    classDef {kind} {style}")
            lines.append(f"    class {','.join(kinds[kind])} {kind}")
    return "\n".join(lines) + "\n"


def _add(lines: list[str], items, indent: str, kinds: dict[str, list[str]]) -> None:
    for item in items:
        if isinstance(item, Cluster):
            lines.append(f'{indent}subgraph {item.id} ["{_label(item)}"]')
            _add(lines, item.items, indent + "    ", kinds)
            lines.append(f"{indent}end")
        else:
            opening, closing = SHAPES[item.kind]
            lines.append(f"{indent}{item.id}{opening}{_label(item)}{closing}")
            kinds.setdefault(item.kind, []).append(item.id)


def _label(item: Box | Cluster) -> str:
    """`down1: Down`, then its parameters, small."""
    head = item.name if item.layer in ("", item.name) else f"{item.name}: {item.layer}"
    head = _text(head)
    return f"{head}<br/><small>{_text(item.params)}</small>" if item.params else head


def _text(text: str) -> str:
    """Mermaid's entity codes for what would end a quoted label or start a tag."""
    return (
        text.replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )
