"""In-place layers: a value read after a layer changed it in place is refused,
and each refusal is shown to differ in torch; what is accepted matches torch."""

from __future__ import annotations

import pytest
from conftest import SPECS
from test_semantics import build, refused

from archdsl.pipeline import compile_spec
from archdsl.source import Source

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

# ---- in-place layers -------------------------------------------------------------------

#: Every layer of the registry with an `inplace` argument: (constructor arguments
#: before `inplace`, the input shape it takes).
INPLACE_LAYERS = {
    "ReLU": ("", (2, 4, 6, 6)),
    "ReLU6": ("", (2, 4, 6, 6)),
    "LeakyReLU": ("0.1, ", (2, 4, 6, 6)),
    "ELU": ("", (2, 4, 6, 6)),
    "CELU": ("", (2, 4, 6, 6)),
    "SELU": ("", (2, 4, 6, 6)),
    "Hardtanh": ("", (2, 4, 6, 6)),
    "Hardswish": ("", (2, 4, 6, 6)),
    "Hardsigmoid": ("", (2, 4, 6, 6)),
    "SiLU": ("", (2, 4, 6, 6)),
    "Mish": ("", (2, 4, 6, 6)),
    "Threshold": ("0.1, 20.0, ", (2, 4, 6, 6)),
    "Dropout": ("0.5, ", (2, 4, 6, 6)),
    "Dropout1d": ("0.5, ", (2, 4, 6)),
    "Dropout2d": ("0.5, ", (2, 4, 6, 6)),
    "Dropout3d": ("0.5, ", (2, 4, 3, 6, 6)),
    "AlphaDropout": ("0.5, ", (2, 4, 6, 6)),
}


def _read_after_spec(name: str, inplace: bool) -> str:
    args, shape = INPLACE_LAYERS[name]
    dims = ", ".join(["N", *(str(d) for d in shape[1:])])
    return (
        "model M() {\n"
        f"    act = {name}({args}inplace={inplace})\n"
        f"    forward(x: [{dims}]) {{\n"
        "        y = act(x)\n"
        "        return x + y\n"
        "    }\n"
        "}\n"
    )


def test_every_inplace_layer_of_the_registry_is_covered() -> None:
    from archdsl.ops import layers

    with_inplace = {n for n, lay in layers().items() if lay.signature.param("inplace")}
    assert with_inplace == set(INPLACE_LAYERS)


@pytest.mark.parametrize("name", sorted(INPLACE_LAYERS))
def test_read_after_inplace_layer_differs_in_torch_and_is_refused(name: str) -> None:
    args, shape = INPLACE_LAYERS[name]
    x = torch.randn(*shape) * 4

    def x_plus_act(inplace: bool) -> torch.Tensor:
        torch.manual_seed(0)  # the same dropout mask both times
        layer = eval(f"nn.{name}({args}inplace={inplace})")  # noqa: S307 - our table
        inp = x.clone()
        return inp + layer(inp)

    # What the spec says (x + act(x)) is not what PyTorch computes in place.
    # AlphaDropout is documented as in place but this torch's CPU kernel copies:
    # it is refused all the same (another build or device may honour the flag).
    if name != "AlphaDropout":
        assert not torch.allclose(x_plus_act(True), x_plus_act(False))
    refused(_read_after_spec(name, True), "`x` is read after `act`")
    # Without inplace, the same spec builds and computes x + act(x).
    model = build(_read_after_spec(name, False)).M()
    torch.manual_seed(0)
    got = model(x)
    assert torch.allclose(got, x_plus_act(False))


INPLACE_REFUSED = {
    "same statement": (
        "    act = LeakyReLU(0.1, inplace=True)\n",
        "        return h + act(h)\n",
        "`h` is read after `act`",
    ),
    "through a Sequential": (
        "    head = Sequential(ReLU(inplace=True), Linear(4, 4))\n",
        "        return head(h) + h\n",
        "`h` is read after `head` (Sequential, whose first layer is ReLU",
    ),
    "through a spread Sequential": (
        "    head = Sequential(*[ReLU(inplace=True) for _ in range(2)])\n",
        "        return head(h) + h\n",
        "`h` is read after `head` (Sequential, whose first layer is ReLU",
    ),
    "through a view": (
        "    act = ReLU(inplace=True)\n",
        "        y = act(reshape(h, [-1, 2, 2]))\n        return flatten(y, 1) + h\n",
        "`h` is read after `act`",
    ),
    "through an alias": (
        "    act = ReLU(inplace=True)\n",
        "        g = h\n        y = act(g)\n        return h + y\n",
        "`h` is read after `act`",
    ),
    "through a block": (
        "    pre = PreAct(4)\n",
        "        return pre(h) + h\n",
        "`h` is read after `pre` (PreAct, whose forward passes its input to `act`",
    ),
    "inplace given by a parameter": (
        "    act = ReLU(inplace=not flag)\n",  # False by default, True for M(False)
        "        y = act(h)\n        return h + y\n",
        "`h` is read after `act`",
    ),
    "in a comprehension": (
        "    act = LeakyReLU(0.1, inplace=True)\n",
        "        return cat([act(h) for _ in range(2)], dim=1)\n",
        "`h` is read after `act`",
    ),
    "in one branch": (
        "    act = ReLU(inplace=True)\n",
        "        if flag { y = act(h) } else { y = fc(h) }\n        return y + h\n",
        "`h` is read after `act`",
    ),
}

