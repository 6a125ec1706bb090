"""Shape rules for a base model's submodules, measured on the `meta` device.

A torchvision block's forward is Python we do not parse, but for the networks the
catalog supports each spatial size it gives is a chain of convolutions and pools,
`(h + 2p - k) // s + 1` after `(h + 2p - k) // s + 1`, and a chain of those is
again `(h + a) // s + b` (floors of floors merge). So one set of meta-device
forwards over input sizes 1..96 (hooks record what reaches and leaves every
submodule) is enough to fit `a`, `s` and `b` for every submodule and axis; a fit
must reproduce every size observed, or the submodule gets no rule and its output
sizes stay unknown. Sizes that are not spatial are constants (channels, classes)
or the batch. Cached as JSON beside the tree; checks read the cache, never torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tree import BaseTree, cache_file, cached_json

#: Input sizes probed (square: a failure is then the same size on both axes). With
#: strides multiplying to at most 32, every submodule sees at least stride + 1
#: consecutive sizes; the tree's own 224x224 record is one more point each fit must
#: reproduce, far from the probed ones.
PROBE_SIZES = range(1, 65)


@dataclass(frozen=True)
class Fit:
    """out = (in[axis] + offset) // stride + bias"""

    axis: int
    offset: int
    stride: int
    bias: int


@dataclass(frozen=True)
class SubRule:
    """How one submodule maps shapes: each output dim is the batch ("N"), a
    constant, or a Fit; `valid_from` is the smallest (h, w) past every input
    that failed inside it."""

    input_rank: int
    input_channels: int | None
    output: tuple[object, ...]  # "N" | int | Fit
    valid_from: tuple[int, ...]


def load_rules(tree: BaseTree) -> dict[str, SubRule]:
    path = cache_file(tree.builder, tree.kwargs, suffix="-shapes")
    try:
        return cached_json(path, lambda: _measure(tree), _to_json, _from_json)
    except ImportError:
        return {}  # no torch to measure with: sizes through the base stay unknown


def _measure(tree: BaseTree) -> dict[str, SubRule]:
    import torch
    from torchvision import models

    with torch.device("meta"):
        model = getattr(models, tree.builder)(**tree.kwargs)
    model.eval()
    seen: dict[str, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {}
    failed: dict[str, list[tuple[int, ...]]] = {}
    pending: dict[str, tuple[int, ...]] = {}  # entered and not yet returned

    def hooks(path: str):
        def before(module, args):
            if args and isinstance(args[0], torch.Tensor):
                pending[path] = tuple(args[0].shape)

        def after(module, args, output):
            pending.pop(path, None)
            if isinstance(output, torch.Tensor) and isinstance(args[0], torch.Tensor):
                seen.setdefault(path, []).append(
                    (tuple(args[0].shape), tuple(output.shape))
                )

        return before, after

    handles = []
    for path, module in model.named_modules():
        before, after = hooks(path)
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    try:
        with torch.no_grad():
            for h in PROBE_SIZES:
                pending.clear()
                try:
                    model(torch.empty(1, 3, h, h, device="meta"))
                except (RuntimeError, ValueError):
                    for path, shape in pending.items():  # where it broke, and within
                        failed.setdefault(path, []).append(shape)
    finally:
        for handle in handles:
            handle.remove()
    rules = {}
    for path, pairs in seen.items():
        node = tree.get(path)
        if node is not None and node.input is not None and node.output is not None:
            pairs.append((node.input, node.output))  # the 224x224 record
        rule = _fit_module(pairs, failed.get(path, []))
        if rule is not None:
            rules[path] = rule
    return rules


def _fit_module(pairs, failures) -> SubRule | None:
    first_in, first_out = pairs[0]
    if any(len(i) != len(first_in) or len(o) != len(first_out) for i, o in pairs):
        return None
    output: list[object] = []
    for dim in range(len(first_out)):
        values = [o[dim] for _, o in pairs]
        if dim == 0 and len(first_in) >= 1:
            output.append("N")
        elif len(set(values)) == 1:
            output.append(values[0])
        else:
            fit = _fit_axis(pairs, dim)
            if fit is None:
                return None
            output.append(fit)
    channels = {i[1] for i, _ in pairs} if len(first_in) >= 2 else set()
    spatial = range(2, len(first_in))
    # the smallest size that runs: past every input that failed inside this module
    valid_from = tuple(
        max((f[axis] + 1 for f in failures), default=1) for axis in spatial
    )
    return SubRule(
        len(first_in), channels.pop() if len(channels) == 1 else None,
        tuple(output), valid_from,
    )  # fmt: skip


def _fit_axis(pairs, dim: int) -> Fit | None:
    """The smallest stride fit of output `dim` against input axis `dim` (or any
    spatial axis when ranks differ)."""
    axes = [dim] if dim < len(pairs[0][0]) else list(range(2, len(pairs[0][0])))
    for axis in axes:
        points = sorted({(i[axis], o[dim]) for i, o in pairs})
        for stride in range(1, 65):
            for offset in range(stride):
                x0, y0 = points[0]
                bias = y0 - (x0 + offset) // stride
                if all((x + offset) // stride + bias == y for x, y in points):
                    return Fit(axis, offset, stride, bias)
    return None


def _to_json(rules: dict[str, SubRule]) -> dict:
    return {
        path: {
            "input_rank": r.input_rank,
            "input_channels": r.input_channels,
            "output": [o.__dict__ if isinstance(o, Fit) else o for o in r.output],
            "valid_from": list(r.valid_from),
        }
        for path, r in rules.items()
    }


def _from_json(data: dict) -> dict[str, SubRule]:
    return {
        path: SubRule(
            int(r["input_rank"]),
            r["input_channels"],
            tuple(Fit(**o) if isinstance(o, dict) else o for o in r["output"]),
            tuple(r["valid_from"]),
        )
        for path, r in data.items()
    }
