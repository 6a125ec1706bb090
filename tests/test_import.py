"""`archdsl import` round trips (issue 14), held to the PyTorch the spec came from.

For each target: the import is complete (no diagnostic; archdsl checks the spec and
`archdsl fmt` leaves it unchanged); the spec's build has the original's state_dict
keys in the original's order and takes its state with a strict load; eval outputs
are `torch.equal`; one training step (same seed) gives equal outputs and gradients.
Each target is imported once and built once per side (functools.cache), on small
inputs, to keep the suite fast. What the language cannot say must be refused with
a diagnostic naming the class and the operation, never approximated.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pytest

import archdsl

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
importer = pytest.importorskip("archdsl.importer")
from archdsl.fmt import format_text  # noqa: E402
from archdsl.importer.target import build_target  # noqa: E402

REFERENCE = "tests/reference"


@dataclass(frozen=True)
class Case:
    target: str
    inputs: tuple[tuple[int, ...], ...] = ((2, 3, 32, 32),)  # batch 2: BatchNorm trains
    blocks: tuple[str, ...] = ()  # blocks the spec must define, each once

    def __str__(self) -> str:
        return self.target.rpartition("/")[2]


CASES = [
    Case("torchvision.resnet50()", blocks=("Bottleneck",)),
    Case("torchvision.vgg16_bn(num_classes=10)"),
    Case("torchvision.alexnet(num_classes=10)", ((2, 3, 64, 64),)),
    Case(
        "torchvision.mobilenet_v2()",
        blocks=("InvertedResidual", "Conv2dNormActivation"),
    ),
    Case("torchvision.squeezenet1_1()", blocks=("Fire",)),
    Case("torchvision.resnext50_32x4d()"),
    Case("torchvision.mobilenet_v3_small()"),
    Case("torchvision.shufflenet_v2_x1_0()"),
    Case("torchvision.mnasnet1_0()"),
    Case("torchvision.efficientnet_b0()", blocks=("MBConv",)),
    Case("torchvision.densenet121()", blocks=("_DenseLayer", "_DenseBlock")),
    Case("torchvision.convnext_tiny()", blocks=("CNBlock", "LayerNorm2d")),
    Case(
        "torchvision.googlenet(aux_logits=False, init_weights=False)", ((2, 3, 64, 64),)
    ),
    # auxiliary heads in training mode only: `if training { ...; return x, x2, x1 }`
    Case("torchvision.googlenet(init_weights=False)", ((2, 3, 64, 64),)),
    # F.max_pool2d / F.avg_pool2d; its auxiliary head needs 299 x 299 inputs
    Case("torchvision.inception_v3(init_weights=False)", ((2, 3, 299, 299),)),
    Case(
        f"{REFERENCE}/unet.py:UNet(3, 2)",
        ((1, 3, 32, 32),),
        blocks=("DoubleConv", "Down", "Up", "OutConv"),
    ),
    Case(f"{REFERENCE}/resnet_tutorials.py:resnet50_head()"),
    Case(
        f"{REFERENCE}/resnet_tutorials.py:ResNet50ExtraInput()", ((2, 3, 32, 32), (2,))
    ),
    Case(f"{REFERENCE}/resnet_tutorials.py:ResNet50ExtraOutput()"),
    Case(f"{REFERENCE}/functional_style.py:TwoHeads()", blocks=("Stage",)),
    Case(f"{REFERENCE}/optional_members.py:Net()", ((2, 3, 16, 16),), ("Unit",)),
    Case("timm:create_model('resnet18', num_classes=10)", blocks=("BasicBlock",)),
]


#: A case's two tests run on one xdist worker, which imports its target once.
CASE_PARAMS = [
    pytest.param(case, id=str(case), marks=pytest.mark.xdist_group(f"import-{n}"))
    for n, case in enumerate(CASES)
]


@functools.cache
def imported(target: str):
    if target.startswith("timm:"):
        pytest.importorskip("timm")
    return importer.import_model(target)


def models(target: str):
    """(the spec's build, the original), with the original's state: both built on
    the meta device and given the same deterministic values, which skips
    torchvision's initialisation (seconds for VGG's 138M parameters). Not kept."""
    text = imported(target).text
    model = re.findall(r"^model (\w+)", text, flags=re.M)[-1]
    with torch.device("meta"):
        ours = getattr(archdsl.load(text=text), model)()
    theirs = build_target(target).model  # torchvision's on meta, user code on CPU
    ours, theirs = ours.to_empty(device="cpu"), theirs.to_empty(device="cpu")
    _fill(theirs)
    return ours, theirs


def _fill(model) -> None:
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                tensor.zero_()  # num_batches_tracked
            elif name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)


def _outputs(result) -> tuple:
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_import_is_complete_checked_and_formatted(case):
    result = imported(case.target)
    assert result.diagnostics == []
    assert archdsl.check(text=result.text) is not None  # raises on any error
    assert format_text(result.text) == result.text
    for block in case.blocks:
        definitions = re.findall(
            rf"^(?:block|builder) {block}\b(\(.*)", result.text, re.M
        )
        assert len(definitions) == 1, f"{block}: {len(definitions)} definitions"
        assert definitions[0] != "() {", f"{block} has no parameters"


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_round_trip_keys_outputs_and_gradients(case):
    ours, theirs = models(case.target)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict(), strict=True)
    generator = torch.Generator().manual_seed(1)
    inputs = [torch.randn(shape, generator=generator) for shape in case.inputs]
    with torch.no_grad():
        for a, b in zip(
            _outputs(ours.eval()(*inputs)),
            _outputs(theirs.eval()(*inputs)),
            strict=True,
        ):
            assert torch.equal(a, b)
    results = []
    for model in (ours, theirs):
        model.train()
        torch.manual_seed(2)  # dropout draws the same numbers
        outputs = _outputs(model(*inputs))
        results.append(outputs)
        sum(
            (o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in outputs
        ).backward()
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b)
    for (name, p), (_, q) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        if p.grad is None or q.grad is None:  # a value the forward throws away
            assert p.grad is None and q.grad is None, name
        else:
            assert torch.equal(p.grad, q.grad), name


def test_optional_members_are_one_block_with_a_condition():
    """Bottleneck with and without `downsample` is one block, as torchvision's
    class is: the condition is read from the arguments that differ; where none
    tells (a string chooses), a boolean parameter does. The round trips above
    prove both compute what each instance computed."""
    for target in ("torchvision.resnet50()", "torchvision.resnext50_32x4d()"):
        text = imported(target).text
        assert re.findall(r"^block (\w+)", text, re.M) == ["Bottleneck"]
        assert text.count("if stride != 1 or inplanes != planes * 4 {") == 2
    text = imported(f"{REFERENCE}/optional_members.py:Net()").text
    assert "block Unit(channels: int, use_project: bool = False)" in text
    assert text.count("if use_project {") == 2


def test_residual_and_plain_instances_are_one_block():
    """MobileNetV2's InvertedResidual adds its input back only for some instances;
    fx traces each instance's branch. The spec has one block with the condition
    read from the arguments (the round trip proves both branches)."""
    text = imported("torchvision.mobilenet_v2()").text
    assert "block InvertedResidual(inp: int, oup: int, stride: int) {" in text
    assert (
        "        if inp != oup {\n"
        "            return conv(x)\n"
        "        }\n"
        "        return x + conv(x)\n"
    ) in text


def test_stages_of_one_block_are_one_builder():
    """ResNet's layer1 ... layer4 as torchvision's _make_layer writes them: one
    builder, a call per stage (the round trips prove keys and outputs)."""
    text = imported("torchvision.resnet50()").text
    assert "builder make_layer(inplanes: int, planes: int, blocks: int, stride" in text
    assert "*[Bottleneck(planes * 4, planes) for _ in range(blocks - 1)]" in text
    assert "layer3 = make_layer(512, 256, 6, stride=2)" in text


def test_densenet_list_loop_is_recovered():
    """torch.fx unrolls _DenseBlock's loop that grows a list over its children;
    the spec has the loop back, _DenseLayer takes the joined tensor (as
    specs/zoo/densenet.arch writes it), and the layers a dense block adds are one
    build-time loop, so the four dense blocks are one block. The round trip
    proves it computes the same."""
    text = imported("torchvision.densenet121()").text
    loop = (
        "        features = [init_features]\n"
        "        for layer in children() {\n"
        "            features.append(layer(cat(features, 1)))\n"
        "        }\n"
        "        return cat(features, 1)\n"
    )
    assert text.count(loop) == 1  # one block for the four dense blocks
    assert (
        'add_module(f"denselayer{i + 1}", _DenseLayer(num_input_features + i * 32))'
        in text
    )
    assert "denseblock3=_DenseBlock(24, 256)," in text
    assert "cat(input_1" not in text


MODES = """
import torch.nn.functional as F
from torch import nn