_PRE_ACT = (
    "block PreAct(c: int) {\n"
    "    act = ReLU(inplace=True)\n"
    "    fc = Linear(c, c)\n"
    "    forward(x) = fc(act(x))\n"
    "}\n"
)


@pytest.mark.parametrize("case", sorted(INPLACE_REFUSED))
def test_reads_after_an_inplace_change_are_refused(case: str) -> None:
    member, body, fragment = INPLACE_REFUSED[case]
    refused(
        _PRE_ACT + "model M(flag: bool = True) {\n"
        "    fc = Linear(4, 4)\n"
        f"{member}"
        "    forward(x: [N, 4]) {\n"
        "        h = fc(x)\n"
        f"{body}"
        "    }\n"
        "}\n",
        fragment,
    )


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_example_spec_stays_accepted(spec) -> None:
    """U-Net's DoubleConv (conv first), ResNet's `relu(out + identity)`, the
    torchvision-based specs' taps: in-place layers there change only new values."""
    compile_spec(Source.from_file(spec))


def test_inplace_on_one_side_of_a_conditional_expression_is_accepted() -> None:
    module = build(
        "model M(c: bool = True) {\n"
        "    fc = Linear(4, 4)\n"
        "    act = LeakyReLU(0.1, inplace=True)\n"
        "    forward(x: [N, 4]) {\n"
        "        h = fc(x)\n"
        "        return act(h) if c else h\n"
        "    }\n"
        "}\n"
    )
    x = torch.randn(3, 4)
    for c in (True, False):
        model = module.M(c=c)
        h = model.fc(x)
        expected = nn.functional.leaky_relu(h, 0.1) if c else h
        torch.testing.assert_close(model(x), expected)


def test_block_changing_its_input_changes_the_callers_tensor_in_torch() -> None:
    pre = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(4, 4))
    h = torch.randn(3, 4)
    before = h.clone()
    pre(h)
    assert not torch.equal(h, before)  # so `pre(h) + h` is not what it says


def test_inplace_after_a_new_value_is_accepted_and_matches_torchvision() -> None:
    """ResNet's BasicBlock: `relu(out + identity)` changes only a new tensor."""
    from torchvision.models.resnet import BasicBlock

    module = build(
        "block Basic(c: int) {\n"
        "    conv1 = Conv2d(c, c, 3, padding=1, bias=False)\n"
        "    bn1 = BatchNorm2d(c)\n"
        "    relu = ReLU(inplace=True)\n"
        "    conv2 = Conv2d(c, c, 3, padding=1, bias=False)\n"
        "    bn2 = BatchNorm2d(c)\n"
        "    forward(x) {\n"
        "        identity = x\n"
        "        out = relu(bn1(conv1(x)))\n"
        "        out = bn2(conv2(out))\n"
        "        return relu(out + identity)\n"
        "    }\n"
        "}\n"
        "model M() {\n"
        "    block = Basic(8)\n"
        "    forward(x: [N, 8, H, W]) = block(x)\n"
        "}\n"
    )
    model, reference = module.M().eval(), BasicBlock(8, 8).eval()
    model.block.load_state_dict(reference.state_dict())
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(model(x), reference(x.clone()))


def test_torchvision_tap_before_its_inplace_relu_is_refused() -> None:
    torchvision = pytest.importorskip("torchvision")
    net = torchvision.models.resnet18().eval()
    seen = {}
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        expected = net.bn1(net.conv1(x))
        net.bn1.register_forward_hook(lambda m, i, out: seen.setdefault("bn1", out))
        net(x)
    # the tensor bn1 returned was changed by the in-place relu after it
    assert not torch.equal(seen["bn1"], expected)
    refused(
        "model M extends torchvision.resnet18() {\n"
        "    outputs(stem = bn1, logits = fc)\n"
        "}\n",
        "`stem` is read after `relu` (torchvision's ReLU(inplace=True))",
    )


# Each op the in-place check follows as a view shares its input's storage in torch.
VIEW_CALLS = {
    "flatten": lambda x: torch.flatten(x, 1),
    "unsqueeze": lambda x: torch.unsqueeze(x, 1),
    "squeeze": lambda x: torch.squeeze(x[:, :1], 1),
    "reshape": lambda x: torch.reshape(x, (2, -1)),
    "permute": lambda x: torch.permute(x, (0, 2, 3, 1)),
    "transpose": lambda x: torch.transpose(x, 1, 2),
    "view": lambda x: x.view(2, -1),
    "expand": lambda x: x[:, :1].expand(2, 3, 4, 5),
    "contiguous": lambda x: x.contiguous(),
    # a piece of these shares its whole's storage (the oracle's finding F20)
    "chunk": lambda x: torch.chunk(x, 2, 1)[1],
    "split": lambda x: torch.split(x, [1, 2], 1)[1],
    "unbind": lambda x: torch.unbind(x, 1)[1],
}


@pytest.mark.parametrize("name", sorted(VIEW_CALLS))
def test_view_ops_share_their_input_storage(name):
    from archdsl.check.inplace import VIEW_OPS

    assert set(VIEW_CALLS) == VIEW_OPS
    x = torch.randn(2, 3, 4, 5)
    out = VIEW_CALLS[name](x)
    assert out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
