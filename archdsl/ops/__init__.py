"""The operation registry: layers, tensor ops and build-time builtins, as data."""

from .builtins import BUILTINS
from .layers import Layer, layer, layers
from .signature import REQUIRED, ParamSpec, Signature
from .tensor_ops import TENSOR_OPS, TensorOp

__all__ = [
    "BUILTINS",
    "REQUIRED",
    "TENSOR_OPS",
    "Layer",
    "ParamSpec",
    "Signature",
    "TensorOp",
    "layer",
    "layers",
]
