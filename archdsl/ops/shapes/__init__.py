"""Shape and parameter rules, as data: one entry per layer and tensor operation,
split by family as torch splits its meta registrations.

A shape rule takes the layer's bound constructor arguments (or the op's call
arguments) and the shapes of the tensors it receives, and returns the shape it
gives, or raises ShapeProblem saying what does not fit. Sizes are ints or symbolic
sizes (archdsl/shapes/dims.py); a size nothing can be known about is UNKNOWN, which
absorbs arithmetic. tests/test_shape_rules.py runs every rule against torch, and
tests/test_shape_rules_fuzz.py runs them against torch over random arguments.

A parameter rule counts the parameters a layer creates (what `sum(p.numel())`
gives), so `archdsl summary` adds up to the real model without building it.

Modules: core (sizes, problems, shared helpers), arguments (ARGUMENT_RULES), conv,
pool, norm, linear, resize, attention, tensor (tensor ops, broadcasting), registry
(LAYER_SHAPES, OP_SHAPES), parameters (PARAMETERS).
"""

from __future__ import annotations

from .arguments import ARGUMENT_RULES, COUNTS, WINDOWS, check_arguments
from .attention import multihead_attention, transformer_layer
from .conv import conv, conv_transpose
from .core import (
    UNKNOWN,
    Args,
    ArgumentProblem,
    Dims,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
    check_size,
    describe,
    floordiv_any,
    known,
    ranked,
    same,
    same_shape,
)
from .linear import bilinear, embedding, linear, prelu
from .norm import layer_norm, norm
from .parameters import PARAMETERS
from .pool import adaptive_pool, pool
from .registry import ELEMENTWISE, LAYER_SHAPES, OP_SHAPES
from .resize import MODE_RANKS, interpolate, pad, pixel_shuffle, pixel_unshuffle, resize
from .tensor import (
    broadcast,
    cat,
    exact_div,
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

__all__ = [
    "ARGUMENT_RULES",
    "Args",
    "ArgumentProblem",
    "COUNTS",
    "Dims",
    "ELEMENTWISE",
    "LAYER_SHAPES",
    "MODE_RANKS",
    "OP_SHAPES",
    "PARAMETERS",
    "ShapeDepends",
    "ShapeProblem",
    "UNKNOWN",
    "Unknowable",
    "WINDOWS",
    "adaptive_pool",
    "bilinear",
    "broadcast",
    "cat",
    "check_arguments",
    "check_size",
    "conv",
    "conv_transpose",
    "describe",
    "embedding",
    "exact_div",
    "flatten_dims",
    "floordiv_any",
    "interpolate",
    "known",
    "layer_norm",
    "linear",
    "mean",
    "multihead_attention",
    "norm",
    "pad",
    "pad_like",
    "permute",
    "pixel_shuffle",
    "pixel_unshuffle",
    "pool",
    "prelu",
    "ranked",
    "reshape",
    "resize",
    "same",
    "same_shape",
    "softmax",
    "squeeze",
    "stack",
    "transformer_layer",
    "transpose",
    "unflatten",
    "unsqueeze",
]
