"""What the interpreter calls for the language's operations, written out against
torch's own API and Python's builtins (never archdsl's registry or codegen).
"""

from __future__ import annotations

import builtins

import torch
import torch.nn.functional as F
from torch import nn


class OracleError(Exception):
    """The program, as the interpreter reads it, cannot run (torch or Python would
    refuse it): a spec `check` accepted should never get here."""


#: Python's builtins a spec may call at build time (and some in forward).
BUILTINS = {
    name: getattr(builtins, name)
    for name in ("range", "len", "min", "max", "abs", "int", "float", "zip",
                 "enumerate", "str", "sum", "round")
}  # fmt: skip


def _pad_like(input: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """U-Net's centre pad: zeros around `input` up to `other`'s last two sizes."""
    rows = other.shape[-2] - input.shape[-2]
    cols = other.shape[-1] - input.shape[-1]
    top, left = rows // 2, cols // 2
    return F.pad(input, (left, cols - left, top, rows - top))


def _squeeze(input, dim=None):
    return torch.squeeze(input) if dim is None else torch.squeeze(input, dim)


def _mean(input, dim=None, keepdim=False):
    if dim is None:
        if keepdim:
            raise OracleError("torch.mean takes keepdim only with dim")
        return torch.mean(input)
    return torch.mean(input, dim, keepdim=keepdim)


# The tensor operations `forward` may call, by the language's name.
TENSOR_OPS = {
    "cat": lambda tensors, dim=0: torch.cat(tuple(tensors), dim=dim),
    "stack": lambda tensors, dim=0: torch.stack(tuple(tensors), dim=dim),
    "flatten": lambda input, start_dim=0, end_dim=-1: torch.flatten(
        input, start_dim, end_dim
    ),
    "unsqueeze": lambda input, dim: torch.unsqueeze(input, dim),
    "squeeze": _squeeze,
    "reshape": lambda input, shape: torch.reshape(input, tuple(shape)),
    "permute": lambda input, dims: torch.permute(input, tuple(dims)),
    "transpose": lambda input, dim0, dim1: torch.transpose(input, dim0, dim1),
    "mean": _mean,
    "softmax": lambda input, dim: torch.softmax(input, dim),
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "interpolate": F.interpolate,
    "adaptive_avg_pool2d": F.adaptive_avg_pool2d,
    "pad_like": _pad_like,
    "chunk": lambda input, chunks, dim=0: torch.chunk(input, chunks, dim),
    "split": lambda tensor, split_size_or_sections, dim=0: torch.split(
        tensor, split_size_or_sections, dim
    ),
    "unbind": lambda input, dim=0: torch.unbind(input, dim),
    "size": lambda input, dim=None: input.size() if dim is None else input.size(dim),
    "view": lambda input, size: input.view(tuple(size)),
    "expand": lambda input, size: input.expand(tuple(size)),
    "contiguous": lambda input: input.contiguous(),
    "dropout": F.dropout,
    "layer_norm": F.layer_norm,
    "avg_pool2d": F.avg_pool2d,
    "max_pool2d": F.max_pool2d,
}

BINOPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "%": lambda a, b: a % b,
    "**": lambda a, b: a**b,
}
COMPARE = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
UNARY = {"-": lambda v: -v, "+": lambda v: +v, "not": lambda v: not v}


def _fill(method: str):
    return lambda tensor, *args, **kwargs: getattr(tensor, method)(*args, **kwargs)


#: Parameter and Buffer members: the tensor factories and in-place fills they use.
STATE_FUNCTIONS = {
    "Parameter": nn.Parameter,
    "Buffer": nn.Buffer,
    **{
        name: getattr(torch, name)
        for name in ("zeros", "ones", "empty", "full", "rand", "randn")
    },  # fmt: skip
    **{name: _fill(name) for name in ("normal_", "uniform_", "fill_", "zero_")},
}


def layer_type(name: str) -> type[nn.Module] | None:
    """A `torch.nn` or `torchvision.ops` layer class by name, or None."""
    layer = getattr(nn, name, None)
    if not (isinstance(layer, type) and issubclass(layer, nn.Module)):
        import torchvision.ops

        layer = getattr(torchvision.ops, name, None)
    if isinstance(layer, type) and issubclass(layer, nn.Module):
        return layer
    return None
