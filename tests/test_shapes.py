"""Shape inference agrees with PyTorch, for every spec and random input sizes.

For each spec's model, hypothesis draws a batch size and spatial sizes; inference
runs with that concrete input shape, and the built model runs on a real tensor of
it. Where inference finds no error, the model must run and give exactly the
inferred output shapes (and the symbolic shapes, evaluated at those sizes, must
say the same); where inference reports an error, the model must fail too.
"""

from __future__ import annotations

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archdsl
from archdsl.demo import EXAMPLES
from archdsl.pipeline import compile_spec, model_info
from archdsl.shapes import dims
from archdsl.shapes.infer import infer_model

torch = pytest.importorskip("torch")

SPECS = sorted(EXAMPLES)


class Built:
    """A spec compiled once, its model built once (eval mode), per test session."""

    cache: dict[str, Built] = {}

    def __init__(self, stem: str) -> None:
        name, args, self.shapes = EXAMPLES[stem]
        self.compiled = compile_spec(ROOT / "specs" / f"{stem}.arch")
        self.info = model_info(self.compiled, name)
        self.params = {
            p.name: value for p, value in zip(self.info.node.params, args, strict=False)
        }
        torch.manual_seed(0)
        module = archdsl.pipeline.load_compiled(self.compiled)
        self.model = getattr(module, name)(*args).eval()
        self.inputs = [i.name for i in self.info.forward.inputs]

    @classmethod
    def get(cls, stem: str) -> Built:
        if stem not in cls.cache:
            cls.cache[stem] = Built(stem)
        return cls.cache[stem]

    def infer(self, shapes=None):
        given = dict(zip(self.inputs, shapes, strict=True)) if shapes else None
        return infer_model(self.compiled.context, self.info, self.params, given)

    def run(self, shapes) -> list[tuple[int, ...]] | None:
        tensors = [torch.randn(shape) for shape in shapes]
        try:
            with torch.inference_mode():
                out = self.model(*tensors)
        except (RuntimeError, ValueError):
            return None
        return [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))]


def _sizes(shapes, n: int, spatial: list[int]) -> list[tuple[int, ...]]:
    """The example shapes with batch `n` and, for images, the drawn height/width."""
    drawn = []
    for shape in shapes:
        shape = (n, *shape[1:])
        if len(shape) == 4:
            shape = (*shape[:2], *spatial)
        drawn.append(shape)
    return drawn


@pytest.mark.parametrize("stem", SPECS)
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(n=st.integers(1, 3), height=st.integers(1, 80), width=st.integers(1, 80))
def test_inferred_shapes_equal_pytorch(stem, n, height, width):
    built = Built.get(stem)
    shapes = _sizes(built.shapes, n, [height, width])
    inferred = built.infer(shapes)
    actual = built.run(shapes)
    if inferred.errors:
        assert actual is None, (
            f"inference said {shapes} fails ({inferred.errors[0].message}), "
            f"but PyTorch gave {actual}"
        )
        return
    assert actual is not None, f"PyTorch failed on {shapes}; inference found no error"
    assert [t.dims for t in inferred.outputs] == actual
    symbolic = built.infer()
    env = {"N": n, "H": height, "W": width, **built.params}
    evaluated = [tuple(dims.evaluate(d, env) for d in t.dims) for t in symbolic.outputs]
    assert evaluated == actual


@pytest.mark.parametrize("stem", SPECS)
def test_invalid_sizes_are_found_and_fail_in_pytorch(stem):
    """The smallest sizes: where the model stops working, inference says so."""
    built = Built.get(stem)
    verdicts = []
    for size in (1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33):
        shapes = _sizes(built.shapes, 1, [size, size])
        inferred, actual = built.infer(shapes), built.run(shapes)
        assert bool(inferred.errors) == (actual is None), (size, inferred.diagnostics)
        verdicts.append(bool(inferred.errors))
    if stem == "unet":  # four 2x2 poolings: 16 is the smallest input that runs
        assert verdicts == [True] * 6 + [False] * 5


@pytest.mark.parametrize("stem", SPECS)
def test_parameter_count_equals_the_built_model(stem):
    built = Built.get(stem)
    real = sum(p.numel() for p in built.model.parameters())
    assert built.infer(built.shapes).params == real


