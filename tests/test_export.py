"""`archdsl export --onnx`: the spec's input and output names, and outputs equal to
PyTorch's when onnxruntime runs the file."""

from __future__ import annotations

import pytest
from conftest import ROOT

import archdsl
from archdsl.cli import main

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")
ort = pytest.importorskip("onnxruntime")

CASES = {
    "mlp": ("MLP", {"x": (1, 784)}, ["output"]),
    "resnet50_extra_output": ("ResNet50ExtraOutput", {"x": (1, 3, 64, 64)}, ["x10", "x1000"]),
    "resnet50_taps": ("ResNet50Taps", {"x": (1, 3, 64, 64)}, ["logits", "feat2", "feat3"]),
    "resnet18_metadata": ("ResNet18Metadata", {"x": (1, 3, 64, 64), "meta": (1, 8)},
                          ["output"]),
}  # fmt: skip


@pytest.mark.parametrize("stem", sorted(CASES))
def test_onnx_export_keeps_names_and_outputs(stem, tmp_path, capsys):
    name, shapes, outputs = CASES[stem]
    out = tmp_path / f"{stem}.onnx"
    flags = [f"--input-shape={k}={','.join(map(str, v))}" for k, v in shapes.items()]
    torch.manual_seed(0)  # the exported model and the reference get the same weights
    assert (
        main(
            ["export", str(ROOT / "specs" / f"{stem}.arch"), "--onnx", str(out), *flags]
        )
        == 0
    )
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # one file, no leftovers
    session = ort.InferenceSession(str(out))
    assert [i.name for i in session.get_inputs()] == list(shapes)
    assert [o.name for o in session.get_outputs()] == outputs
    torch.manual_seed(0)
    model = getattr(archdsl.load(ROOT / "specs" / f"{stem}.arch"), name)().eval()
    inputs = {k: torch.randn(v) for k, v in shapes.items()}
    with torch.no_grad():
        want = model(*inputs.values())
    want = want if isinstance(want, tuple) else (want,)
    got = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    for a, b in zip(got, want, strict=True):
        # the exporter folds BatchNorm into convolutions: float rounding differs
        torch.testing.assert_close(torch.from_numpy(a), b, rtol=1e-3, atol=1e-4)
