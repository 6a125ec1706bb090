"""Weights: safetensors by default, weights-only pickles on request, strict or partial
loading with a report, freezing. Tests make their own weight files (no downloads)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest
from conftest import ROOT

import archdsl
from archdsl.cli import main
from archdsl.weights import WeightsError, freeze, load_weights, save_weights

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from safetensors.torch import load_file, save_file  # noqa: E402
from torchvision import models  # noqa: E402

HEAD = ROOT / "specs" / "resnet50_head.arch"


@pytest.fixture(scope="module")
def resnet50_file(tmp_path_factory):
    """A randomly initialised torchvision resnet50, saved as safetensors."""
    torch.manual_seed(0)
    model = models.resnet50()
    path = tmp_path_factory.mktemp("weights") / "resnet50.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


@pytest.fixture(scope="module")
def head_class():
    return archdsl.load(HEAD).ResNet50Head


def test_partial_load_takes_the_backbone_and_reports_the_new_head(
    resnet50_file, head_class
):
    model = head_class()
    report = load_weights(model, resnet50_file, strict=False)
    backbone = [k for k in model.state_dict() if not k.startswith("fc.")]
    assert report.loaded == backbone
    assert report.new == [
        "fc.fc1.weight", "fc.fc1.bias", "fc.fc2.weight", "fc.fc2.bias",
    ]  # fmt: skip
    assert sorted(report.unexpected) == ["fc.bias", "fc.weight"]
    assert report.mismatched == []
    saved = load_file(str(resnet50_file))
    for key in backbone:
        assert torch.equal(model.state_dict()[key], saved[key]), key
    assert str(report).startswith(
        "loaded 318, new 4, skipped for shape 0, unexpected 2"
    )


def test_strict_load_refuses_and_leaves_the_model_untouched(resnet50_file, head_class):
    model = head_class()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(WeightsError) as info:
        load_weights(model, resnet50_file)
    assert "does not fit ResNet50Head" in str(info.value)
    assert "new: fc.fc1.weight" in str(info.value)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_shape_mismatches_are_skipped_and_reported(resnet50_file):
    spec = "model Ten extends torchvision.resnet50(num_classes=10) {\n}\n"
    model = archdsl.load(spec).Ten()
    report = load_weights(model, resnet50_file, strict=False)
    assert report.mismatched == [
        ("fc.weight", (1000, 2048), (10, 2048)),
        ("fc.bias", (1000,), (10,)),
    ]
    assert report.new == [] and report.unexpected == []
    assert "shape: fc.weight: file [1000, 2048], model [10, 2048]" in str(report)


def test_pickle_files_need_explicit_opt_in(tmp_path):
    model = models.resnet18()
    path = tmp_path / "resnet18.pt"
    torch.save(model.state_dict(), path)
    with pytest.raises(WeightsError, match="pickle file, and unpickling can run code"):
        load_weights(models.resnet18(), path)
    fresh = models.resnet18()
    assert load_weights(fresh, path, allow_pickle=True).complete
    assert torch.equal(fresh.fc.weight, model.fc.weight)


class _Payload:
    """Unpickling this would create a file: the sentinel of an executed pickle."""

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return (open, (self.sentinel, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    with open(path, "wb") as handle:
        pickle.dump({"fc.weight": _Payload(sentinel)}, handle)
    with pytest.raises(WeightsError, match="weights_only=True"):
        load_weights(models.resnet18(), path, allow_pickle=True)
    assert not sentinel.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.safetensors", b"not a safetensors file", "not a readable safetensors"),
        ("weights.npz", b"", "not a weights file archdsl reads"),
    ],
)
def test_unreadable_files_are_diagnostics(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(WeightsError, match=message):
        load_weights(models.resnet18(), path)


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match="no such weights file"):
        load_weights(models.resnet18(), tmp_path / "nope.safetensors")


def test_state_dict_round_trips_through_safetensors(tmp_path, head_class):
    model = head_class()
    save_weights(model, tmp_path / "head.safetensors")
    fresh = head_class()
    assert load_weights(fresh, tmp_path / "head.safetensors").complete
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_spec_names_its_weights_relative_to_itself(tmp_path, resnet50_file):
    (tmp_path / "backbone.safetensors").write_bytes(resnet50_file.read_bytes())
    spec = tmp_path / "tuned.arch"
    spec.write_text(
        "model Tuned extends torchvision.resnet50() {\n"
        "    fc = Linear(2048, 3)\n"
        '    weights("backbone.safetensors", strict=False)\n'
        "}\n"
    )
    model, report = archdsl.instantiate(spec)
    assert type(model).__name__ == "Tuned"
    assert report.mismatched == [
        ("fc.weight", (1000, 2048), (3, 2048)),
        ("fc.bias", (1000,), (3,)),
    ]
    assert report.new == [] and report.unexpected == []
    assert len(report.loaded) == len(model.state_dict()) - 2


def test_freeze_by_pattern(head_class):
    model = head_class()
    frozen = freeze(model, ["conv1.*", "layer1.*"])
    assert frozen and all(n.startswith(("conv1.", "layer1.")) for n in frozen)
    assert model.fc.fc1.weight.requires_grad
    with pytest.raises(WeightsError, match="matches no parameter"):
        freeze(model, ["layer9.*"])


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    """`archdsl ARGS` run from tmp_path in this process (a new process would import
    torch and torchvision again, about 3 s of CPU each), its exit code and output
    as subprocess.run gives them. `python -m archdsl` is tests/test_cli.py's."""
    monkeypatch.chdir(tmp_path)

    def run(*args):
        code = main([str(arg) for arg in args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return run


def test_cli_build_converts_weights_for_strict_loading(tmp_path, resnet50_file, cli):
    out = tmp_path / "out"
    run = cli("build", HEAD, "-o", f"{out}/", "--weights", resnet50_file, "--partial")
    assert run.returncode == 0, run.stderr
    assert "loaded 318, new 4" in run.stdout
    # The converted file loads strictly into the generated model, without archdsl.
    namespace: dict = {}
    exec(compile((out / "resnet50_head.py").read_text(), "head.py", "exec"), namespace)
    model = namespace["ResNet50Head"]()
    model.load_state_dict(
        load_file(str(out / "resnet50_head.safetensors")), strict=True
    )


def test_cli_strict_failure_writes_nothing(tmp_path, resnet50_file, cli):
    out = tmp_path / "out"
    run = cli("build", HEAD, "-o", f"{out}/", "--weights", resnet50_file)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "error: " in run.stderr and "--partial" in run.stderr
    assert not out.exists() or not any(out.iterdir())


def test_cli_refuses_pickles_without_opt_in(tmp_path, cli):
    path = tmp_path / "r18.pth"
    torch.save(models.resnet18().state_dict(), path)
    spec = tmp_path / "r.arch"
    spec.write_text("model R extends torchvision.resnet18() {\n}\n")
    run = cli("build", spec, "-o", tmp_path / "r.py", "--weights", path)
    assert run.returncode == 1 and "--allow-pickle" in run.stderr
    assert not (tmp_path / "r.py").exists()
    run = cli(
        "build", spec, "-o", tmp_path / "r.py", "--weights", path, "--allow-pickle"
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "r.safetensors").exists()


def test_instantiate_takes_a_device():
    spec = ROOT / "specs" / "mlp.arch"
    model, report = archdsl.instantiate(spec, device="cpu")
    assert report is None
    assert next(model.parameters()).device.type == "cpu"


@pytest.mark.cuda
def test_instantiate_on_cuda():
    model, _ = archdsl.instantiate(ROOT / "specs" / "resnet50_head.arch", device="cuda")
    assert next(model.parameters()).is_cuda
    assert model(torch.randn(2, 3, 64, 64, device="cuda")).shape == (2, 10)


def test_cli_weights_without_torch_is_a_diagnostic(tmp_path, monkeypatch, capsys):
    from archdsl.cli import main

    # The generated module's `import torch` fails as it would without torch.
    monkeypatch.setitem(sys.modules, "torch", None)
    code = main(
        ["build", str(HEAD), "-o", f"{tmp_path}/", "--weights", "w.safetensors"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "error: loading weights needs torch" in err and "archdsl[torch]" in err
    assert list(tmp_path.iterdir()) == []
