"""The op registry is complete and speaks torch's language."""

from __future__ import annotations

import pytest
from conftest import torch_layer

from archdsl import ir
from archdsl.check.exprs import ExprChecker
from archdsl.codegen.exprs import ExprWriter
from archdsl.ops import TENSOR_OPS, layers
from archdsl.ops.module_attributes import MODULE_ATTRIBUTES

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("kind", ir.EXPR_KINDS)
def test_every_expression_kind_has_a_checker_and_an_emitter(kind):
    assert hasattr(ExprChecker, f"_{kind}")
    assert hasattr(ExprWriter, f"_{kind}")


def test_expr_kinds_list_is_complete():
    kinds = {cls.model_fields["kind"] for cls in ir.Expr.__args__}
    assert kinds == set(ir.EXPR_KINDS)


@pytest.mark.parametrize("name", sorted(layers()))
def test_every_layer_is_spelled_as_torch_nn(name):
    """torch.nn's layers as `nn.X`, torchvision.ops's as `ops.X`."""
    namespace = layers()[name].namespace
    assert layers()[name].python == f"{namespace}.{name}"
    assert torch_layer(name).__name__ == name
    assert torch_layer(name).__module__.startswith(
        "torch.nn" if namespace == "nn" else "torchvision.ops"
    )


# One call per op, with every parameter passed by the registry's keyword names,
# so a renamed torch parameter fails here.
x = torch.randn(2, 3, 4, 5)
OP_CALLS = {
    "cat": dict(tensors=[x, x], dim=1),
    "stack": dict(tensors=[x, x], dim=0),
    "flatten": dict(input=x, start_dim=1, end_dim=-1),
    "unsqueeze": dict(input=x, dim=1),
    "squeeze": dict(input=x[:, :1], dim=1),
    "reshape": dict(input=x, shape=(2, -1)),
    "permute": dict(input=x, dims=(0, 2, 3, 1)),
    "transpose": dict(input=x, dim0=1, dim1=2),
    "mean": dict(input=x, dim=(2, 3), keepdim=True),
    "softmax": dict(input=x, dim=1),
    "relu": dict(input=x),
    "sigmoid": dict(input=x),
    "tanh": dict(input=x),
    "interpolate": dict(
        input=x, size=None, scale_factor=2.0, mode="nearest", align_corners=None
    ),
    "adaptive_avg_pool2d": dict(input=x, output_size=(1, 1)),
    "max_pool2d": dict(
        input=x, kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True
    ),
    "avg_pool2d": dict(
        input=x,
        kernel_size=3,
        stride=1,
        padding=1,
        ceil_mode=False,
        count_include_pad=False,
        divisor_override=None,
    ),
    "chunk": dict(input=x, chunks=2, dim=1),
    "split": dict(tensor=x, split_size_or_sections=[1, 2], dim=1),
    "unbind": dict(input=x, dim=1),
    "size": dict(input=x, dim=1),
    "view": dict(input=x, size=(2, -1)),
    "expand": dict(input=x[:, :1], size=(2, 3, 4, 5)),
    "contiguous": dict(input=x),
    "dropout": dict(input=x, p=0.5, training=False, inplace=False),
    "layer_norm": dict(
        input=x, normalized_shape=[5], weight=torch.ones(5), bias=None, eps=1e-6
    ),
}


def test_every_op_has_a_call():
    assert set(OP_CALLS) | {"pad_like"} == set(TENSOR_OPS)


@pytest.mark.parametrize("name", sorted(OP_CALLS))
def test_op_parameters_are_torch_keywords(name):
    import torch.nn.functional as F

    op = TENSOR_OPS[name]
    kwargs = dict(OP_CALLS[name])
    assert list(kwargs) == [p.name for p in op.signature.params]
    if op.method:  # a tensor method: the tensor is `self`, the rest are keywords
        result = getattr(kwargs.pop("input"), op.python)(**kwargs)
    else:
        module, attr = op.python.split(".")
        result = getattr({"torch": torch, "F": F}[module], attr)(**kwargs)
    results = result if op.gives == "tensors" else [result]
    wanted = int if op.gives == "sizes" else torch.Tensor
    assert all(isinstance(r, wanted) for r in results)


def test_module_attribute_table_covers_torch():
    actual = {
        n
        for n in set(dir(torch.nn.Module)) | set(vars(torch.nn.Module()))
        if not n.startswith("_")
    }
    assert actual <= MODULE_ATTRIBUTES
