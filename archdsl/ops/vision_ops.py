"""The torchvision.ops layers classification networks use, beside torch.nn's.

Signatures in the format of `nn_signatures.py`, checked against the installed
torchvision by tests/test_vision_ops.py. A parameter that takes a layer type
(`activation=ReLU`) has the type "class", as a `module` parameter of a spec does.
Generated code spells them `ops.StochasticDepth(...)` with
`from torchvision import ops`.
"""

from __future__ import annotations

from .nn_signatures import OPAQUE, REQUIRED

VISION_SIGNATURES: dict[str, tuple[tuple, ...]] = {
    "StochasticDepth": (
        ("p", "pos", REQUIRED, ("float",), None),
        ("mode", "pos", REQUIRED, ("str",), ("batch", "row")),
    ),
    "SqueezeExcitation": (
        ("input_channels", "pos", REQUIRED, ("int",), None),
        ("squeeze_channels", "pos", REQUIRED, ("int",), None),
        ("activation", "pos", OPAQUE, ("class",), None),
        ("scale_activation", "pos", OPAQUE, ("class",), None),
    ),
    "Permute": (("dims", "pos", REQUIRED, ("list[int]", "tuple"), None),),
    "FrozenBatchNorm2d": (
        ("num_features", "pos", REQUIRED, ("int",), None),
        ("eps", "pos", 1e-05, ("float",), None),
    ),
}

#: The defaults the table shows as OPAQUE (layer types), by their torch.nn names.
CLASS_DEFAULTS = {
    ("SqueezeExcitation", "activation"): "ReLU",
    ("SqueezeExcitation", "scale_activation"): "Sigmoid",
}
