"""The layer table the torch-free front end uses agrees with the installed torch.nn."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest
from conftest import ROOT

from archdsl.ops.nn_signatures import NN_SIGNATURES, OPAQUE, REQUIRED

torch = pytest.importorskip("torch")
sys.path.insert(0, str(ROOT / "tools"))
import gen_nn_signatures  # noqa: E402


@pytest.mark.parametrize("name", sorted(NN_SIGNATURES))
def test_table_matches_torch_signature(name):
    cls = getattr(torch.nn, name)
    params = [
        p for p in inspect.signature(cls).parameters.values() if p.kind != p.VAR_KEYWORD
    ]
    rows = NN_SIGNATURES[name]
    if not rows:  # `(*args, **kwargs)` layers that take nothing: they build bare
        cls()
        return
    assert [r[0] for r in rows] == [p.name for p in params]
    for (pname, kind, default, types, choices), param in zip(rows, params, strict=True):
        assert kind == gen_nn_signatures.KINDS[param.kind], pname
        if kind == "var":
            continue
        if param.default is inspect.Parameter.empty:
            assert default == REQUIRED, pname
        elif default == OPAQUE:
            assert not isinstance(param.default, (bool, int, float, str, type(None)))
        else:
            assert default == param.default and type(default) is type(param.default), (
                pname
            )
        expected_types, expected_choices = gen_nn_signatures.normalize(param.annotation)
        if expected_types == ("any",) and isinstance(
            param.default, (bool, int, float, str)
        ):
            expected_types = (type(param.default).__name__,)
        assert types == expected_types, pname
        assert choices == expected_choices, pname


def test_table_is_not_stale():
    table = ROOT / "archdsl" / "ops" / "nn_signatures.py"
    assert table.read_text() == gen_nn_signatures.render(), (
        "rerun tools/gen_nn_signatures.py"
    )


def test_required_arguments_build_the_layer():
    """Passing exactly the required arguments (as small ints) constructs every layer
    whose required parameters are all ints: the table's notion of 'required' is real."""
    for name, rows in NN_SIGNATURES.items():
        required = [r for r in rows if r[2] == REQUIRED and r[1] != "var"]
        if required and all(r[3] == ("int",) for r in required):
            getattr(torch.nn, name)(*[4] * len(required))


def test_front_end_does_not_import_torch():
    code = (
        "import sys, archdsl\n"
        "archdsl.generate(sys.argv[1])\n"
        "assert 'torch' not in sys.modules and 'torchvision' not in sys.modules\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "specs" / "unet.arch")], check=True
    )
