"""The processes of tests/test_compile.py's two-process training (gloo on CPU).

A module of its own so that each spawned process imports only torch and archdsl:
importing the test module would also import pytest, hypothesis and torchvision
(about 2 s of CPU more in each of the four processes)."""

from __future__ import annotations

from pathlib import Path

import torch

import archdsl

MLP = Path(__file__).resolve().parents[1] / "specs" / "mlp.arch"

STEPS, GLOBAL_BATCH, WORLD = 3, 8, 2


def train(model, batches, optimizer) -> None:
    for inputs, target in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), target)
        loss.backward()
        optimizer.step()


def data():
    generator = torch.Generator().manual_seed(1)
    return [
        (torch.randn(GLOBAL_BATCH, 784, generator=generator),
         torch.randn(GLOBAL_BATCH, 10, generator=generator))
        for _ in range(STEPS)
    ]  # fmt: skip


def fresh_mlp():
    torch.manual_seed(0)
    return archdsl.load(MLP).MLP()


def ddp_worker(rank: int, init_file: str, out_file: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD
    )
    try:
        model = DistributedDataParallel(fresh_mlp())
        share = GLOBAL_BATCH // WORLD
        batches = [
            (x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share])
            for x, y in data()
        ]
        train(model, batches, torch.optim.SGD(model.parameters(), lr=0.1))
        if rank == 0:
            torch.save(model.module.state_dict(), out_file)
    finally:
        dist.destroy_process_group()


def fsdp2_worker(rank: int, init_file: str, out_file: str) -> None:
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
        model = fresh_mlp()
        for layer in model.layers:
            if any(True for _ in layer.parameters()):
                fully_shard(layer, mesh=mesh)
        fully_shard(model, mesh=mesh)
        share = GLOBAL_BATCH // WORLD
        batches = [
            (x[rank * share : (rank + 1) * share], y[rank * share : (rank + 1) * share])
            for x, y in data()
        ]
        train(model, batches, torch.optim.SGD(model.parameters(), lr=0.1))
        full = {k: v.full_tensor() for k, v in model.state_dict().items()}
        if rank == 0:
            torch.save(full, out_file)
    finally:
        dist.destroy_process_group()


WORKERS = {"ddp": ddp_worker, "fsdp2": fsdp2_worker}


def each_worker(rank: int, folder: str) -> None:
    """Every training of WORKERS, one after the other in the same two processes
    (torch is imported once, not once per training): `<folder>/<name>.pt` each."""
    for name, worker in WORKERS.items():
        worker(rank, f"{folder}/{name}.init", f"{folder}/{name}.pt")