class Flags(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(F.dropout(x, 0.5, self.training))


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)
        self.flags = Flags()

    def forward(self, x):
        x = self.flags(self.fc(x))
        if self.training:
            return self.head(x), x
        return self.head(x)
"""


def test_forwards_that_read_training_are_written_for_both_modes(tmp_path):
    """fx traces one mode; each module is traced in both. A flag that is True in
    training and False in eval is `training`; a forward whose eval graph is the
    training graph less some steps gets those steps, and the training result,
    under `if training`."""
    source = tmp_path / "modes.py"
    source.write_text(MODES, encoding="utf-8")
    case = Case(f"{source}:Heads()", ((4, 8),))
    result = imported(case.target)
    assert result.diagnostics == []
    assert "forward(x) = fc(dropout(x, training=training))" in result.text
    assert "        if training {\n            return x1, x\n        }\n" in result.text
    test_round_trip_keys_outputs_and_gradients(case)  # both modes, against torch


def test_vgg_config_table_is_recovered():
    """make_layers(cfg) wrote 44 layers; the spec has the table and the loop back
    (the round trip proves the same layers, keys and outputs)."""
    text = imported("torchvision.vgg16_bn(num_classes=10)").text
    assert (
        "for width, count in zip([64, 128, 256, 512, 512], [2, 2, 3, 3, 3]) {" in text
    )
    assert "features.append(BatchNorm2d(width))" in text


def test_unet_blocks_take_the_parameters_that_differ():
    text = imported(f"{REFERENCE}/unet.py:UNet(3, 2)").text
    assert "block DoubleConv(in_channels: int, out_channels: int)" in text
    assert "block Up(in_channels: int, out_channels: int)" in text
    assert "pad_like(up(x1), x2)" in text  # F.pad of the size difference, recognised
    for call in ("Down(64, 128)", "Down(512, 1024)", "Up(1024, 512)", "Up(128, 64)"):
        assert call in text


def test_torchvision_models_inside_user_code_are_written_as_such():
    """Recognised by building the catalog's builders on meta and comparing trees."""
    head = imported(f"{REFERENCE}/resnet_tutorials.py:resnet50_head()").text
    assert "model Resnet50Head extends torchvision.resnet50() {" in head
    assert "fc1=Linear(2048, 128)" in head and "block" not in head
    for wrapper in ("ResNet50ExtraInput", "ResNet50ExtraOutput"):
        text = imported(f"{REFERENCE}/resnet_tutorials.py:{wrapper}()").text
        assert "net = torchvision.resnet50()" in text and "block" not in text


