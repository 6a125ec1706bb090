"""Generated code: kept as golden files, deterministic, formatted, standalone."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SPECS, ZOO_SPECS, check_golden

import archdsl

GOLDEN = ROOT / "tests" / "golden"


def spec_id(spec):
    return str(spec.relative_to(ROOT / "specs").with_suffix(""))


@pytest.mark.parametrize("spec", SPECS + ZOO_SPECS, ids=spec_id)
def test_generated_module_matches_golden(spec, update_golden):
    golden = GOLDEN / spec.relative_to(ROOT / "specs").with_suffix(".py")
    check_golden(golden, archdsl.generate(spec), update_golden)


@pytest.mark.parametrize("spec", SPECS + ZOO_SPECS, ids=spec_id)
def test_generated_module_imports_only_torch(spec):
    tree = ast.parse(archdsl.generate(spec))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    stdlib = {"__future__", "collections", "collections.abc", "fnmatch", "functools"}
    assert imported <= stdlib | {"torch", "torchvision"}
    assert "archdsl" not in imported


@pytest.mark.parametrize("spec", SPECS + ZOO_SPECS, ids=spec_id)
def test_generated_module_has_one_class_per_block(spec):
    program = archdsl.compile_spec(spec).program
    tree = ast.parse(archdsl.generate(spec))
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    for definition in program.definitions:
        if definition.kind in ("builder", "variant"):  # variant: a factory
            assert definition.name in functions
        else:
            assert definition.name in classes


def test_output_is_identical_across_hash_seeds_and_directories(tmp_path):
    spec = SPECS[0]
    outputs = set()
    for seed, cwd in (("0", ROOT), ("12345", tmp_path)):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        code = "import sys, archdsl; sys.stdout.write(archdsl.generate(sys.argv[1]))"
        result = subprocess.run(
            [sys.executable, "-c", code, str(spec)],
            cwd=cwd, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_header_names_source_and_sha256():
    spec = ROOT / "specs" / "unet.arch"
    import hashlib

    head = archdsl.generate(spec).splitlines()[:4]
    digest = hashlib.sha256(spec.read_bytes()).hexdigest()
    assert head[1] == "# -*- coding: utf-8 -*-"
    assert head[2] == "# Source: 'unet.arch'"
    assert head[3] == f"# Source sha256: {digest}"


@pytest.mark.skipif(shutil.which("ruff") is None and not (ROOT / ".venv/bin/ruff").exists(),
                    reason="ruff is not installed")  # fmt: skip
def test_golden_files_are_ruff_formatted_and_clean():
    ruff = shutil.which("ruff") or str(ROOT / ".venv/bin/ruff")
    files = [str(p) for p in sorted(GOLDEN.rglob("*.py"))]
    assert files
    fmt = subprocess.run(
        [ruff, "format", "--check", "--no-cache", *files],
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W,I", *files],
        capture_output=True, text=True,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr
