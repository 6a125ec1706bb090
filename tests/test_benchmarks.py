"""The benchmark runs (on tiny sizes) and reports every section. No timing is
asserted: these machines are noisy; docs/benchmarks.md holds measured numbers."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import ROOT

pytest.importorskip("torchvision")


def _benchmarks():
    """benchmarks/run.py as a module, run in this process: a process of its own
    would import torch and torchvision again (about 3 s of CPU). Its sections that
    need fresh processes (cold checks, scaling) start them as they always do."""
    spec = importlib.util.spec_from_file_location(
        "benchmarks_run", ROOT / "benchmarks" / "run.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_quick_run_writes_every_section(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert _benchmarks().main(["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert results["quick"] is True
    models = [row["model"] for row in results["runtime"]]
    assert "unet" in models and "resnet50_head" in models
    for row in results["runtime"]:
        for mode in ("eval forward", "train step"):
            assert set(row[mode]) == {"generated", "hand-written", "ratio"}
            assert row[mode]["ratio"] > 0
    assert {row["spec"] for row in results["front_end"]} >= {"unet.arch", "mlp.arch"}
    assert [row["layers"] for row in results["scaling"]] == [10, 100]
    for row in results["scaling"]:  # each phase of the compile, timed apart
        assert min(row["parse CPU"], row["check CPU"], row["codegen CPU"]) > 0
    assert results["cold_check"] and results["instantiation"]
    incremental = [
        (row["spec"], row["edit"], row["edits"]) for row in results["incremental"]
    ]
    assert incremental == [
        ("unet-x8", "comment", 2),
        ("every-block", "comment", 2),
        ("every-block", "enter", 2),
    ]
    assert "generated vs hand-written" in printed
