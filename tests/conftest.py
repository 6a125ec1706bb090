"""Shared fixtures: every spec in specs/, golden-file updating, CUDA gating."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: torch's own threads per worker would
    # only fight over the same cores (subprocesses inherit this too).
    for _threads in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_threads, "1")

#: ARCHDSL_FUZZ=N: every property test draws N fresh cases instead of its default
#: set, which is the same on every run.
FUZZ = int(os.environ.get("ARCHDSL_FUZZ", "0"))


def fuzz_settings(default: int, *, scale: float = 1.0) -> settings:
    """Hypothesis settings for a property: `default` cases, derandomized, or
    ARCHDSL_FUZZ times `scale` fresh ones; no deadline (time is not the property)."""
    return settings(
        max_examples=max(1, int(FUZZ * scale)) if FUZZ else default,
        derandomize=not FUZZ,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.arch"))
#: The zoo (specs/zoo/): torchvision families from scratch, held to torchvision by
#: tests/test_zoo.py; their generated modules are golden files like SPECS'.
ZOO_SPECS = sorted((ROOT / "specs" / "zoo").glob("*.arch"))
ERRORS = sorted((ROOT / "tests" / "errors").glob("*.arch"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/*.py and tests/errors/*.txt from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    _name_xdist_groups(config, items)
    if not any(item.get_closest_marker("cuda") for item in items):
        return
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)


def _name_xdist_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`--dist loadgroup` (pyproject's addopts) sends a group's tests to one worker
    by reading the group from each node id, `id@group`. pytest-xdist 3.8 writes that
    into `item._nodeid`, which pytest 9.2 no longer reads (its node ids are
    `item._id`): the xdist_group marks did nothing and, say, a zoo variant's models
    were built on both workers. So the worker names them here where xdist's did not
    take; with an older pytest, or an xdist that does it, ids already end so."""
    if not config.getoption("loadgroup", default=False):  # set in xdist workers
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest before 9.2: xdist's own renaming works
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare `actual` with the golden file, or rewrite it with --update-golden."""
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"{path.name} did not exist; wrote it (rerun to compare)")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs; rerun with --update-golden if intended"


def every_node(value: object):
    """Every IR node in `value`, pre-order, through every field of every node as
    stored (not through archdsl's own walks, which tests hold to this)."""
    from archdsl.ir.base import Node

    if isinstance(value, Node):
        yield value
        for field in value.__dict__.values():
            yield from every_node(field)
    elif isinstance(value, tuple):
        for item in value:
            yield from every_node(item)


def torch_layer(name: str):
    """The class a registry layer names: torch.nn's, or torchvision.ops's."""
    import torch

    from archdsl.ops import layer

    if layer(name).namespace == "ops":
        import torchvision.ops

        return getattr(torchvision.ops, name)
    return getattr(torch.nn, name)
