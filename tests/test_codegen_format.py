"""Generated code is exactly what `ruff format` writes, on specs written to stress
the layout: long comprehensions, conditional splats, operator chains at every
precedence level, statements too long for one line. (The golden files of specs/
are checked the same way in test_golden.py.)"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import ROOT

import archdsl

RUFF = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
CASES = sorted((ROOT / "tests" / "format").glob("*.arch"))


def ruff_format(code: str) -> str:
    result = subprocess.run(
        [RUFF, "format", "--isolated", "--no-cache", "--stdin-filename", "m.py", "-"],
        input=code, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout


@pytest.mark.skipif(not shutil.which(RUFF), reason="ruff is not installed")
@pytest.mark.parametrize("spec", CASES, ids=[p.stem for p in CASES])
def test_generated_code_is_ruff_formatted(spec):
    code = archdsl.generate(spec)
    assert ruff_format(code) == code


@pytest.mark.parametrize("spec", CASES, ids=[p.stem for p in CASES])
def test_layout_stress_specs_build_and_run(spec):
    torch = pytest.importorskip("torch")
    model = archdsl.load(spec).M().eval()
    with torch.no_grad():
        assert model(torch.randn(2, *_input_tail(spec))).shape[0] == 2


def _input_tail(spec) -> tuple[int, ...]:
    return {"long_lines": (32, 8, 8), "operators": (8,), "statements": (4,)}[spec.stem]
