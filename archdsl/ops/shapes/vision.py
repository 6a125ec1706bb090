"""Shape and parameter rules of the torchvision.ops layers (ops/vision_ops.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import Args, Dims, _rank, check_size, same_shape
from .tensor import broadcast, permute


def squeeze_excitation(a: Args, x: Dims) -> Dims:
    """Pooled to 1x1, two 1x1 convolutions, then a scale of the input: channels at
    dim -3 of a batched or unbatched image."""
    _rank(x, 3, 4)
    check_size(a["input_channels"], x[-3], "channels")
    return x


def frozen_batch_norm(a: Args, x: Dims) -> Dims:
    """`x * scale + shift` with both shaped [1, C, 1, 1]: broadcast as torch does
    (a batch of images keeps its shape)."""
    return broadcast(x, (1, a["num_features"], 1, 1))


VISION_SHAPES: dict[str, Callable[..., Any]] = {
    "StochasticDepth": same_shape,
    "SqueezeExcitation": squeeze_excitation,
    "Permute": permute,
    "FrozenBatchNorm2d": frozen_batch_norm,
}

#: Two 1x1 convolutions with bias; FrozenBatchNorm2d holds buffers only.
VISION_PARAMETERS: dict[str, Callable[[Args], object]] = {
    "SqueezeExcitation": lambda a: (
        2 * a["input_channels"] * a["squeeze_channels"]
        + a["input_channels"]
        + a["squeeze_channels"]
    ),
}
