"""The layer registry: one entry per torch.nn layer archdsl knows.

Signatures come from the generated table `nn_signatures.py` (checked against the
installed torch by tests/test_nn_signatures.py); this file adds what a signature
cannot say: how many tensors the layer's forward takes and how to spell it.
"""

from __future__ import annotations

from functools import cache

from ..records import dataclass, replace
from .nn_signatures import NN_SIGNATURES
from .signature import Signature
from .tensor_ops import INTERPOLATION_MODES
from .vision_ops import VISION_SIGNATURES

#: Containers: their children hold the parameters and the shape rules (none of
#: their own); Sequential's keyword arguments and ModuleDict's keys name children.
CONTAINERS = frozenset({"Sequential", "ModuleList", "ModuleDict"})

#: Containers holding their children in order: a forward loops over them, a body
#: appends to them (a ModuleDict's children go by key: check/forward_dicts.py).
SEQUENCES = frozenset({"Sequential", "ModuleList"})

#: Layers whose forward takes more than one tensor.
FORWARD_INPUTS = {"Bilinear": 2, "MultiheadAttention": 3, "TransformerDecoderLayer": 2}

#: Layers whose forward returns a tuple: MultiheadAttention gives (output, weights).
FORWARD_OUTPUTS = {"MultiheadAttention": 2}

#: Containers that are not callable themselves (index or iterate them instead).
NOT_CALLABLE = frozenset({"ModuleList", "ModuleDict"})


#: String arguments whose allowed values torch checks at run time rather than in
#: a Literal annotation (so the generated table cannot say them): a misspelt one
#: gets a did-you-mean from the checker instead of an error when the model runs.
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Upsample", "mode"): INTERPOLATION_MODES,
    ("GELU", "approximate"): ("none", "tanh"),
    **{(f"Conv{n}d", "padding"): ("same", "valid") for n in (1, 2, 3)},
    ("TransformerEncoderLayer", "activation"): ("relu", "gelu"),
    ("TransformerDecoderLayer", "activation"): ("relu", "gelu"),
}


def _signature(name: str, rows: tuple[tuple, ...]) -> Signature:
    sig = Signature.from_table(rows, named_children=name == "Sequential")
    params = tuple(
        replace(p, choices=CHOICES[name, p.name]) if (name, p.name) in CHOICES else p
        for p in sig.params
    )
    return replace(sig, params=params)


@dataclass(frozen=True)
class Layer:
    name: str
    signature: Signature
    inputs: int = 1
    outputs: int = 1
    #: where generated code finds it: torch's `nn` or torchvision's `ops`
    namespace: str = "nn"

    @property
    def python(self) -> str:
        """How generated code spells the constructor."""
        return f"{self.namespace}.{self.name}"

    @property
    def callable(self) -> bool:
        return self.name not in NOT_CALLABLE


@cache
def layer(name: str) -> Layer | None:
    """The layer called `name`, built from its table row on the first lookup: a
    check builds only the layers its spec names, not the registry's ~80 (a cold
    `archdsl check`, issue 15). torchvision.ops's table wins a name in both."""
    if name in VISION_SIGNATURES:
        return Layer(name, _signature(name, VISION_SIGNATURES[name]), namespace="ops")
    if name in NN_SIGNATURES:
        return Layer(
            name,
            _signature(name, NN_SIGNATURES[name]),
            FORWARD_INPUTS.get(name, 1),
            FORWARD_OUTPUTS.get(name, 1),
        )
    return None


@cache
def layers() -> dict[str, Layer]:
    """Every layer, by name (for listings and suggestions)."""
    return {name: layer(name) for name in {**NN_SIGNATURES, **VISION_SIGNATURES}}


#: The constructor argument that fixes the size a layer's input must have, and at
#: which dimension (tests/test_ops.py feeds each layer a tensor of that size).
INPUT_FEATURES: dict[str, tuple[str, int]] = {
    "Linear": ("in_features", -1),
    "Bilinear": ("in1_features", -1),
    **{f"Conv{d}d": ("in_channels", 1) for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": ("in_channels", 1) for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": ("num_features", 1) for d in (1, 2, 3)},
    **{f"InstanceNorm{d}d": ("num_features", 1) for d in (1, 2, 3)},
    "GroupNorm": ("num_channels", 1),
}

#: The constructor argument that fixes the size of a layer's output, and where.
OUTPUT_FEATURES: dict[str, tuple[str, int]] = {
    "Linear": ("out_features", -1),
    "Bilinear": ("out_features", -1),
    **{f"Conv{d}d": ("out_channels", 1) for d in (1, 2, 3)},
    **{f"ConvTranspose{d}d": ("out_channels", 1) for d in (1, 2, 3)},
    **{f"BatchNorm{d}d": ("num_features", 1) for d in (1, 2, 3)},
    **{f"InstanceNorm{d}d": ("num_features", 1) for d in (1, 2, 3)},
    "GroupNorm": ("num_channels", 1),
}

#: Layers whose output has the shape of their input: a check looking for what the
#: first layer of a Sequential expects looks past them.
SHAPE_PRESERVING = frozenset(
    {
        "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU",
        "Mish", "Sigmoid", "Tanh", "Hardswish", "Hardsigmoid", "Hardtanh", "Softplus",
        "Softsign", "Tanhshrink",
    }
)  # fmt: skip

#: Layers whose backward reads their own output, which autograd keeps: changing that
#: output in place makes the first training step fail ("modified by an inplace
#: operation"). The second set does so only when built with inplace=True. Both are
#: measured against torch for every registry layer (tests/test_inplace_semantics.py).
SAVES_OUTPUT = frozenset(
    {"LogSoftmax", "ReLU", "Sigmoid", "Softmax", "Softmax2d", "Tanh"}
)
SAVES_OUTPUT_INPLACE = frozenset({"CELU", "ELU", "LeakyReLU", "ReLU", "SELU"})

#: Layers that take any channel or feature count: a replaced layer followed only by
#: these (SqueezeNet's `classifier.1`, then ReLU and pooling) chooses the output.
SIZE_AGNOSTIC = (
    (SHAPE_PRESERVING - {"PReLU"})
    | {
        f"{kind}{n}d"
        for kind in ("MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool")
        for n in (1, 2, 3)
    }
    | {"Flatten"}
)
