"""archdsl.incremental against the full pipeline: after every edit of a random
sequence (lines changed, swapped, deleted, duplicated; names renamed; numbers
changed), the workspace reports exactly what `compile_spec` reports for the
whole text, rendered the same, and re-parses only the pieces that changed. The
same holds where one model uses every block (each block's checks, builds and
forwards are kept between edits) for random edits and for edits that change a
block's signature or output shape or bring in an error; and the work an edit
inside one block does there is that block's and the model's."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from archdsl.check import Limits, analyze
from archdsl.errors import ArchError
from archdsl.incremental import Workspace, diagnostic_order, full_update
from archdsl.pipeline import compile_spec
from archdsl.source import Source
from archdsl.syntax import parse_source

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


#: One model that uses every block, with declared input shapes, so that its shape
#: inference enters each: a block used twice with different arguments (`Widen`),
#: a block inside blocks (`Res` in `Pair`), and a warning found inside a block
#: (`Down`'s residual of a strided conv), reported with the calls leading there.
CHAIN = """\
block Down(ch: int) {
    conv = Conv2d(ch, ch, kernel_size=3, stride=2, padding=1)
    forward(x) = x + conv(x)
}

block Widen(cin: int, cout: int, k: int = 3) {
    conv = Conv2d(cin, cout, kernel_size=k, padding=k // 2, bias=False)
    bn = BatchNorm2d(cout)
    forward(x) = relu(bn(conv(x)))
}

block Res(c: int, scale: float = 1.0) {
    conv1 = Conv2d(c, c, kernel_size=3, padding=1, bias=False)
    bn1 = BatchNorm2d(c)
    act = ReLU(inplace=True)
    forward(x) {
        out = act(bn1(conv1(x)))
        return out * scale + x
    }
}

block Pair(c: int) {
    a = Res(c)
    b = Res(c, scale=0.5)
    forward(x) = b(a(x))
}

model Chain() {
    w1 = Widen(3, 16)
    r1 = Res(16)
    d1 = Down(16)
    p1 = Pair(16)
    w2 = Widen(16, 32, k=1)
    r2 = Res(32)
    p2 = Pair(32)
    head = Linear(32, 10)
    forward(x: [N, 3, H, W]) {
        x = p1(d1(r1(w1(x))))
        x = p2(r2(w2(x)))
        return head(flatten(mean(x, dim=[2, 3], keepdim=True), 1))
    }
}
"""

#: CHAIN without its input's shape: no inference, the layers' arguments checked
UNDECLARED = CHAIN.replace("forward(x: [N, 3, H, W])", "forward(x)")


SPECS = {
    "chain": CHAIN,
    "chain_undeclared": UNDECLARED,
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


#: Edits of CHAIN, each applied to the text the one before left: (what, by what).
CHAIN_EDITS = [
    # a block's signature: a parameter added, a default changed, one renamed
    ("block Res(c: int, scale: float = 1.0)", "block Res(c: int, scale: float = 2.0)"),
    ("k: int = 3)", "k: int = 3, extra: int = 0)"),
    ("block Pair(c: int)", "block Pair(width: int)"),
    ("block Pair(width: int)", "block Pair(c: int)"),
    # output shapes: a block's channels, a stride (the warning goes), a kernel
    ("Widen(16, 32, k=1)", "Widen(16, 64, k=1)"),
    ("Widen(16, 64, k=1)", "Widen(16, 32, k=1)"),
    ("kernel_size=3, stride=2, padding=1", "kernel_size=3, stride=1, padding=1"),
    ("kernel_size=3, stride=1, padding=1", "kernel_size=3, stride=2, padding=1"),
    ("padding=k // 2", "padding=0"),
    ("padding=0", "padding=k // 2"),
    # errors: inside a block every call reaches (one line, several calls), an
    # argument torch refuses, a block renamed away, a shape mismatch in forward
    ("conv1 = Conv2d(c, c,", "conv1 = Conv2d(c, c + 1,"),
    ("conv1 = Conv2d(c, c + 1,", "conv1 = Conv2d(c, c,"),
    ("bias=False)\n    bn =", "bais=False)\n    bn ="),
    ("bais=False)\n    bn =", "bias=False)\n    bn ="),
    ("block Down(", "block Down2("),
    ("block Down2(", "block Down("),
    ("kernel_size=k, padding", "kernel_size=k, groups=2, padding"),  # cin = 3
    ("kernel_size=k, groups=2, padding", "kernel_size=k, padding"),
    ("out = act(bn1(conv1(x)))", "out = act(x)"),  # x read after act changed it
    ("out = act(x)", "out = act(bn1(conv1(x)))"),
    ("return out * scale + x", "return out * scale + conv1"),
    ("return out * scale + conv1", "return out * scale + x"),
    # a block's forward and members changed; a warning inside a nested block
    ("b = Res(c, scale=0.5)", "b = Down(c)"),
    ("forward(x) = b(a(x))", "forward(x) = b(a(x)) + x"),
    ("forward(x) = b(a(x)) + x", "forward(x) = b(a(x))"),
    ("b = Down(c)", "b = Res(c, scale=0.5)"),
    ("head = Linear(32, 10)", "head = Linear(64, 10)"),
    ("head = Linear(64, 10)", "head = Linear(32, 10)"),
]


@pytest.mark.parametrize("original", [CHAIN, UNDECLARED], ids=["shapes", "no_shapes"])
def test_edits_where_one_model_uses_every_block(original):
    workspace = Workspace()
    text = original
    workspace.update("chain.arch", text)
    incremental = 0
    for old, new in CHAIN_EDITS:
        assert old in text, old
        text = text.replace(old, new, 1)
        update = workspace.update("chain.arch", text)
        got = [d.render() for d in update.diagnostics]
        assert got == reference("chain.arch", text), (old, new)
        incremental += not update.full
    assert incremental >= 12  # the sound edits went through the kept results


def test_an_edit_in_one_block_checks_that_block_and_the_model_again():
    workspace = Workspace()
    first = workspace.update("chain.arch", CHAIN)
    assert (first.definitions, first.full) == (5, False)
    edited = CHAIN.replace(
        "bn = BatchNorm2d(cout)", "bn = BatchNorm2d(cout, eps=0.001)"
    )
    update = workspace.update("chain.arch", edited)
    assert [d.render() for d in update.diagnostics] == reference("chain.arch", edited)
    # Widen and Chain checked again; on shapes, Widen's two calls (two argument
    # sets) and Chain's own forward run again, the other blocks' are reused
    assert (update.parsed, update.definitions, update.forwards) == (1, 2, 3)
    again = workspace.update("chain.arch", CHAIN)  # back: Widen's first text
    assert (again.definitions, again.forwards) == (2, 3)
    assert [d.render() for d in again.diagnostics] == reference("chain.arch", CHAIN)


def test_spans_point_at_the_document():
    """A piece parsed on its own still gets spans in the whole text: their source
    is the document as it was given, not a padded copy of the piece."""
    workspace = Workspace()
    workspace.update("chain.arch", CHAIN)
    edited = CHAIN.replace("stride=2, padding=1)", "stride=2, padding=1, bias=True)")
    update = workspace.update("chain.arch", edited)
    assert update.parsed == 1 and update.diagnostics
    warning = update.diagnostics[0]
    assert warning.span.source.text == edited  # Down, the piece parsed again
    lines = edited.splitlines()
    for d in update.diagnostics:
        for span in [d.span, *(note.span for note in d.notes)]:
            assert span.source.text in (CHAIN, edited)
            assert span.source.line(span.line) == lines[span.line - 1]


@pytest.mark.parametrize("share", [0.3, 0.99, 1.0, 1.5, 2.5])
def test_step_limits_count_as_in_a_full_check(share):
    """Reused builds and forwards add the steps they took: with the budget near
    what the spec needs, the edits that cross it and those that do not are told
    apart exactly as a full check tells them."""
    steps = analyze(parse_source(Source("c.arch", CHAIN))).eval_steps
    limits = Limits(max_steps=int(steps * share))
    workspace = Workspace(limits)
    text = CHAIN
    for old, new in [(None, None), *CHAIN_EDITS[:8]]:
        text = text.replace(old, new, 1) if old else text
        update = workspace.update("c.arch", text)
        full = full_update(Source("c.arch", text), limits)
        assert [d.render() for d in update.diagnostics] == [
            d.render() for d in full.diagnostics
        ], (share, old)


def line_edit(text: str, rng: random.Random) -> str:
    """A line added or removed above a definition, inside one or at the end: a
    blank line, a comment, a new statement, two lines joined, a line deleted."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if re.match(r"(block|model)\b", line)]
    where = rng.choice(["above", "inside", "below"])
    if where == "above" and starts:
        n = rng.choice(starts)
    elif where == "inside" and starts:
        n = rng.choice(starts) + 1
        n = rng.randrange(n, min(n + 8, len(lines)) + 1)
    else:
        n = len(lines)
    indent = "    " if where == "inside" else ""
    kind = rng.choice(["blank", "comment", "statement", "join", "delete"])
    if kind == "blank":
        lines.insert(n, "\n")
    elif kind == "comment":
        lines.insert(n, f"{indent}# a note\n")
    elif kind == "statement":  # at the top of a body: a build-time constant
        body = next((i for i in starts if i >= n - 1), None)
        at = body + 1 if body is not None and where != "below" else n
        lines.insert(at, f"    spare{rng.randrange(9)} = 2\n" if at != n else "\n")
    elif kind == "join" and 0 < n < len(lines):
        lines[n - 1] = lines[n - 1].rstrip("\n") + " " + lines[n].lstrip()
        del lines[n]
    elif kind == "delete" and n < len(lines):
        del lines[n]
    return "".join(lines)


@pytest.mark.parametrize("name", ["chain", "unet_x3", "resnet18"])
def test_lines_added_and_removed_report_what_a_full_check_reports(name):
    """Pressing Enter (or deleting a line) moves every definition below: what was
    kept for them is moved, never found again, and reports as a full check does,
    every span on the line of the document it names."""
    rng = random.Random(f"lines-{name}")
    original = SPECS[name]
    workspace = Workspace()
    workspace.update(f"{name}.arch", original)
    text, incremental = original, 0
    for step in range(48):
        text = original if step % 6 == 5 else line_edit(text, rng)
        update = workspace.update(f"{name}.arch", text)
        got = [d.render() for d in update.diagnostics]
        assert got == reference(f"{name}.arch", text), (step, text)
        lines = text.splitlines()
        for d in update.diagnostics:
            for span in [d.span, *(note.span for note in d.notes)]:
                if span is not None:  # the text it shows is the document's
                    assert span.source.line(span.line) == lines[span.line - 1]
        if not update.full:  # the IR moved, not parsed: where the parser puts it
            parsed = parse_source(Source(f"{name}.arch", text))
            assert places(update.program) == places(parsed), step
        incremental += not update.full
    assert incremental >= 12  # the kept results were moved, not the fallback


def places(value: object) -> list[tuple]:
    """Every node's kind and span (line, column, end) in a program, in order."""
    out, stack = [], [value]
    while stack:
        value = stack.pop()
        if isinstance(value, tuple):
            stack.extend(reversed(value))
        elif hasattr(value, "model_fields"):
            span = value.span
            where = (
                (span.line, span.column, span.end_line, span.end_column)
                if span
                else None
            )
            out.append((type(value).__name__, where))
            stack.extend(
                reversed([v for k, v in value.__dict__.items() if k != "span"])
            )
    return out


def test_enter_in_the_first_block_moves_the_rest():
    """An Enter in the first block parses that block alone; only it and the model
    (which reaches it) are checked again; of the forwards on shapes, only the
    edited block's (two calls) and the model's run again: the others, a line
    further down with their callers, are moved, with Down's warning and the call
    leading there."""
    down = CHAIN[: CHAIN.index("block Widen")]
    text = CHAIN[len(down) :].replace("block Res(", down + "block Res(")  # Widen 1st
    workspace = Workspace()
    workspace.update("chain.arch", text)
    edited = text.replace("bias=False)\n", "bias=False)\n\n", 1)
    assert edited.index("\n\n") < edited.index("block Down")
    update = workspace.update("chain.arch", edited)
    got = [d.render() for d in update.diagnostics]
    assert got == reference("chain.arch", edited) and "warning" in got[0]
    assert (update.parsed, update.definitions, update.forwards) == (1, 2, 3)
    # and back: the line deleted again (only the last text of a piece is kept)
    update = workspace.update("chain.arch", text)
    assert [d.render() for d in update.diagnostics] == reference("chain.arch", text)
    assert (update.parsed, update.definitions, update.forwards) == (1, 2, 3)
