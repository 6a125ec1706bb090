"""Parameter rules: how many parameters a layer creates (what
`sum(p.numel())` gives), so `archdsl summary` adds up to the real model without
building it."""

from __future__ import annotations

from collections.abc import Callable

from .core import Args, _product, _tuple, floordiv_any
from .vision import VISION_PARAMETERS


def _conv_params_nd(n: int) -> Callable[[Args], object]:
    def count(a: Args) -> object:
        k = a["kernel_size"]
        kernel = _product(_tuple(k, n, "kernel_size"))
        weight = floordiv_any(
            a["in_channels"] * a["out_channels"] * kernel, a.get("groups", 1)
        )
        return weight + (a["out_channels"] if a.get("bias", True) else 0)

    return count


def _affine(key: str) -> Callable[[Args], object]:
    """A weight per channel, and a bias unless bias=False (torch 2.5 and later)."""

    def count(a: Args) -> object:
        if a.get("affine") is not True:
            return 0
        return a[key] * (1 if a.get("bias", True) is False else 2)

    return count


def _layer_norm_params(a: Args) -> object:
    if a.get("elementwise_affine") is not True:
        return 0
    shape = a["normalized_shape"]
    size = _product(shape) if isinstance(shape, (list, tuple)) else shape
    return size * (2 if a.get("bias", True) else 1)


def _attention_params(a: Args) -> object:
    e = a["embed_dim"]
    kdim = a.get("kdim") or e
    vdim = a.get("vdim") or e
    bias = a.get("bias", True)
    projections = e * e + e * kdim + e * vdim  # q, k, v (one packed weight if equal)
    count = projections + (3 * e if bias else 0) + e * e + (e if bias else 0)
    return count + (2 * e if a.get("add_bias_kv") is True else 0)


def _transformer_params(decoder: bool) -> Callable[[Args], object]:
    def count(a: Args) -> object:
        d, ff = a["d_model"], a.get("dim_feedforward", 2048)
        bias = a.get("bias", True)
        attention = _attention_params({"embed_dim": d, "bias": bias})
        feedforward = 2 * d * ff + ((ff + d) if bias else 0)
        norms = (3 if decoder else 2) * d * (2 if bias else 1)
        return attention * (2 if decoder else 1) + feedforward + norms

    return count


PARAMETERS: dict[str, Callable[[Args], object]] = {
    **{f"Conv{n}d": _conv_params_nd(n) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_params_nd(n) for n in (1, 2, 3)},
    "Linear": lambda a: (
        a["in_features"] * a["out_features"]
        + (a["out_features"] if a.get("bias", True) else 0)
    ),
    "Bilinear": lambda a: (
        a["in1_features"] * a["in2_features"] * a["out_features"]
        + (a["out_features"] if a.get("bias", True) else 0)
    ),
    "Embedding": lambda a: a["num_embeddings"] * a["embedding_dim"],
    **{f"BatchNorm{n}d": _affine("num_features") for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": _affine("num_features") for n in (1, 2, 3)},
    "GroupNorm": _affine("num_channels"),
    "LayerNorm": _layer_norm_params,
    "PReLU": lambda a: a.get("num_parameters", 1),
    "MultiheadAttention": _attention_params,
    "TransformerEncoderLayer": _transformer_params(decoder=False),
    "TransformerDecoderLayer": _transformer_params(decoder=True),
    **VISION_PARAMETERS,
}
