"""The layer table the torch-free front end uses agrees with the installed torch.nn."""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import typing

import pytest
from conftest import ROOT

TABLE = ROOT / "archdsl" / "ops" / "nn_signatures.py"


def _load_table():
    """The table by file path: it is pure data, so this test does not depend on the
    rest of the package importing cleanly."""
    spec = importlib.util.spec_from_file_location("_nn_signatures", TABLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


table = _load_table()
NN_SIGNATURES, REQUIRED, OPAQUE = table.NN_SIGNATURES, table.REQUIRED, table.OPAQUE

torch = pytest.importorskip("torch")
sys.path.insert(0, str(ROOT / "tools"))
import gen_nn_signatures as gen  # noqa: E402

LITERALS = (bool, int, float, str, type(None))


@pytest.mark.parametrize("name", sorted(NN_SIGNATURES))
def test_table_matches_torch_signature(name):
    cls = getattr(torch.nn, name)
    rows = NN_SIGNATURES[name]
    if not rows:  # `(*args, **kwargs)` that means "no arguments"
        assert gen.takes_nothing(cls)
        cls()
        return
    params = list(inspect.signature(cls).parameters.values())
    assert [r[0] for r in rows] == [p.name for p in params]
    for (pname, kind, default, types, choices), param in zip(rows, params, strict=True):
        assert kind == gen.KINDS[param.kind], pname
        if kind == "var":
            assert (default, types, choices) == (REQUIRED, ("module",), None), pname
            continue
        if param.default is param.empty:
            assert default == REQUIRED, pname
        elif default == OPAQUE:
            assert not isinstance(param.default, LITERALS), pname
        else:
            assert default == param.default, pname
            assert type(default) is type(param.default), pname
        assert (types, choices) == gen.param_types(cls, param), pname


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, (("int",), None)),
        (float, (("float",), None)),
        (float | None, (("float", "none"), None)),
        (typing.Union[int, tuple[int, int]], (("int", "tuple"), None)),  # noqa: UP007
        (typing.Optional[tuple[int, ...]], (("tuple", "none"), None)),  # noqa: UP045
        (typing.Literal["a", "b"], (("str",), ("a", "b"))),
        (str | typing.Literal["x"], (("str",), ("x",))),
        (torch.nn.Linear, (("module",), None)),
        (torch.Tensor, (("any",), None)),
        (inspect.Parameter.empty, (("any",), None)),
        ("Iterable[Module] | None", (("any", "none"), None)),
        ("NoSuchName", (("any",), None)),
    ],
    ids=repr,
)
def test_normalize(annotation, expected):
    assert gen.normalize(annotation, torch.nn.ModuleList) == expected


def test_table_is_not_stale():
    assert TABLE.read_text() == gen.render(), "rerun tools/gen_nn_signatures.py"


def test_skipped_layers_are_the_hidden_signatures():
    """Every layer asked for is in the table unless torch hides its signature."""
    assert set(gen.LAYERS) - set(NN_SIGNATURES) == set(gen.skipped())
    assert set(gen.skipped()) <= {"LSTM", "GRU", "RNN"}


def test_required_arguments_build_the_layer():
    """Passing exactly the required arguments (as small ints) constructs every layer
    whose required parameters are all ints: the table's notion of 'required' is real."""
    for name, rows in NN_SIGNATURES.items():
        required = [r for r in rows if r[2] == REQUIRED and r[1] != "var"]
        if required and all(r[3] == ("int",) for r in required):
            getattr(torch.nn, name)(*[4] * len(required))


@pytest.mark.parametrize(
    "code",
    [
        "import archdsl.ops.nn_signatures",
        "import archdsl; archdsl.generate(sys.argv[1])",
    ],
    ids=["table", "front-end"],
)
def test_does_not_import_torch(code):
    check = "\nassert 'torch' not in sys.modules and 'torchvision' not in sys.modules"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + check, ROOT / "specs/unet.arch"],
        check=True,
        cwd=ROOT,
        env=env,
    )
