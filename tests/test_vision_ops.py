"""The torchvision.ops layers in the registry agree with the installed torchvision:
their signatures row for row (as tests/test_nn_signatures.py holds torch.nn's),
and a spec using them builds the modules torchvision builds."""

from __future__ import annotations

import inspect
import sys

import pytest
from conftest import ROOT

torch = pytest.importorskip("torch")
ops = pytest.importorskip("torchvision.ops")
sys.path.insert(0, str(ROOT / "tools"))
import gen_nn_signatures as gen  # noqa: E402

import archdsl  # noqa: E402
from archdsl.ops.nn_signatures import OPAQUE, REQUIRED  # noqa: E402
from archdsl.ops.vision_ops import CLASS_DEFAULTS, VISION_SIGNATURES  # noqa: E402

#: What the table says beyond the annotation torchvision gives: a layer type is
#: "class" (torchvision says Callable[..., Module]); StochasticDepth's `mode` is a
#: plain str there, but stochastic_depth refuses anything but these two.
CHOICES = {("StochasticDepth", "mode"): ("batch", "row")}


@pytest.mark.parametrize("name", sorted(VISION_SIGNATURES))
def test_table_matches_torchvision_signature(name):
    cls = getattr(ops, name)
    params = list(inspect.signature(cls).parameters.values())
    rows = VISION_SIGNATURES[name]
    assert [r[0] for r in rows] == [p.name for p in params]
    for (pname, kind, default, types, choices), param in zip(rows, params, strict=True):
        assert kind == gen.KINDS[param.kind], pname
        if param.default is param.empty:
            assert default == REQUIRED, pname
        elif default == OPAQUE:  # a layer type, named in CLASS_DEFAULTS
            assert param.default is getattr(torch.nn, CLASS_DEFAULTS[name, pname])
            assert types == ("class",), pname
            continue
        else:
            assert default == param.default and type(default) is type(param.default)
        found, found_choices = gen.param_types(cls, param)
        assert choices == (found_choices or CHOICES.get((name, pname))), pname
        if found != ("any",):  # Permute's `list[int]` reads as "any" to the generator
            assert set(found) <= set(types), pname


def test_stochastic_depth_modes_are_torchvision_s():
    x = torch.ones(2, 3)
    for mode in CHOICES["StochasticDepth", "mode"]:
        ops.StochasticDepth(0.5, mode)(x)
    with pytest.raises(ValueError):
        ops.StochasticDepth(0.5, "column")(x)


SPEC = """
model Head(p: float = 0.2) {
    conv = Conv2d(3, 16, 3, padding=1)
    se = SqueezeExcitation(16, 4)
    fbn = FrozenBatchNorm2d(16)
    drop = StochasticDepth(p, "row")
    channels_last = Permute([0, 2, 3, 1])
    norm = LayerNorm(16)
    forward(x: [N, 3, H, W]) = norm(channels_last(drop(fbn(se(conv(x))))))
}
"""


def test_a_spec_builds_torchvision_s_modules():
    """Keys, buffers and outputs (train mode too, under one seed) equal the same
    modules built from torchvision.ops by hand."""
    torch.manual_seed(0)
    ours = archdsl.load(text=SPEC).Head()
    torch.manual_seed(0)
    theirs = torch.nn.Sequential()
    for name, module in (
        ("conv", torch.nn.Conv2d(3, 16, 3, padding=1)),
        ("se", ops.SqueezeExcitation(16, 4)),
        ("fbn", ops.FrozenBatchNorm2d(16)),
        ("drop", ops.StochasticDepth(0.2, "row")),
        ("channels_last", ops.Permute([0, 2, 3, 1])),
        ("norm", torch.nn.LayerNorm(16)),
    ):
        theirs.add_module(name, module)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    x = torch.randn(4, 3, 8, 8)
    for train in (False, True):
        ours.train(train), theirs.train(train)
        torch.manual_seed(1)
        mine = ours(x)
        torch.manual_seed(1)
        assert torch.equal(mine, theirs(x))
