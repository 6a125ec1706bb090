"""Valid programs that change a torchvision model, for the oracle.

A model extends `resnet18` (with or without `num_classes`) and draws some of: a new
head, an extra input fused in by `at fc(x) = ...`, an `at` rewrite of a stage,
taps as extra outputs (named like what generated code uses), and `freeze`.
"""

from __future__ import annotations

from hypothesis import strategies as st

from .programs import Generated

TAPS = ["layer1", "layer2", "layer3", "layer1.0", "layer2.1", "layer4.0", "avgpool"]
TAP_NAMES = [
    "out",
    "identity",
    "feat",
    "h",
    "y",
    "relu_1",
    "result",
]  # not logits: fc's
STAGE_INPUTS = ["v", "out", "t", "identity", "h"]
FREEZE = ['"conv1.*"', '"bn1.*"', '"layer1.*"', '"layer2.0.*"', '"*.downsample.*"']


@st.composite
def base_programs(
    draw,
    parent_and_child: bool = False,
    relu_in_at: bool = False,
    rewritten_parent: bool = False,
) -> Generated:
    """`parent_and_child`: taps may name a Sequential and its child (finding F9);
    `rewritten_parent`: a tap may name a child of a Sequential an `at` rewrites
    (F17);
    `relu_in_at`: `at` rewrites may call `relu`, the base's in-place child (F10)."""
    classes = draw(st.integers(2, 9))
    lines: list[str] = []
    given = draw(st.booleans())
    base = "torchvision.resnet18(num_classes=k)" if given else "torchvision.resnet18()"
    out = "k" if given else "1000"
    shapes = [(2, 3, 32, 32)]
    meta = draw(st.booleans())
    head = draw(st.sampled_from(["none", "linear", "sequential", "named"]))
    if meta:
        width = draw(st.integers(1, 4))
        lines.append(f"input meta: [N, {width}]")
        lines.append(f"mlp = Sequential(Linear({width}, 4), ReLU())")
        head = head if head != "none" else "linear"
        shapes.append((2, width))
    features = "512 + 4" if meta else "512"
    if head == "linear":
        lines.append(f"fc = Linear({features}, {out})")
    elif head == "sequential":
        lines.append(f"fc = Sequential(Dropout(0.2), Linear({features}, {out}))")
    elif head == "named":
        lines.append(f"fc = Sequential(fc1=Linear({features}, 8), relu1=ReLU(), "
                     f"fc2=Linear(8, {out}))")  # fmt: skip
    if meta:
        lines.append("at fc(x) = fc(cat([x, mlp(meta)], dim=1))")
    if draw(st.booleans()):
        stage = draw(st.sampled_from(["layer2", "layer3", "layer4"]))
        name = draw(st.sampled_from(STAGE_INPUTS))
        rewrite = draw(st.sampled_from([
            f"{stage}({name}) * 2.0",
            f"relu({stage}({name}))" if relu_in_at else f"sigmoid({stage}({name}))",
            f"{stage}({name}) + {stage}({name}) * (k - 1)" if given else f"{stage}({name})",
        ]))  # fmt: skip
        lines.append(f"at {stage}({name}) = {rewrite}")
    if draw(st.booleans()):
        taps = draw(
            st.lists(st.sampled_from(TAPS), min_size=1, max_size=3, unique=True)
        )
        if not parent_and_child:  # finding F9
            taps = [t for t in taps if not any(o.startswith(t + ".") for o in taps)]
        if not rewritten_parent:  # finding F17
            stages = [
                line.split("(")[0][3:] for line in lines if line.startswith("at ")
            ]
            taps = [t for t in taps if not any(t.startswith(s + ".") for s in stages)]
        names = draw(st.lists(st.sampled_from(TAP_NAMES), min_size=len(taps),
                              max_size=len(taps), unique=True))  # fmt: skip
        # Layers after the last tap do not run: with an extra input, fc must.
        first = (
            "logits = fc, " if meta else draw(st.sampled_from(["logits = fc, ", ""]))
        )
        pairs = ", ".join(f"{n} = {t}" for n, t in zip(names, taps, strict=True))
        if pairs:
            lines.append(f"outputs({first}{pairs})")
    if draw(st.booleans()):
        patterns = draw(
            st.lists(st.sampled_from(FREEZE), min_size=1, max_size=2, unique=True)
        )
        lines.append(f"freeze({', '.join(patterns)})")
    body = "\n".join(f"    {line}" for line in lines)
    text = f"model Changed(k: int = {classes}) extends {base} {{\n{body}\n}}\n"
    return Generated(text, "Changed", {}, shapes)
