"""`init { ... }`: weight initialisation, held to torch.nn.init and torchvision.

The table of init functions the torch-free front end uses must agree with the
installed torch.nn.init; a model built from specs/resnet18.arch under a seed must
equal torchvision's resnet18 under the same seed, tensor for tensor, and leave the
random stream where torchvision leaves it (same draws, in the same order).
"""

from __future__ import annotations

import importlib.util
import inspect
import sys

import pytest
from conftest import ROOT

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
sys.path.insert(0, str(ROOT / "tools"))
import gen_nn_signatures as gen  # noqa: E402

import archdsl  # noqa: E402


def _table():
    """The table by file path, as tests/test_nn_signatures.py reads its own."""
    path = ROOT / "archdsl" / "ops" / "init_functions.py"
    spec = importlib.util.spec_from_file_location("archdsl.ops._init_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TABLE = _table()
REQUIRED = TABLE.REQUIRED


@pytest.mark.parametrize("name", sorted(TABLE.INIT_SIGNATURES))
def test_init_table_matches_torch(name):
    func = getattr(torch.nn.init, name)
    params = list(inspect.signature(func).parameters.values())
    rows = TABLE.INIT_SIGNATURES[name]
    assert [r[0] for r in rows] == [p.name for p in params]
    for (pname, kind, default, types, choices), param in zip(rows, params, strict=True):
        assert kind == gen.KINDS[param.kind], pname
        expected = REQUIRED if param.default is param.empty else param.default
        assert default == expected and type(default) is type(expected), pname
        if pname in ("tensor", "generator"):
            continue  # filled by generated code, never a spec's value
        found, found_choices = gen.normalize(param.annotation)
        assert choices == found_choices, pname
        assert set(found) <= set(types), pname


def test_every_public_init_function_is_listed():
    public = {
        name
        for name, value in vars(torch.nn.init).items()
        if name.endswith("_") and not name.startswith("_") and inspect.isfunction(value)
    }
    assert public == set(TABLE.INIT_SIGNATURES)


@pytest.fixture(scope="module")
def resnet18():
    return archdsl.load(ROOT / "specs" / "resnet18.arch").ResNet18


def _built(make, seed: int = 0):
    """The state a constructor leaves, and the next draw of the random stream."""
    torch.manual_seed(seed)
    model = make()
    return model.state_dict(), torch.rand(4)


@pytest.mark.parametrize("zero_init_residual", [False, True])
def test_seeded_resnet18_equals_torchvision(resnet18, zero_init_residual):
    ours, after = _built(lambda: resnet18(zero_init_residual=zero_init_residual))
    theirs, their_after = _built(
        lambda: torchvision.models.resnet18(zero_init_residual=zero_init_residual)
    )
    assert list(ours) == list(theirs)
    for key in theirs:
        assert torch.equal(ours[key], theirs[key]), key
    assert torch.equal(after, their_after)  # the same number of draws
    zeroed = ours["layer1.0.bn2.weight"]
    assert bool((zeroed == 0).all()) is zero_init_residual
