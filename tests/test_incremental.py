"""archdsl.incremental against the full pipeline: after every edit of a random
sequence (lines changed, swapped, deleted, duplicated; names renamed; numbers
changed), the workspace reports exactly what `compile_spec` reports for the
whole text, rendered the same, and re-parses only the pieces that changed."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from archdsl.errors import ArchError
from archdsl.incremental import Workspace, diagnostic_order
from archdsl.pipeline import compile_spec
from archdsl.source import Source

ROOT = Path(__file__).resolve().parents[1]


def reference(path: str, text: str) -> list[str]:
    """What a full check reports: compile_spec's diagnostics, errors or warnings."""
    try:
        found = compile_spec(Source(path, text)).context.diagnostics
    except ArchError as exc:
        found = exc.diagnostics
    return [d.render() for d in diagnostic_order(found)]


def copies(stem: str, count: int) -> str:
    """`count` copies of a spec, every definition renamed apart: independent
    components, as in a long file of unrelated blocks."""
    text = (ROOT / "specs" / f"{stem}.arch").read_text()
    names = re.findall(r"^(?:block|model|builder)\s+(\w+)", text, re.M)
    out = []
    for k in range(count):
        copy = text
        for name in names:
            copy = re.sub(rf"\b{name}\b", f"{name}{k}", copy)
        out.append(copy)
    return "\n".join(out)


def edit(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or ["\n"]
    n = rng.randrange(len(lines))
    kind = rng.choice(["number", "rename", "swap", "delete", "duplicate", "replace",
                       "comment", "blank", "break"])  # fmt: skip
    line = lines[n]
    if kind == "number" and re.search(r"\d+", line):
        lines[n] = re.sub(r"\d+", str(rng.choice([0, 1, 2, 3, 64, 128])), line, count=1)
    elif kind == "rename" and re.search(r"[A-Za-z_]\w*", line):
        words = re.findall(r"[A-Za-z_]\w*", line)
        lines[n] = line.replace(rng.choice(words), rng.choice(words + ["zz"]), 1)
    elif kind == "swap":
        m = rng.randrange(len(lines))
        lines[n], lines[m] = lines[m], lines[n]
    elif kind == "delete":
        del lines[n]
    elif kind == "duplicate":
        lines.insert(n, line)
    elif kind == "replace":
        lines[n] = rng.choice(lines)
    elif kind == "comment":
        lines[n] = line.rstrip("\n") + "  # note\n"
    elif kind == "blank":
        lines.insert(n, "\n")
    elif kind == "break":
        cut = rng.randrange(len(line) + 1)
        lines[n] = (
            line[:cut] + rng.choice(["(", "}", "=", ",", "model ", ""]) + line[cut:]
        )
    return "".join(lines)


SPECS = {
    "unet": (ROOT / "specs/unet.arch").read_text(),
    "resnet18": (ROOT / "specs/resnet18.arch").read_text(),
    "mlp": (ROOT / "specs/mlp.arch").read_text(),
    "unet_x3": copies("unet", 3),
    "resnet18_x2": copies("resnet18", 2),
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_random_edits_report_what_a_full_check_reports(name):
    rng = random.Random(name)
    original = SPECS[name]
    workspace = Workspace()
    text = original
    incremental = 0
    for step in range(72):
        # mostly cumulative, as typing is; now and then back to a sound file
        text = original if step % 4 == 3 else edit(text, rng)
        update = workspace.update(f"{name}.arch", text)
        got = [d.render() for d in update.diagnostics]
        assert got == reference(f"{name}.arch", text), (step, text)
        incremental += not update.full
    assert incremental >= 20  # the incremental path itself was tried, not the fallback


def test_a_one_line_edit_parses_and_checks_one_piece_again():
    text = copies("unet", 4)
    workspace = Workspace()
    first = workspace.update("u.arch", text)
    assert (first.parsed, first.full) == (len(first.program.definitions) + 1, False)
    edited = text.replace(
        "DoubleConv2(n_channels, 64)", "DoubleConv2(n_channels, 64 * 1)"
    )
    assert edited != text
    again = workspace.update("u.arch", edited)
    # one piece parsed again; one copy of U-Net (one component) checked again
    assert (again.parsed, again.checked, again.full) == (1, 1, False)
    assert [d.render() for d in again.diagnostics] == reference("u.arch", edited)


def test_an_error_in_one_component_silences_the_sound_program_passes_in_all():
    """Shapes, in-place and unused-value checks run only for a program without
    errors: an error in one copy hides another copy's unused value, as in a full
    check."""
    text = copies("mlp", 2).replace(
        "forward(x: [N, in_features]) = layers(x)",
        "forward(x: [N, in_features]) {\n        y = x\n        return layers(x)\n    }",
    )
    workspace = Workspace()
    sound = workspace.update("m.arch", text)
    assert any("never used" in d.message for d in sound.diagnostics)
    broken = text.replace("relu1=ReLU()", "relu1=ReLU(bogus=1)", 1)
    update = workspace.update("m.arch", broken)
    assert [d.render() for d in update.diagnostics] == reference("m.arch", broken)
    assert not any("never used" in d.message for d in update.diagnostics)
