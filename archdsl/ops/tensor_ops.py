"""The tensor operations `forward` may use, as data: signature and spelling.

Parameter names are torch's own (tests/test_ops.py calls each op through torch with
these keywords), so generated calls pass user keywords through unchanged.
"""

from __future__ import annotations

from ..records import dataclass
from .signature import REQUIRED, ParamSpec, Signature

T = ("tensor",)
INT = ("int",)
DIMS = ("int", "tuple", "list", "none")

#: What F.interpolate (and so nn.Upsample) accepts as `mode`.
INTERPOLATION_MODES = (
    "nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact",
)  # fmt: skip


@dataclass(frozen=True)
class TensorOp:
    name: str
    python: str  # what generated code calls
    signature: Signature
    needs_functional: bool = False  # uses `F.` in generated code
    helper: str | None = None  # a module-level helper the generated code defines
    #: (given, companion): torch has no form taking `given` without `companion`
    #: (`torch.mean(x, keepdim=False)` is a TypeError), so when a spec passes the
    #: first and not the second, generated code writes the second's default too
    companions: tuple[tuple[str, str], ...] = ()
    #: its backward reads its output (see layers.SAVES_OUTPUT)
    saves_output: bool = False
    #: torch has it as a tensor method only: generated code writes `x.view(...)`
    method: bool = False
    #: what it gives: "tensor", "tensors" (`chunk`: several, unpacked or indexed)
    #: or "sizes" (`size(x)`: run-time ints)
    gives: str = "tensor"


def _op(name: str, python: str, *params: ParamSpec, **extra: object) -> TensorOp:
    return TensorOp(name, python, Signature(params), **extra)  # type: ignore[arg-type]


def _p(
    name: str,
    types: tuple[str, ...],
    default: object = REQUIRED,
    choices: tuple[str, ...] | None = None,
) -> ParamSpec:
    return ParamSpec(name, "pos", default, types, choices)


TENSOR_OPS: dict[str, TensorOp] = {
    op.name: op
    for op in (
        _op("cat", "torch.cat", _p("tensors", ("tensors",)), _p("dim", INT, 0)),
        _op("stack", "torch.stack", _p("tensors", ("tensors",)), _p("dim", INT, 0)),
        _op(
            "flatten",
            "torch.flatten",
            _p("input", T),
            _p("start_dim", INT, 0),
            _p("end_dim", INT, -1),
        ),
        _op("unsqueeze", "torch.unsqueeze", _p("input", T), _p("dim", INT)),
        # no "none": torch.squeeze(x, None) is a TypeError; leave `dim` out instead
        _op("squeeze", "torch.squeeze", _p("input", T), _p("dim", DIMS[:3], None)),
        _op("reshape", "torch.reshape", _p("input", T), _p("shape", ("tuple", "list"))),
        _op("permute", "torch.permute", _p("input", T), _p("dims", ("tuple", "list"))),
        _op(
            "transpose",
            "torch.transpose",
            _p("input", T),
            _p("dim0", INT),
            _p("dim1", INT),
        ),
        _op(
            "mean",
            "torch.mean",
            _p("input", T),
            _p("dim", DIMS, None),
            _p("keepdim", ("bool",), False),
            companions=(("keepdim", "dim"),),
        ),
        _op(
            "softmax",
            "torch.softmax",
            _p("input", T),
            _p("dim", INT),
            saves_output=True,
        ),
        _op("relu", "torch.relu", _p("input", T), saves_output=True),
        _op("sigmoid", "torch.sigmoid", _p("input", T), saves_output=True),
        _op("tanh", "torch.tanh", _p("input", T), saves_output=True),
        _op(
            "interpolate",
            "F.interpolate",
            _p("input", T),
            _p("size", ("int", "tuple", "list", "none"), None),
            _p("scale_factor", ("float", "tuple", "list", "none"), None),
            _p("mode", ("str",), "nearest", INTERPOLATION_MODES),
            _p("align_corners", ("bool", "none"), None),
            needs_functional=True,
        ),
        _op(
            "adaptive_avg_pool2d",
            "F.adaptive_avg_pool2d",
            _p("input", T),
            _p("output_size", ("int", "tuple", "list")),
            needs_functional=True,
        ),
        # Inception's functional pools (F.max_pool2d(x, 3, stride=2)): MaxPool2d's
        # and AvgPool2d's arguments and shape rules, without return_indices
        _op(
            "max_pool2d",
            "F.max_pool2d",
            _p("input", T),
            _p("kernel_size", ("int", "tuple", "list")),
            _p("stride", ("int", "tuple", "list", "none"), None),
            _p("padding", ("int", "tuple", "list"), 0),
            _p("dilation", ("int", "tuple", "list"), 1),
            _p("ceil_mode", ("bool",), False),
            needs_functional=True,
        ),
        _op(
            "avg_pool2d",
            "F.avg_pool2d",
            _p("input", T),
            _p("kernel_size", ("int", "tuple", "list")),
            _p("stride", ("int", "tuple", "list", "none"), None),
            _p("padding", ("int", "tuple", "list"), 0),
            _p("ceil_mode", ("bool",), False),
            _p("count_include_pad", ("bool",), True),
            _p("divisor_override", ("int", "none"), None),
            needs_functional=True,
        ),
        _op(
            "chunk",
            "torch.chunk",
            _p("input", T),
            _p("chunks", INT),
            _p("dim", INT, 0),
            gives="tensors",
        ),  # fmt: skip
        _op(
            "split",
            "torch.split",
            _p("tensor", T),
            _p("split_size_or_sections", ("int", "list", "tuple")),
            _p("dim", INT, 0),
            gives="tensors",
        ),  # fmt: skip
        _op(
            "unbind", "torch.unbind", _p("input", T), _p("dim", INT, 0), gives="tensors"
        ),  # fmt: skip
        _op(
            "size",
            "size",
            _p("input", T),
            _p("dim", ("int", "none"), None),
            method=True,
            gives="sizes",
        ),  # fmt: skip
        _op(
            "view", "view", _p("input", T), _p("size", ("tuple", "list")), method=True
        ),  # fmt: skip
        _op(
            "expand",
            "expand",
            _p("input", T),
            _p("size", ("tuple", "list")),
            method=True,
        ),  # fmt: skip
        _op("contiguous", "contiguous", _p("input", T), method=True),
        _op(
            "dropout",
            "F.dropout",
            _p("input", T),
            _p("p", ("float",), 0.5),
            _p("training", ("bool",), True),
            _p("inplace", ("bool",), False),
            needs_functional=True,
        ),  # fmt: skip
        # torchvision's LayerNorm2d (ConvNeXt): its own weight and bias parameters
        _op(
            "layer_norm",
            "F.layer_norm",
            _p("input", T),
            _p("normalized_shape", ("tuple", "list")),
            _p("weight", ("tensor", "none"), None),
            _p("bias", ("tensor", "none"), None),
            _p("eps", ("float",), 1e-05),
            needs_functional=True,
        ),
        # U-Net's Up: zero-pad `input` around its centre to `other`'s height and width.
        _op("pad_like", "pad_like", _p("input", T), _p("other", T), helper="pad_like"),
    )
}
