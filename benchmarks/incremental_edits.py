"""One-line edits of a ~500-line spec, re-checked by `archdsl.incremental` and, in
turn, by a full check of the same text; prints the per-edit seconds (wall and
CPU) as JSON. Run by benchmarks/run.py's incremental section once per source tree
(this one and each `--baseline`), so trees are compared in one run:

    python benchmarks/incremental_edits.py --tree DIR --spec every-block --edits 20

Specs (both about 500 lines):
- `unet-x8`: eight copies of specs/unet.arch, renamed apart: eight independent
  groups of definitions;
- `every-block`: 36 residual blocks and one model that chains them all, with a
  declared input, so its shape inference enters every block (the spec
  benchmarks/lsp_latency.py edits too).

Edits (`--edit`):
- `comment`: each edit types a comment at the end of a random line that builds
  something, so that line's definition is parsed and checked again;
- `enter`: each edit adds an empty line inside the first definition (pressing
  Enter there), so every definition below it moves one line down.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

BLOCKS = 36


def every_block(width: int = 16) -> str:
    """About 500 lines: BLOCKS residual blocks of 11 lines and a model chaining them,
    with a declared input so that shapes are inferred through every block."""
    lines = []
    for i in range(BLOCKS):
        lines += [
            f"block Res{i}(c: int, scale: float = 1.0) {{",
            "    conv1 = Conv2d(c, c, kernel_size=3, padding=1, bias=False)",
            "    bn1 = BatchNorm2d(c)",
            "    relu = ReLU(inplace=True)",
            "    conv2 = Conv2d(c, c, kernel_size=3, padding=1, bias=False)",
            "    bn2 = BatchNorm2d(c)",
            "    forward(x) {",
            "        out = relu(bn1(conv1(x)))",
            "        return relu(bn2(conv2(out)) * scale + x)",
            "    }",
            "}",
            "",
        ]
    lines.append("model Deep() {")
    lines += [f"    r{i} = Res{i}({width})" for i in range(BLOCKS)]
    lines.append(f"    forward(x: [N, {width}, H, W]) {{")
    lines += [f"        x = r{i}(x)" for i in range(BLOCKS)]
    lines += ["        return x", "    }", "}", ""]
    return "\n".join(lines)


def spec_copies(root: Path, stem: str, copies: int) -> str:
    """`copies` copies of a spec, each definition renamed apart (U-Net x8: 527 lines
    of independent blocks and models)."""
    text = (root / "specs" / f"{stem}.arch").read_text()
    names = re.findall(r"^(?:block|model|builder)\s+(\w+)", text, re.M)
    out = []
    for k in range(copies):
        copy = text
        for name in names:
            copy = re.sub(rf"\b{name}\b", f"{name}{k}", copy)
        out.append(copy)
    return "\n".join(out)


def spec(name: str, root: Path) -> str:
    return every_block() if name == "every-block" else spec_copies(root, "unet", 8)


def measure(text: str, edits: int, seed: int, kind: str = "comment") -> dict:
    """Per edit, interleaved: Workspace.update, and a full check (compile_spec's
    work: parse, imports, every check) of the same text."""
    from archdsl.incremental import Workspace, full_update
    from archdsl.source import Source

    workspace = Workspace()
    workspace.update("long.arch", text)
    lines = text.splitlines(keepends=True)
    editable = [i for i, line in enumerate(lines) if " = " in line and "(" in line]
    rng = random.Random(seed)
    out: dict[str, list] = {"incremental": [], "full check": [], "work": []}
    for step in range(edits):
        if kind == "enter":  # inside the first definition (11 lines and growing)
            lines.insert(rng.randrange(1, 10), "\n")
        else:
            n = rng.choice(editable)
            kept = lines[n].split("  # edit ")[0].rstrip("\n")
            lines[n] = f"{kept}  # edit {seed}.{step}\n"  # the piece changes
        new = "".join(lines)
        order = ("incremental", "full check")[:: 1 if step % 2 else -1]
        for side in order:
            start, start_cpu = time.perf_counter(), time.process_time()
            if side == "incremental":
                update = workspace.update("long.arch", new)
                work = [update.parsed, update.checked]
                work += [getattr(update, "definitions", None), update.full]
                out["work"].append(work)
            else:
                full_update(Source("long.arch", new))
            seconds = [time.perf_counter() - start, time.process_time() - start_cpu]
            out[side].append(seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path(__file__).parents[1])
    parser.add_argument("--spec", choices=("unet-x8", "every-block"), required=True)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--edit", choices=("comment", "enter"), default="comment")
    args = parser.parse_args()
    sys.path[:0] = [str(args.tree.resolve())]  # that tree's archdsl
    text = spec(args.spec, Path(__file__).parents[1])
    result = measure(text, args.edits, args.seed, args.edit)
    result["spec lines"] = text.count("\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