# ---- what the language cannot say: refused, naming the class and the operation ------

DATA_DEPENDENT = """
import torch
from torch import nn

class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x

class Roll(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.roll(self.fc(x), 1, 0)

class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = Gate()
        self.roll = Roll()

    def forward(self, x):
        return self.roll(self.gate(x))
"""


def test_untraceable_and_unknown_operations_are_refused_by_name(tmp_path):
    source = tmp_path / "untraceable.py"
    source.write_text(DATA_DEPENDENT, encoding="utf-8")
    result = importer.import_model(f"{source}:Outer()")
    messages = [d.message for d in result.diagnostics]
    assert any("`Gate`" in m and "cannot be traced" in m for m in messages), messages
    assert any("`Roll`" in m and "`torch.roll`" in m for m in messages), messages
    assert "block Gate" in result.text and "fc = Linear(4, 4)" in result.text


TIED = """
from torch import nn

class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = self.a

    def forward(self, x):
        return self.b(self.a(x))
"""


def test_a_module_under_two_names_is_refused(tmp_path):
    """A spec builds every member anew: the tied weights would come apart."""
    source = tmp_path / "tied.py"
    source.write_text(TIED, encoding="utf-8")
    result = importer.import_model(f"{source}:Tied()")
    assert [d.message for d in result.diagnostics] == [
        "`Tied`: one module is used under several names: `a` and `b`"
    ]


def test_module_list_calls_are_refused_by_name():
    result = importer.import_model(f"{REFERENCE}/functional_style.py:StagesInAList()")
    messages = [d.message for d in result.diagnostics]
    assert any("`StagesInAList`" in m and "self.stages.0" in m for m in messages)


def test_command_line_writes_the_spec_and_exits_1_on_refusals(tmp_path, capsys):
    from archdsl.cli import main

    out = tmp_path / "unet.arch"
    assert main(["import", f"{REFERENCE}/unet.py:UNet(3, 2)", "-o", str(out)]) == 0
    assert (
        out.read_text(encoding="utf-8")
        == imported(f"{REFERENCE}/unet.py:UNet(3, 2)").text
    )
    assert main(["import", f"{REFERENCE}/unet.py:UNet(3, 2)", "-o", str(out)]) == 1
    assert "--force" in capsys.readouterr().err  # an existing file is kept
    assert main(["import", f"{REFERENCE}/functional_style.py:StagesInAList()"]) == 1
    refused = capsys.readouterr()
    assert "model StagesInAList" in refused.out  # what could be written, is
    assert "StagesInAList" in refused.err and "self.stages.0" in refused.err
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "RUNS that" in capsys.readouterr().out.replace("\n", " ")
