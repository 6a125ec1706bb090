"""A torch layer's non-tensor forward options (`need_weights=False`) pass through
to the generated call: torchvision's ViT encoder block, written in
specs/zoo/vit.arch, equals torchvision's under one seed (its MLP's own init
included), in eval and in training mode."""

from __future__ import annotations

import functools

import pytest
from conftest import ROOT

torch = pytest.importorskip("torch")
vit = pytest.importorskip("torchvision.models.vision_transformer")

import archdsl  # noqa: E402


def test_encoder_block_equals_torchvision_s():
    generated = archdsl.load(ROOT / "specs" / "zoo" / "vit.arch")
    args = (4, 32, 64, 0.1, 0.1)  # heads, hidden_dim, mlp_dim, dropouts
    torch.manual_seed(0)
    ours = generated.EncoderBlock(*args)
    torch.manual_seed(0)
    theirs = vit.EncoderBlock(
        *args, norm_layer=functools.partial(torch.nn.LayerNorm, eps=1e-6)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    x = torch.randn(3, 5, 32)
    for train in (False, True):
        ours.train(train), theirs.train(train)
        torch.manual_seed(1)
        mine = ours(x)
        torch.manual_seed(1)
        assert torch.equal(mine, theirs(x))


def test_options_are_checked():
    spec = """
    model M() {
        attn = MultiheadAttention(8, 2, batch_first=True)
        forward(x: [N, 4, 8]) {
            y, _ = attn(x, x, x, need_weights=1)
            return y
        }
    }
    """
    with pytest.raises(archdsl.ArchError, match="`need_weights` of `attn` must be"):
        archdsl.load(text=spec)