def test_summary_total_equals_the_built_model(capsys):
    from archdsl.cli import main

    built = Built.get("unet")
    real = sum(p.numel() for p in built.model.parameters())
    spec = ROOT / "specs" / "unet.arch"
    code = main(
        ["summary", str(spec), "--input-shape", "1,3,572,572", "-p", "n_classes=2"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[-1].startswith(f"parameters: {real:,} ")
    assert "output: [1, 2, 572, 572]" in out
    assert any(line.split()[:2] == ["down4", "Down"] for line in out.splitlines())


def test_symbolic_output_names_its_free_parameters():
    compiled = compile_spec(ROOT / "specs" / "unet.arch")
    result = infer_model(compiled.context, model_info(compiled, "UNet"))
    (out,) = result.outputs
    assert [str(d) for d in out.dims] == ["N", "n_classes", "H", "W"]
    assert str(result.params) == "576*n_channels + 65*n_classes + 31035840"


def _readme_sessions():
    """The `$ archdsl ...` examples in the README's section on shapes."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Shapes, checked before anything runs", 1)[1].split(
        "\n## "
    )[0]
    for block in section.split("```")[1::2]:
        lines = block.strip("\n").splitlines()
        if lines and lines[0].startswith("$ archdsl "):
            yield lines[0][2:], "\n".join(lines[1:])


@pytest.mark.parametrize(
    "command, shown", list(_readme_sessions()), ids=lambda v: v[:40]
)
def test_readme_shows_real_output(command, shown, capsys, monkeypatch):
    from archdsl.cli import main

    monkeypatch.chdir(ROOT)
    main(command.split()[1:])
    captured = capsys.readouterr()
    assert (captured.out + captured.err).strip() == shown.strip()


def test_readme_has_both_examples():
    commands = [c for c, _ in _readme_sessions()]
    assert any(c.startswith("archdsl check") for c in commands)
    assert any(c.startswith("archdsl summary") for c in commands)


CONDITIONAL = """
block B(cin: int, cout: int) {
    conv = Conv2d(cin, cout, kernel_size=3, padding=1)
    if cin != cout {
        proj = Conv2d(cin, cout, kernel_size=1)
    }
    forward(x) {
        identity = x
        if cin != cout {
            identity = proj(x)
        }
        return conv(x) + identity
    }
}
model M(c: int) {
    b = B(c, 8)
    b3 = B(8, 4)
    forward(x: [N, c, H, W]) = b3(b(x))
}
"""


def test_a_choice_on_an_unknown_parameter_is_not_guessed():
    compiled = compile_spec(CONDITIONAL)
    info = model_info(compiled, "M")
    vague = infer_model(compiled.context, info)
    assert vague.outputs[0].dims is None and vague.params is dims_unknown()
    exact = infer_model(compiled.context, info, {"c": 3}, {"x": (2, 3, 10, 10)})
    model = archdsl.pipeline.load_compiled(compiled).M(3)
    assert exact.params == sum(p.numel() for p in model.parameters())
    assert exact.outputs[0].dims == tuple(model(torch.randn(2, 3, 10, 10)).shape)


def dims_unknown():
    from archdsl.ops.shapes import UNKNOWN

    return UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        "conv = Conv2d(8, 8, kernel_size=3, padding=1, groups=g)",
        "conv = Conv2d(8, 8, kernel_size=[3, 3, 3])",
        "conv = Conv2d(8, 8, kernel_size=3, groups=0)",
    ],
)
def test_odd_arguments_never_crash_inference(body):
    """Once crashes (an exception other than ArchError out of compile_spec)."""
    spec = f"model Net(g: int) {{\n    {body}\n    forward(x: [N, 8, H, W]) = conv(x)\n}}\n"
    try:
        compiled = compile_spec(spec)
    except archdsl.ArchError:
        return
    result = infer_model(compiled.context, model_info(compiled, "Net"))
    assert result is not None


@pytest.mark.parametrize(
    "stem, channels",
    [
        ("shape_flatten_depends_on_input", 3),  # Linear: right for 31x31 and 32x32
        ("shape_skip_without_padding", 8),  # cat: right for even sizes
        ("shape_residual_stride", 16),  # +: right where the stride leaves 1 or H
    ],
)
def test_input_dependent_warning_is_exact_for_concrete_sizes(stem, channels):
    """A size that agrees for some inputs is a warning; with a concrete input the
    same check is an error exactly where PyTorch fails."""
    compiled = compile_spec(ROOT / "tests" / "errors" / f"{stem}.arch")
    assert [w.severity for w in compiled.warnings] == ["warning"]
    info = model_info(compiled, None)
    model = getattr(archdsl.pipeline.load_compiled(compiled), info.node.name)()
    runs = 0
    for height in range(1, 34):
        shape = (2, channels, height, height + height % 2)
        inferred = infer_model(compiled.context, info, {}, {"x": shape})
        try:
            with torch.inference_mode():
                model(torch.randn(shape))
            runs += 1
        except RuntimeError:
            assert inferred.errors, f"{shape}: PyTorch fails, inference found nothing"
            continue
        assert not inferred.errors, f"{shape}: {inferred.errors[0].message}"
    assert 0 < runs < 33  # the warning was right: some sizes work, some do not


def test_a_replaced_layer_followed_only_by_size_agnostic_layers_chooses_the_output():
    """SqueezeNet's head is `classifier.1`, a 1x1 Conv2d followed by ReLU and
    pooling: replacing it is how one changes the class count."""
    torchvision = pytest.importorskip("torchvision")
    spec = (
        "model SQ extends torchvision.squeezenet1_0() {\n"
        "    classifier.1 = Conv2d(512, 3, kernel_size=1)\n"
        "}\n"
    )
    compiled = compile_spec(spec)
    inferred = infer_model(
        compiled.context, model_info(compiled, "SQ"), {}, {"x": (2, 3, 97, 120)}
    )
    reference = torchvision.models.squeezenet1_0()
    reference.classifier[1] = torch.nn.Conv2d(512, 3, kernel_size=1)
    with torch.inference_mode():
        out = reference(torch.randn(2, 3, 97, 120))
    assert [t.dims for t in inferred.outputs] == [tuple(out.shape)]
    assert inferred.params == sum(p.numel() for p in reference.parameters())


def test_summary_rows_of_a_base_entered_child_by_child():
    """A tap inside `layer3` runs its children one by one: `layer3` still gets one
    row with its own parameters, and no child is mistaken for a shared module."""
    spec = (
        "model M extends torchvision.resnet18() {\n"
        "    outputs(logits = fc, mid = layer3.0)\n"
        "}\n"
    )
    compiled = compile_spec(spec)
    result = infer_model(compiled.context, model_info(compiled, "M"))
    top = [row for row in result.rows if row.depth == 0]
    assert [row.path for row in top] == [
        "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
        "avgpool", "fc",
    ]  # fmt: skip
    assert "shared" not in [row.params for row in result.rows]
    assert sum(row.params for row in top) == result.params == 11_689_512
    layer3 = next(row for row in top if row.path == "layer3")
    assert layer3.output == next(r for r in result.rows if r.path == "layer3.1").output


@pytest.mark.parametrize(
    "spec",
    [
        "model Gray extends torchvision.resnet18(num_classes=2) {\n"
        "    conv1 = Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)\n"
        "}\n",
        "model Gray() {\n"
        "    net = torchvision.resnet18(num_classes=2)\n"
        "    net.conv1 = Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)\n"
        "    forward(x: [N, 1, H, W]) = net(x)\n"
        "}\n",
    ],
    ids=["extends", "wrapper"],
)
def test_a_replaced_stem_sets_the_input_channels(spec):
    """A grayscale ResNet: the layer that receives the image decides its channels."""
    compiled = compile_spec(spec)
    assert not compiled.warnings
    info = model_info(compiled, "Gray")
    assert infer_model(compiled.context, info).outputs[0].dims[1] == 2
    exact = infer_model(compiled.context, info, {}, {"x": (2, 1, 64, 48)})
    model = archdsl.pipeline.load_compiled(compiled).Gray().eval()
    with torch.inference_mode():
        out = model(torch.randn(2, 1, 64, 48))
    assert exact.outputs[0].dims == tuple(out.shape) == (2, 2)


def test_a_reshape_that_fits_some_batch_sizes_is_exact_for_each():
    """75 channels reshaped as if there were 3 * 85: only batches of 17k fit."""
    compiled = compile_spec(ROOT / "tests" / "errors" / "shape_reshape_head.arch")
    info = model_info(compiled, None)
    model = archdsl.pipeline.load_compiled(compiled).Head().eval()
    ran = []
    for n in (1, 2, 17, 34):
        inferred = infer_model(compiled.context, info, {}, {"x": (n, 256, 13, 13)})
        try:
            with torch.inference_mode():
                out = model(torch.randn(n, 256, 13, 13))
        except RuntimeError:
            assert inferred.errors, n
            continue
        assert not inferred.errors and inferred.outputs[0].dims == tuple(out.shape)
        ran.append(n)
    assert ran == [17, 34]
