"""Every `archdsl` command the README shows runs as documented: in ``` blocks, lines
that start with `archdsl ` (exit 0) and `$ archdsl` sessions, whose output must be
what the README prints (exit 1 when it shows an error). The sessions in the section
on shapes are compared by tests/test_shapes.py and are not repeated here."""

from __future__ import annotations

import glob
import shlex

import pytest
from conftest import ROOT

from archdsl.cli import main

README = (ROOT / "README.md").read_text()
#: tests/test_shapes.py::test_readme_shows_real_output compares this section.
SHAPES_SECTION = "## Shapes, checked before anything runs"


def _sections() -> list[str]:
    head, *rest = README.split("\n## ")
    return [head, *(f"## {part}" for part in rest)]


def readme_commands() -> list[tuple[str, str | None]]:
    """(command, the output shown or None) for each command outside the shapes
    section."""
    found = []
    for section in _sections():
        if section.startswith(SHAPES_SECTION):
            continue
        for block in section.split("```")[1::2]:
            found += _commands_in(block.splitlines())
    return found


def _commands_in(lines: list[str]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for line in lines:
        if line.startswith("$ archdsl "):
            found.append((line[2:], ""))
        elif line.startswith("archdsl "):
            found.append((line.split("  #")[0].strip(), None))
        elif found and found[-1][1] is not None:  # output of the last session
            command, shown = found[-1]
            found[-1] = (command, f"{shown}{line}\n")
    return found


COMMANDS = readme_commands()


def test_the_readme_shows_commands_of_every_kind():
    commands = [c for c, _ in COMMANDS]
    for verb in ("check", "summary", "build", "ir", "export"):
        assert any(c.startswith(f"archdsl {verb} ") for c in commands), verb
    assert "archdsl check examples/broken.arch" in commands
    assert SHAPES_SECTION in README


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch directory that sees the repository's specs, so that the commands'
    outputs (`-o unet.py`, `--onnx`) land in it."""
    for name in ("specs", "examples", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _resnet50_weights(folder) -> None:
    """The Weights section's `resnet50.safetensors`: torchvision's model, randomly
    initialised (nothing is downloaded)."""
    torchvision = pytest.importorskip("torchvision")
    from safetensors.torch import save_file

    state = torchvision.models.resnet50().state_dict()
    save_file(
        {k: v.contiguous() for k, v in state.items()}, folder / "resnet50.safetensors"
    )


@pytest.mark.parametrize("command, shown", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command(command, shown, workdir, capsys):
    argv = shlex.split(command)[1:]
    if "--weights" in argv or "--onnx" in argv:
        pytest.importorskip("torch")
    if "--onnx" in argv:
        pytest.importorskip("onnxscript")
    if "resnet50.safetensors" in argv:
        _resnet50_weights(workdir)
    argv = [match for arg in argv for match in (sorted(glob.glob(arg)) or [arg])]
    code = main(argv)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    expected_code = 1 if shown and "error:" in shown else 0
    assert code == expected_code, out.err
    if shown:
        assert (out.out + out.err).strip() == shown.strip()
