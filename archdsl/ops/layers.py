"""The layer registry: one entry per torch.nn layer archdsl knows.

Signatures come from the generated table `nn_signatures.py` (checked against the
installed torch by tests/test_nn_signatures.py); this file adds what a signature
cannot say: how many tensors the layer's forward takes and how to spell it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .nn_signatures import NN_SIGNATURES
from .signature import Signature

#: Containers whose keyword arguments name children rather than parameters.
CONTAINERS = frozenset({"Sequential", "ModuleList"})

#: Layers whose forward takes more than one tensor.
FORWARD_INPUTS = {"Bilinear": 2, "MultiheadAttention": 3, "TransformerDecoderLayer": 2}

#: Containers that are not callable themselves (index or iterate them instead).
NOT_CALLABLE = frozenset({"ModuleList"})


@dataclass(frozen=True)
class Layer:
    name: str
    signature: Signature
    inputs: int = 1

    @property
    def python(self) -> str:
        """How generated code spells the constructor."""
        return f"nn.{self.name}"

    @property
    def callable(self) -> bool:
        return self.name not in NOT_CALLABLE


@cache
def layers() -> dict[str, Layer]:
    return {
        name: Layer(
            name,
            Signature.from_table(rows, named_children=name == "Sequential"),
            FORWARD_INPUTS.get(name, 1),
        )
        for name, rows in NN_SIGNATURES.items()
    }


def layer(name: str) -> Layer | None:
    return layers().get(name)
