"""An in-place layer on a value autograd keeps for a backward (the output of a
sigmoid, a softmax, a ReLU) makes the first training step fail, though eval runs:
check refuses it. Which layers and ops keep their output is registry data, measured
here against torch for every entry."""

from __future__ import annotations

import pytest
from test_semantics import build, refused

from archdsl.ops import TENSOR_OPS, layers
from archdsl.ops.layers import SAVES_OUTPUT, SAVES_OUTPUT_INPLACE

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

#: Constructor arguments for the registry layers that need some.
ARGS = {"Threshold": (0.1, 0.0)}


def _backward_fails_after_inplace(make) -> bool | None:
    """Whether changing `make(x)`'s output in place breaks its backward; None
    when `make` does not give one tensor for a [2, 4, 6, 6] input."""
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    try:
        y = make(x * 1)  # not a leaf: in-place layers may run on it
    except Exception:  # a layer needing another input or rank: not this question
        return None
    if not isinstance(y, torch.Tensor) or not y.requires_grad:
        return None
    torch.relu_(y)
    try:
        y.sum().backward()
    except RuntimeError as error:
        assert "modified by an inplace operation" in str(error)
        return True
    return False


def _measured(inplace: bool) -> set[str]:
    found = set()
    for name, entry in layers().items():
        if inplace and entry.signature.param("inplace") is None:
            continue
        try:
            module = getattr(nn, name)(*ARGS.get(name, ()), **(
                {"inplace": True} if inplace else {}
            ))  # fmt: skip
        except (TypeError, AttributeError, ValueError):
            continue  # needs sizes (Linear, Conv2d): they keep their input, not output
        if _backward_fails_after_inplace(module):
            found.add(name)
    return found


def test_layers_keeping_their_output_are_what_torch_keeps():
    assert _measured(inplace=False) == SAVES_OUTPUT


def test_inplace_layers_keeping_their_output_are_what_torch_keeps():
    assert _measured(inplace=True) == SAVES_OUTPUT_INPLACE


def test_tensor_ops_keeping_their_output_are_what_torch_keeps():
    for name, op in TENSOR_OPS.items():
        func = {"softmax": lambda x: torch.softmax(x, 1)}.get(name) or getattr(
            torch, op.python.removeprefix("torch."), None
        )
        if func is None or op.helper:
            continue
        fails = _backward_fails_after_inplace(func)
        assert bool(fails) == op.saves_output, name


SIGMOID_THEN_INPLACE = """\
model M() {
    fc = Linear(4, 4)
    act = ReLU(inplace=True)
    forward(x: [N, 4]) = act(%s)
}
"""


@pytest.mark.parametrize(
    "inner", ["sigmoid(fc(x))", "flatten(tanh(fc(x)))", "softmax(fc(x), dim=1)"]
)
def test_inplace_on_a_kept_output_is_refused_and_fails_in_torch(inner):
    refused(SIGMOID_THEN_INPLACE % inner, "which autograd keeps for the backward")
    fc, act = nn.Linear(4, 4), nn.ReLU(inplace=True)
    ops = {"sigmoid": torch.sigmoid, "tanh": torch.tanh}
    first = inner.split("(")[0]
    keep = ops.get(first) or (lambda t: torch.softmax(t, dim=1))
    if first == "flatten":
        keep = lambda t: torch.flatten(torch.tanh(t))  # noqa: E731
    out = act(keep(fc(torch.randn(2, 4))))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_inplace_after_a_layer_keeping_its_input_trains():
    """Linear keeps its input, not its output: `act(fc(x))` in place is fine."""
    model = build(SIGMOID_THEN_INPLACE % "fc(x)").M()
    model(torch.randn(2, 4)).sum().backward()
    assert model.fc.weight.grad is not None


def test_a_kept_output_of_an_inplace_layer_is_refused_too():
    text = """\
model M() {
    fc = Linear(4, 4)
    first = ELU(inplace=True)
    drop = Dropout(0.5, inplace=True)
    forward(x: [N, 4]) = drop(first(fc(x)))
}
"""
    refused(text, "changes in place the output of `first`")


#: (spec, the same computation in torch) for outputs kept by autograd that come out
#: of a Sequential's last child or a block's forward (oracle finding F16).
THROUGH = {
    "a Sequential whose last layer keeps its output": (
        "model M() {\n    m5 = Sequential(Linear(4, 4), ReLU())\n"
        "    m6 = ReLU(inplace=True)\n    forward(x: [N, 4]) = m6(m5(x))\n}\n",
        lambda x: nn.ReLU(inplace=True)(nn.Sequential(nn.Linear(4, 4), nn.ReLU())(x)),
    ),
    "a block whose forward returns tanh's output": (
        "block B() {\n    fc = Linear(4, 4)\n    forward(x) = tanh(fc(x))\n}\n"
        "model M() {\n    b = B()\n    m6 = ReLU(inplace=True)\n"
        "    forward(x: [N, 4]) = m6(b(x))\n}\n",
        lambda x: nn.ReLU(inplace=True)(torch.tanh(nn.Linear(4, 4)(x))),
    ),
}


@pytest.mark.parametrize("case", sorted(THROUGH))
def test_kept_outputs_are_followed_through_containers_and_blocks(case):
    text, in_torch = THROUGH[case]
    refused(text, "which autograd keeps for the backward")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        in_torch(torch.randn(2, 4)).sum().backward()


def test_a_sequential_ending_in_a_layer_that_keeps_its_input_trains():
    text = (
        "model M() {\n    m5 = Sequential(ReLU(), Linear(4, 4))\n"
        "    m6 = ReLU(inplace=True)\n    forward(x: [N, 4]) = m6(m5(x))\n}\n"
    )
    model = build(text).M()
    model(torch.randn(2, 4)).sum().backward()
    assert model.m5[1].weight.grad is not None


def _torchvision_block_types_keeping_output() -> tuple[set[str], set[str]]:
    """(block types whose output autograd keeps, those whose output it does not),
    measured on every such block of real torchvision models."""
    models = pytest.importorskip("torchvision").models
    kinds = {"BasicBlock", "Bottleneck", "InvertedResidual"}
    keeps, free = set(), set()
    for model in (models.resnet18(), models.resnet50(), models.mobilenet_v2()):
        for block in (m for m in model.modules() if type(m).__name__ in kinds):
            channels = next(block.parameters()).shape[1]
            x = torch.randn(2, channels, 8, 8)
            kept = _backward_fails_after_inplace(lambda _, b=block, x=x: b(x))
            (keeps if kept else free).add(type(block).__name__)
    assert not keeps & free, "a block type whose blocks disagree"
    return keeps, free


def test_torchvision_blocks_keeping_their_output_are_what_torch_keeps():
    from archdsl.bases.catalog import KEEPS_OUTPUT_BLOCKS

    keeps, free = _torchvision_block_types_keeping_output()
    assert keeps == KEEPS_OUTPUT_BLOCKS
    assert "InvertedResidual" in free


def test_the_bases_inplace_relu_on_a_stage_output_is_refused_and_fails_in_torch():
    """Oracle finding F10: resnet18's own `relu` (in place) on layer3's output,
    which ends in its last block's in-place ReLU."""
    models = pytest.importorskip("torchvision").models
    refused(
        "model Changed extends torchvision.resnet18() {\n"
        "    at layer3(t) = relu(layer3(t))\n}\n",
        "changes in place the output of `layer3`",
    )
    net = models.resnet18()
    x = torch.randn(1, 128, 8, 8)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        net.relu(net.layer3(x)).sum().backward()
