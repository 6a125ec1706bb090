"""The benchmark runs (on tiny sizes) and reports every section. No timing is
asserted: these machines are noisy; docs/benchmarks.md holds measured numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

pytest.importorskip("torchvision")


def test_benchmark_quick_run_writes_every_section(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run.py"),
            "--quick",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
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
    assert "generated vs hand-written" in run.stdout
