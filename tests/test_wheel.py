"""`pip install .` (not editable) into a fresh venv: the grammar ships in the wheel
and `archdsl build` works from another directory."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_wheel_installs_and_builds_from_elsewhere(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = dist.glob("archdsl-*.whl")
    assert "archdsl/grammars/arch.lark" in zipfile.ZipFile(wheel).namelist()

    env_dir = tmp_path / "venv"
    # A bare venv, filled by this pip (`pip --python`): the venv's own copy of pip
    # (ensurepip) would cost more than the install itself, and installs the same.
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", str(wheel)],
        check=True,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = ROOT / "specs" / "unet.arch"
    result = subprocess.run(
        [env_dir / "bin" / "archdsl", "build", str(spec), "-o", "unet.py"],
        cwd=elsewhere, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = (ROOT / "tests" / "golden" / "unet.py").read_text()
    assert (elsewhere / "unet.py").read_text() == expected
    # the installed copy really is the one running: no source tree on its path
    where = subprocess.run(
        [python, "-c", "import archdsl; print(archdsl.__file__)"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert str(env_dir) in where
