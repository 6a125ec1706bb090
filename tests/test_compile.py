"""Generated models as PyTorch's compilers see them: torch.compile with
fullgraph=True (a graph break fails), torch.export, and DistributedDataParallel."""

from __future__ import annotations

import pytest
from conftest import SPECS

import archdsl
from archdsl.demo import EXAMPLES

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")


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

STEPS, GLOBAL_BATCH, WORLD = 3, 8, 2


def _train(model, batches, optimizer) -> None:
    for inputs, target in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), target)
        loss.backward()
        optimizer.step()


def _data():
    generator = torch.Generator().manual_seed(1)
    return [
        (torch.randn(GLOBAL_BATCH, 784, generator=generator),
         torch.randn(GLOBAL_BATCH, 10, generator=generator))
        for _ in range(STEPS)
    ]  # fmt: skip


def _fresh_mlp():
    torch.manual_seed(0)
    return archdsl.load(SPECS[0].parent / "mlp.arch").MLP()


def _ddp_worker(rank: int, init_file: str, out_file: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD
    )
    try:
        model = DistributedDataParallel(_fresh_mlp())
        share = GLOBAL_BATCH // WORLD
        batches = [
            (x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share])
            for x, y in _data()
        ]
        _train(model, batches, torch.optim.SGD(model.parameters(), lr=0.1))
        if rank == 0:
            torch.save(model.module.state_dict(), out_file)
    finally:
        dist.destroy_process_group()


def _fsdp2_worker(rank: int, init_file: str, out_file: str) -> None:
    """FSDP2 as the README shows it: each layer with parameters sharded, then the
    model; the full state gathered from the shards at the end."""
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD
    )
    try:
        mesh = init_device_mesh("cpu", (WORLD,))
        model = _fresh_mlp()
        for layer in model.layers:
            if any(True for _ in layer.parameters()):
                fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        share = GLOBAL_BATCH // WORLD
        batches = [
            (x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share])
            for x, y in _data()
        ]
        _train(model, batches, torch.optim.SGD(model.parameters(), lr=0.1))
        full = {k: v.full_tensor() for k, v in model.state_dict().items()}
        if rank == 0:
            torch.save(full, out_file)
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("worker", [_ddp_worker, _fsdp2_worker], ids=["ddp", "fsdp2"])
def test_two_processes_match_one_process(worker, tmp_path):
    """Two gloo processes, each with half of every global batch, end with the
    parameters one process reaches on the whole batches (gradients are averaged),
    with DistributedDataParallel and with FSDP2's fully_shard."""
    import torch.multiprocessing as mp

    out_file = tmp_path / "state.pt"
    mp.spawn(
        worker,
        args=(str(tmp_path / "init"), str(out_file)),
        nprocs=WORLD,
        join=True,
    )
    single = _fresh_mlp()
    _train(single, _data(), torch.optim.SGD(single.parameters(), lr=0.1))
    distributed = torch.load(out_file, weights_only=True)
    assert list(distributed) == list(single.state_dict())
    for key, value in single.state_dict().items():
        torch.testing.assert_close(distributed[key], value, rtol=1e-5, atol=1e-6)
    assert not torch.equal(
        distributed["layers.fc1.weight"], _fresh_mlp().layers.fc1.weight
    )
