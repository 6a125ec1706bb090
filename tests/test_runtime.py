"""Generated models against hand-written PyTorch: keys, shapes, weights, outputs."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from conftest import ROOT, SPECS

import archdsl
from archdsl.demo import EXAMPLES as DEMO_EXAMPLES

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from reference.unet import UNet as ReferenceUNet  # noqa: E402
from torch import nn  # noqa: E402

# Each spec's main model and its inputs, as `make demo` runs them; the tests use
# smaller images (2x3x64x48) to stay fast on CPUs.
EXAMPLES = {
    stem: (name, args, [(2, s[1], 64, 48) if len(s) == 4 else s for s in shapes])
    for stem, (name, args, shapes) in DEMO_EXAMPLES.items()
}


@pytest.fixture(scope="module")
def modules():
    return {spec.stem: archdsl.load(spec) for spec in SPECS}


def assert_same_keys(generated: nn.Module, reference: nn.Module) -> None:
    got, want = generated.state_dict(), reference.state_dict()
    assert list(got) == list(want)
    assert [t.shape for t in got.values()] == [t.shape for t in want.values()]


def assert_same_outputs(generated, reference, *inputs) -> None:
    generated.load_state_dict(reference.state_dict(), strict=True)
    generated.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            generated(*inputs), reference(*inputs), rtol=0, atol=0
        )


@pytest.mark.parametrize(
    "bilinear, keys, params", [(False, 118, 31_037_698), (True, 110, 17_263_042)]
)
def test_unet_matches_the_tutorial_unet(modules, bilinear, keys, params):
    torch.manual_seed(0)
    generated = modules["unet"].UNet(3, 2, bilinear)
    reference = ReferenceUNet(3, 2, bilinear)
    assert len(generated.state_dict()) == keys
    assert sum(p.numel() for p in generated.parameters()) == params
    assert_same_keys(generated, reference)
    # odd sizes exercise the centre padding in Up
    for size in ((1, 3, 100, 75), (2, 3, 64, 64), (1, 3, 33, 47)):
        assert_same_outputs(generated, reference, torch.randn(size))


def test_resnet18_matches_torchvision(modules):
    torch.manual_seed(0)
    generated = modules["resnet18"].ResNet18()
    reference = torchvision.models.resnet18()
    assert_same_keys(generated, reference)
    assert_same_outputs(generated, reference, torch.randn(2, 3, 96, 80))


def test_resnet18_num_classes(modules):
    generated = modules["resnet18"].ResNet18(num_classes=10)
    assert_same_keys(generated, torchvision.models.resnet18(num_classes=10))


def test_mlp_matches_named_sequential(modules):
    torch.manual_seed(0)
    generated = modules["mlp"].MLP()

    class Reference(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                OrderedDict(
                    [
                        ("fc1", nn.Linear(784, 256)),
                        ("relu1", nn.ReLU()),
                        ("fc2", nn.Linear(256, 10)),
                    ]
                )
            )

        def forward(self, x):
            return self.layers(x)

    reference = Reference()
    assert list(generated.state_dict()) == [
        "layers.fc1.weight", "layers.fc1.bias", "layers.fc2.weight", "layers.fc2.bias",
    ]  # fmt: skip
    assert_same_keys(generated, reference)
    assert_same_outputs(generated, reference, torch.randn(4, 784))


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_spec_has_a_runtime_example(spec):
    assert spec.stem in EXAMPLES, f"add {spec.stem} to EXAMPLES in {__file__}"


def _build(modules, stem):
    cls_name, args, shapes = EXAMPLES[stem]
    torch.manual_seed(0)
    model = getattr(modules[stem], cls_name)(*args)
    return model, tuple(torch.randn(shape) for shape in shapes)


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_backward_reaches_every_parameter(modules, stem):
    model, xs = _build(modules, stem)
    # sum of squares: a plain sum through a softmax has zero gradient everywhere
    sum(o.float().pow(2).sum() for o in _as_tuple(model(*xs))).backward()
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    missing = [name for name, p in trained if p.grad is None]
    assert trained and not missing


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_fx_symbolic_trace_agrees_with_eager(modules, stem):
    model, xs = _build(modules, stem)
    model.eval()
    traced = torch.fx.symbolic_trace(model)
    with torch.no_grad():
        torch.testing.assert_close(traced(*xs), model(*xs))


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_state_dict_round_trips(modules, stem, tmp_path):
    from archdsl.weights import load_weights, save_weights

    model, xs = _build(modules, stem)
    path = tmp_path / "weights.safetensors"
    save_weights(model, path)
    torch.manual_seed(1)
    fresh = type(model)(*EXAMPLES[stem][1])
    report = load_weights(fresh, path, strict=True)
    assert report.complete and report.loaded == list(model.state_dict())
    model.eval()
    fresh.eval()
    with torch.no_grad():
        torch.testing.assert_close(fresh(*xs), model(*xs), rtol=0, atol=0)


def test_load_from_string_shows_generated_lines_in_tracebacks():
    import traceback

    module = archdsl.load(
        "block Twice(n: int) {\n  fc = Linear(n, n)\n  forward(x) = fc(fc(x))\n}\n"
    )
    model = module.Twice(4)
    with pytest.raises(RuntimeError) as info:
        model(torch.randn(2, 5))  # wrong width
    text = "".join(traceback.format_exception(info.value))
    assert "<archdsl:<string>>.py" in text
    assert "out = self.fc(x)" in text


@pytest.mark.cuda
@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_cuda_forward_backward_bf16_channels_last(modules, stem):
    model, xs = _build(modules, stem)
    model = model.cuda()
    xs = [x.cuda() for x in xs]
    if xs[0].dim() == 4:
        model = model.to(memory_format=torch.channels_last)
        xs[0] = xs[0].to(memory_format=torch.channels_last)
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = model(*xs)
    sum(o.float().pow(2).sum() for o in _as_tuple(out)).backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


@pytest.mark.cuda
def test_cuda_unet_matches_reference(modules):
    torch.manual_seed(0)
    generated = modules["unet"].UNet(3, 2).cuda()
    reference = ReferenceUNet(3, 2).cuda()
    generated.load_state_dict(reference.state_dict())
    generated.eval()
    reference.eval()
    x = torch.randn(1, 3, 100, 75, device="cuda")
    with torch.no_grad():
        torch.testing.assert_close(generated(x), reference(x))


def test_specs_dir_is_not_empty():
    assert (ROOT / "specs" / "unet.arch") in SPECS
