"""The registries: one shape rule per layer (LAYER_SHAPES, each run after its
argument rule) and per tensor op (OP_SHAPES)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .arguments import check_arguments
from .attention import multihead_attention, transformer_layer
from .conv import conv, conv_transpose
from .core import Args, at_least, ranked, same_shape
from .indexing import chunk, dropout, expand, size, split, unbind
from .linear import bilinear, embedding, linear, prelu
from .norm import layer_norm, norm
from .pool import adaptive_pool, pool
from .resize import (
    channel_shuffle,
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    resize,
)
from .tensor import (
    cat,
    flatten_dims,
    mean,
    pad_like,
    permute,
    reshape,
    softmax,
    squeeze,
    stack,
    transpose,
    unflatten,
    unsqueeze,
)
from .vision import VISION_SHAPES

#: Layers whose output has their input's shape (rank checks aside).
ELEMENTWISE = (
    "Identity", "Dropout", "Dropout2d", "Dropout3d", "AlphaDropout", "ReLU", "ReLU6",
    "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
    "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus", "Softsign", "Tanhshrink",
    "Threshold",
)  # fmt: skip


LAYER_SHAPES: dict[str, Callable[..., Any]] = {
    **{name: same_shape for name in ELEMENTWISE},
    **{f"Conv{n}d": conv(n) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": conv_transpose(n) for n in (1, 2, 3)},
    **{f"MaxPool{n}d": pool(n, dilated=True) for n in (1, 2, 3)},
    **{f"AvgPool{n}d": pool(n, dilated=False) for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": adaptive_pool(n, average=True) for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": adaptive_pool(n) for n in (1, 2, 3)},
    "BatchNorm1d": norm((2, 3), "num_features"),
    "BatchNorm2d": norm((4,), "num_features"),
    "BatchNorm3d": norm((5,), "num_features"),
    "InstanceNorm1d": norm((2, 3), "num_features", instance=True),
    "InstanceNorm2d": norm((3, 4), "num_features", instance=True),
    "InstanceNorm3d": norm((4, 5), "num_features", instance=True),
    "GroupNorm": norm(tuple(range(2, 9)), "num_channels"),
    "LayerNorm": layer_norm,
    "Linear": linear,
    "Bilinear": bilinear,
    "Embedding": embedding,
    "Flatten": lambda a, x: flatten_dims(
        x, a.get("start_dim", 1), a.get("end_dim", -1)
    ),
    "Unflatten": unflatten,
    "Upsample": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, a.get("mode", "nearest")
    ),
    "UpsamplingNearest2d": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, "nearest"
    ),
    "UpsamplingBilinear2d": lambda a, x: resize(
        a.get("size"), a.get("scale_factor"), x, "bilinear"
    ),
    "ZeroPad2d": pad(2),
    "ConstantPad2d": pad(2),
    "ReflectionPad2d": pad(2, "reflect"),
    "ReplicationPad2d": pad(2, "replicate"),
    "PixelShuffle": pixel_shuffle,
    "PixelUnshuffle": pixel_unshuffle,
    "MultiheadAttention": multihead_attention,
    "TransformerEncoderLayer": transformer_layer,
    "TransformerDecoderLayer": transformer_layer,
    "PReLU": prelu,
    "ChannelShuffle": channel_shuffle,
    "LocalResponseNorm": at_least(3),
    "Dropout1d": ranked(2, 3),
    "Softmax2d": ranked(3, 4),
    "Softmax": lambda a, x: softmax(a, x) if a.get("dim") is not None else x,
    "LogSoftmax": lambda a, x: softmax(a, x) if a.get("dim") is not None else x,
    # fmt: skip
    **VISION_SHAPES,
}


def _checked(layer: str, rule: Callable[..., Any]) -> Callable[..., Any]:
    """A layer's shape rule, after the checks of its own arguments."""

    def checked(a: Args, *inputs: Any) -> Any:
        check_arguments(layer, a)
        return rule(a, *inputs)

    return checked


LAYER_SHAPES = {layer: _checked(layer, rule) for layer, rule in LAYER_SHAPES.items()}


OP_SHAPES: dict[str, Callable[..., Any]] = {
    "layer_norm": layer_norm,
    "cat": cat,
    "stack": stack,
    "flatten": lambda a, x: flatten_dims(
        x, a.get("start_dim", 0), a.get("end_dim", -1)
    ),
    "unsqueeze": unsqueeze,
    "squeeze": squeeze,
    "reshape": reshape,
    "permute": permute,
    "transpose": transpose,
    "mean": mean,
    "softmax": softmax,
    "relu": same_shape,
    "sigmoid": same_shape,
    "tanh": same_shape,
    "interpolate": interpolate,
    "adaptive_avg_pool2d": adaptive_pool(2, average=True),
    "max_pool2d": _checked("MaxPool2d", pool(2, dilated=True)),
    "avg_pool2d": _checked("AvgPool2d", pool(2, dilated=False)),
    "pad_like": pad_like,
    "chunk": chunk,
    "split": split,
    "unbind": unbind,
    "size": size,
    "view": lambda a, x: reshape({"shape": a["size"]}, x),
    "expand": expand,
    "contiguous": same_shape,
    "dropout": dropout,
}
