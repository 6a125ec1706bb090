"""`partial(SiLU, inplace=True)`: a layer or block type with bound arguments
(archdsl/check/partials.py), held to what functools.partial builds in torch."""

from __future__ import annotations

import functools

import pytest

import archdsl
from archdsl.errors import ArchError

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
from torch import nn  # noqa: E402
from torchvision import ops  # noqa: E402

SPEC = """
block Stage(channels: int, act: module = ReLU) {
    se = SqueezeExcitation(channels, channels // 4, activation=act)
    post = act()
    forward(x) = post(se(x))
}

model Net(num_classes: int = 10) {
    conv = partial(Conv2d, kernel_size=3, padding=1)
    norm = partial(BatchNorm2d, eps=0.001)
    stem = conv(3, 16, stride=2)
    bn = norm(16)
    stage = Stage(16, partial(SiLU, inplace=True))
    head = Linear(16, num_classes)

    forward(x: [N, 3, H, W]) {
        x = stage(bn(stem(x)))
        return head(flatten(adaptive_avg_pool2d(x, 1), 1))
    }
}
"""


def test_a_partial_builds_what_functools_partial_builds():
    """Every module, built from the spec, has torch's repr for the same partials;
    the generated code writes them as written."""
    net = archdsl.load(text=SPEC).Net()
    conv = functools.partial(nn.Conv2d, kernel_size=3, padding=1)
    act = functools.partial(nn.SiLU, inplace=True)
    expected = {
        "stem": conv(3, 16, stride=2),
        "bn": functools.partial(nn.BatchNorm2d, eps=0.001)(16),
        "stage.se": ops.SqueezeExcitation(16, 4, activation=act),
        "stage.post": act(),
    }
    for name, module in expected.items():
        assert repr(net.get_submodule(name)) == repr(module), name
    code = archdsl.generate(SPEC)
    assert "from functools import partial" in code
    assert "Stage(16, partial(nn.SiLU, inplace=True))" in code
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 10)


def test_shapes_see_the_bound_arguments():
    """`conv(3, 16, stride=2)` pads 1 with a 3x3 kernel (bound by the partial):
    a BatchNorm2d of the wrong width after it is caught at check time."""
    with pytest.raises(ArchError) as caught:
        archdsl.check(text=SPEC.replace("bn = norm(16)", "bn = norm(8)"))
    assert "expects 8 channels, receives 16" in str(caught.value)
    summary = archdsl.check(text=SPEC)
    assert summary is not None


def test_partial_is_a_reserved_name():
    with pytest.raises(ArchError) as caught:
        archdsl.check(text=SPEC.replace("norm = partial", "partial = partial"))
    assert "`partial` is used by the generated code" in str(caught.value)
