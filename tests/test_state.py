"""Parameters and buffers as members, held to torchvision's ConvNeXt block (its
layer scale is an `nn.Parameter`) and to torch's own registration."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
convnext = pytest.importorskip("torchvision.models.convnext")

import archdsl  # noqa: E402

CNBLOCK = """
block CNBlock(dim: int, scale: float, stochastic_depth_prob: float) {
    block = Sequential(
        Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
        Permute([0, 2, 3, 1]),
        LayerNorm(dim, eps=1e-6),
        Linear(dim, 4 * dim, bias=True),
        GELU(),
        Linear(4 * dim, dim, bias=True),
        Permute([0, 3, 1, 2]),
    )
    layer_scale = Parameter(torch.ones(dim, 1, 1) * scale)
    stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
    forward(x: [N, dim, H, W]) {
        result = layer_scale * block(x)
        result = stochastic_depth(result)
        result += x
        return result
    }
}
"""


@pytest.fixture(scope="module")
def generated():
    return archdsl.load(text=CNBLOCK)


def test_layer_scale_equals_torchvision_s(generated):
    """Same keys in the same order, same values under one seed, and the same
    outputs and gradients in training mode (stochastic depth draws under one seed)."""
    torch.manual_seed(0)
    ours = generated.CNBlock(8, 0.5, 0.25)
    torch.manual_seed(0)
    theirs = convnext.CNBlock(8, 0.5, 0.25)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.state_dict()["layer_scale"].shape == (8, 1, 1)
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    x = torch.randn(4, 8, 5, 5)
    outputs = []
    for model in (ours, theirs):
        model.train()
        torch.manual_seed(1)
        out = model(x)
        out.sum().backward()
        outputs.append((out, model.layer_scale.grad))
    assert torch.equal(outputs[0][0], outputs[1][0])
    assert torch.equal(outputs[0][1], outputs[1][1])


def test_parameters_and_buffers_register_where_torch_does():
    spec = """
    model Tokens(hidden_dim: int = 8, seq_length: int = 5) {
        proj = Linear(12, hidden_dim)
        class_token = Parameter(zeros(1, 1, hidden_dim))
        pos_embedding = Parameter(empty(1, seq_length, hidden_dim).normal_(std=0.02))
        fixed = Parameter(ones(hidden_dim), requires_grad=False)
        seen = Buffer(zeros(1))
        scratch = Buffer(full([2, 2], 0.5), persistent=False)
        forward(x: [N, 5, 12]) {
            n = size(x, 0)
            t = cat([class_token.expand(n, -1, -1), proj(x)[:, 1:]], dim=1)
            return (t + pos_embedding) * fixed + seen + mean(scratch)
        }
    }
    """
    generated = archdsl.load(text=spec)
    torch.manual_seed(3)
    model = generated.Tokens()
    torch.manual_seed(3)
    torch.nn.Linear(12, 8)
    expected = torch.empty(1, 5, 8).normal_(std=0.02)
    assert torch.equal(model.pos_embedding, expected)  # drawn after proj's, in order
    assert list(model.state_dict()) == [
        "class_token", "pos_embedding", "fixed", "seen", "proj.weight", "proj.bias",
    ]  # fmt: skip
    assert [n for n, p in model.named_parameters() if p.requires_grad] == [
        "class_token", "pos_embedding", "proj.weight", "proj.bias",
    ]  # fmt: skip
    assert torch.equal(model.scratch, torch.full((2, 2), 0.5))
    assert model(torch.randn(3, 5, 12)).shape == (3, 5, 8)


def test_summary_counts_parameters_as_torch_does(tmp_path):
    """`archdsl summary` adds a block's parameter members to its count (frozen
    ones too), not its buffers: what `sum(p.numel() for p in
    model.parameters())` gives."""
    import re
    import subprocess
    import sys

    spec = tmp_path / "scaled.arch"
    spec.write_text(
        CNBLOCK
        + """
model Net(dim: int = 8) {
    stem = Conv2d(3, dim, 1)
    body = CNBlock(dim, 0.5, 0.0)
    fixed = Parameter(ones(dim, 1, 1), requires_grad=False)
    seen = Buffer(zeros(4))
    forward(x: [N, 3, H, W]) = body(stem(x)) * fixed
}
"""
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "archdsl",
            "summary",
            str(spec),
            "--input-shape",
            "1,3,8,8",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counted = int(re.search(r"parameters: ([\d,]+)", out).group(1).replace(",", ""))
    model = archdsl.load(spec).Net()
    assert counted == sum(p.numel() for p in model.parameters())
    assert counted > sum(p.numel() for _, p in model.stem.named_parameters())
