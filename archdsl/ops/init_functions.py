"""The `torch.nn.init` functions an `init { ... }` rule may call, as data.

Rows are in the format of `nn_signatures.py` (name, kind, default, types, choices);
tests/test_init.py checks them against the installed torch. The first parameter,
`tensor`, is the parameter or buffer of the matched module that the function fills.
"""

from __future__ import annotations

from .nn_signatures import REQUIRED

_TENSOR = ("tensor", "pos", REQUIRED, ("any",), None)
_GENERATOR = ("generator", "pos", None, ("any", "none"), None)
_NONLINEARITIES = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu",
)  # fmt: skip
_KAIMING = (
    _TENSOR,
    ("a", "pos", 0, ("float",), None),
    ("mode", "pos", "fan_in", ("str",), ("fan_in", "fan_out")),
    ("nonlinearity", "pos", "leaky_relu", ("str",), _NONLINEARITIES),
    _GENERATOR,
)

INIT_SIGNATURES: dict[str, tuple[tuple, ...]] = {
    "uniform_": (
        _TENSOR,
        ("a", "pos", 0.0, ("float",), None),
        ("b", "pos", 1.0, ("float",), None),
        _GENERATOR,
    ),
    "normal_": (
        _TENSOR,
        ("mean", "pos", 0.0, ("float",), None),
        ("std", "pos", 1.0, ("float",), None),
        _GENERATOR,
    ),
    "trunc_normal_": (
        _TENSOR,
        ("mean", "pos", 0.0, ("float",), None),
        ("std", "pos", 1.0, ("float",), None),
        ("a", "pos", -2.0, ("float",), None),
        ("b", "pos", 2.0, ("float",), None),
        _GENERATOR,
    ),
    "constant_": (_TENSOR, ("val", "pos", REQUIRED, ("float",), None)),
    "ones_": (_TENSOR,),
    "zeros_": (_TENSOR,),
    "eye_": (_TENSOR,),
    "dirac_": (_TENSOR, ("groups", "pos", 1, ("int",), None)),
    "xavier_uniform_": (_TENSOR, ("gain", "pos", 1.0, ("float",), None), _GENERATOR),
    "xavier_normal_": (_TENSOR, ("gain", "pos", 1.0, ("float",), None), _GENERATOR),
    "kaiming_uniform_": _KAIMING,
    "kaiming_normal_": _KAIMING,
    "orthogonal_": (_TENSOR, ("gain", "pos", 1, ("float",), None), _GENERATOR),
    "sparse_": (
        _TENSOR,
        ("sparsity", "pos", REQUIRED, ("float",), None),
        ("std", "pos", 0.01, ("float",), None),
        _GENERATOR,
    ),
}

#: The parameters and buffers of registry layers that a rule may name; a layer not
#: listed is not refused (its tensors are not known by name here).
_AFFINE = ("weight", "bias")
_RUNNING = ("running_mean", "running_var", "num_batches_tracked")
LAYER_TENSORS: dict[str, tuple[str, ...]] = {
    **{f"Conv{d}d": _AFFINE for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": _AFFINE for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": _AFFINE + _RUNNING for d in (1, 2, 3)},
    **{f"InstanceNorm{d}d": _AFFINE + _RUNNING for d in (1, 2, 3)},
    "Linear": _AFFINE,
    "Bilinear": _AFFINE,
    "LayerNorm": _AFFINE,
    "GroupNorm": _AFFINE,
    "Embedding": ("weight",),
    "PReLU": ("weight",),
    "MultiheadAttention": ("in_proj_weight", "in_proj_bias", "q_proj_weight",
                           "k_proj_weight", "v_proj_weight", "bias_k", "bias_v"),
}  # fmt: skip

#: Tensors that are None when the layer was built without them (`bias=False`,
#: `affine=False`): generated code guards them with `if m.bias is not None:`, as
#: torchvision does, so one rule serves layers with and without them.
OPTIONAL_TENSORS = frozenset({"bias"})
