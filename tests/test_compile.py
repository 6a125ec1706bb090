"""Generated models as PyTorch's compilers see them: torch.compile with
fullgraph=True (a graph break fails), torch.export, and DistributedDataParallel."""

from __future__ import annotations

import pytest
from conftest import SPECS

import archdsl
from archdsl.demo import EXAMPLES

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
# the spawned processes import only this module: see its docstring
from gloo_workers import WORKERS, WORLD, data, each_worker, fresh_mlp, train  # noqa: E402


def _example(stem: str):
    name, args, shapes = EXAMPLES[stem]
    torch.manual_seed(0)
    model = getattr(archdsl.load(SPECS[0].parent / f"{stem}.arch"), name)(*args).eval()
    inputs = tuple(torch.randn((2, s[1], 64, 48) if len(s) == 4 else s) for s in shapes)
    return model, inputs


def _as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_torch_compile_fullgraph(stem):
    """fullgraph=True raises on any graph break; aot_eager traces forward and
    backward graphs without needing a C++ toolchain on the test machine."""
    model, inputs = _example(stem)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    with torch.no_grad():
        for got, want in zip(
            _as_tuple(compiled(*inputs)), _as_tuple(model(*inputs)), strict=True
        ):
            torch.testing.assert_close(got, want)


@pytest.mark.parametrize("stem", sorted(EXAMPLES))
def test_torch_export(stem):
    model, inputs = _example(stem)
    program = torch.export.export(model, inputs)
    with torch.no_grad():
        got = _as_tuple(program.module()(*inputs))
        want = _as_tuple(model(*inputs))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b)


# ---- DistributedDataParallel -------------------------------------------------------------
# (what each of the two processes runs: tests/gloo_workers.py)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One spawn of two processes that train with each of WORKERS in turn: the
    folder of their states, and what went wrong, if anything did."""
    import torch.multiprocessing as mp

    folder = tmp_path_factory.mktemp("gloo")
    try:
        mp.spawn(each_worker, args=(str(folder),), nprocs=WORLD, join=True)
    except Exception as error:  # a training that raised; the ones before it wrote
        return folder, error
    return folder, None


@pytest.mark.xdist_group("gloo")  # one worker, so one spawn for both
@pytest.mark.parametrize("name", sorted(WORKERS))
def test_two_processes_match_one_process(name, trained):
    """Two gloo processes, each with half of every global batch, end with the
    parameters one process reaches on the whole batches (gradients are averaged),
    with DistributedDataParallel and with FSDP2's fully_shard."""
    folder, error = trained
    out_file = folder / f"{name}.pt"
    if not out_file.exists():
        raise AssertionError(f"the {name} training did not finish") from error
    single = fresh_mlp()
    train(single, data(), torch.optim.SGD(single.parameters(), lr=0.1))
    distributed = torch.load(out_file, weights_only=True)
    assert list(distributed) == list(single.state_dict())
    for key, value in single.state_dict().items():
        torch.testing.assert_close(distributed[key], value, rtol=1e-5, atol=1e-6)
    assert not torch.equal(
        distributed["layers.fc1.weight"], fresh_mlp().layers.fc1.weight
    )
