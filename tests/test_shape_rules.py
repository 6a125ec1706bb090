"""Every layer and op in the registry has a shape rule, and each rule (and each
parameter rule) gives what torch gives, on inputs chosen to exercise its arithmetic:
strides, padding, dilation, ceil_mode, groups, odd sizes."""

from __future__ import annotations

import pytest
from conftest import torch_layer

from archdsl.ops import TENSOR_OPS, layers
from archdsl.ops.layers import CONTAINERS
from archdsl.ops.shapes import (
    ARGUMENT_RULES,
    LAYER_SHAPES,
    OP_SHAPES,
    PARAMETERS,
    UNKNOWN,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
    broadcast,
    check_arguments,
)
from archdsl.ops.signature import bind_arguments
from archdsl.shapes import dims

torch = pytest.importorskip("torch")
nn = torch.nn

# layer -> (constructor keywords, input shapes)
LAYER_SAMPLES: dict[str, tuple[dict, list[tuple[int, ...]]]] = {
    "StochasticDepth": (dict(p=0.5, mode="row"), [(2, 3, 4, 5)]),
    "SqueezeExcitation": (dict(input_channels=6, squeeze_channels=2), [(2, 6, 5, 7)]),
    "Permute": (dict(dims=[0, 2, 3, 1]), [(2, 3, 4, 5)]),
    "FrozenBatchNorm2d": (dict(num_features=3), [(2, 3, 4, 5)]),
    "Conv1d": (dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1), [(2, 4, 17)]),
    "Conv2d": (
        dict(in_channels=4, out_channels=6, kernel_size=(3, 5), stride=(2, 1),
             padding=(1, 2), dilation=(1, 2), groups=2, bias=False),
        [(2, 4, 17, 19)],
    ),
    "Conv3d": (dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding="valid"), [(1, 2, 9, 10, 11)]),
    "ConvTranspose1d": (
        dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1),
        [(2, 4, 17)],
    ),
    "ConvTranspose2d": (
        dict(in_channels=4, out_channels=2, kernel_size=(2, 3), stride=2, dilation=2, groups=2),
        [(1, 4, 5, 6)],
    ),
    "ConvTranspose3d": (dict(in_channels=2, out_channels=3, kernel_size=2, stride=2), [(1, 2, 3, 4, 5)]),
    "MaxPool1d": (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [(2, 4, 18)]),
    "MaxPool2d": (dict(kernel_size=3, stride=2, ceil_mode=True, dilation=2), [(2, 4, 17, 18)]),
    "MaxPool3d": (dict(kernel_size=2), [(1, 2, 9, 10, 11)]),
    "AvgPool1d": (dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [(2, 4, 17)]),
    "AvgPool2d": (dict(kernel_size=2), [(2, 4, 7, 9)]),
    "AvgPool3d": (dict(kernel_size=3, stride=2, padding=1), [(1, 2, 9, 10, 11)]),
    "AdaptiveAvgPool1d": (dict(output_size=5), [(2, 4, 17)]),
    "AdaptiveAvgPool2d": (dict(output_size=(3, None)), [(2, 4, 17, 9)]),
    "AdaptiveAvgPool3d": (dict(output_size=2), [(1, 2, 9, 10, 11)]),
    "AdaptiveMaxPool1d": (dict(output_size=5), [(2, 4, 17)]),
    "AdaptiveMaxPool2d": (dict(output_size=(1, 1)), [(2, 4, 17, 9)]),
    "AdaptiveMaxPool3d": (dict(output_size=2), [(1, 2, 9, 10, 11)]),
    "BatchNorm1d": (dict(num_features=4), [(2, 4, 7)]),
    "BatchNorm2d": (dict(num_features=4), [(2, 4, 5, 6)]),
    "BatchNorm3d": (dict(num_features=4, affine=False), [(2, 4, 3, 5, 6)]),
    "InstanceNorm1d": (dict(num_features=4, affine=True), [(2, 4, 7)]),
    "InstanceNorm2d": (dict(num_features=4), [(2, 4, 5, 6)]),
    "InstanceNorm3d": (dict(num_features=4, affine=True), [(2, 4, 3, 5, 6)]),
    "GroupNorm": (dict(num_groups=2, num_channels=4), [(2, 4, 5, 6)]),
    "LayerNorm": (dict(normalized_shape=[5, 6]), [(2, 4, 5, 6)]),
    "LocalResponseNorm": (dict(size=2), [(2, 4, 5, 6)]),
    "Linear": (dict(in_features=6, out_features=3), [(2, 5, 6)]),
    "Bilinear": (dict(in1_features=4, in2_features=5, out_features=3), [(2, 4), (2, 5)]),
    "Embedding": (dict(num_embeddings=10, embedding_dim=4), [(2, 7)]),
    "Flatten": ({}, [(2, 3, 4, 5)]),
    "Unflatten": (dict(dim=1, unflattened_size=(2, 3)), [(2, 6, 5)]),
    "Upsample": (dict(scale_factor=2), [(1, 2, 5, 6)]),
    "UpsamplingNearest2d": (dict(scale_factor=3), [(1, 2, 5, 6)]),
    "UpsamplingBilinear2d": (dict(size=(8, 9)), [(1, 2, 5, 6)]),
    "ZeroPad2d": (dict(padding=(1, 2, 3, 4)), [(1, 2, 5, 6)]),
    "ConstantPad2d": (dict(padding=2, value=0.5), [(1, 2, 5, 6)]),
    "ReflectionPad2d": (dict(padding=1), [(1, 2, 5, 6)]),
    "ReplicationPad2d": (dict(padding=(1, 0, 2, 0)), [(1, 2, 5, 6)]),
    "PixelShuffle": (dict(upscale_factor=2), [(1, 8, 3, 4)]),
    "PixelUnshuffle": (dict(downscale_factor=2), [(1, 2, 4, 6)]),
    "ChannelShuffle": (dict(groups=2), [(1, 4, 3, 3)]),
    "MultiheadAttention": (dict(embed_dim=8, num_heads=2), [(5, 3, 8), (7, 3, 8), (7, 3, 8)]),
    "TransformerEncoderLayer": (dict(d_model=8, nhead=2, dim_feedforward=16), [(5, 3, 8)]),
    "TransformerDecoderLayer": (dict(d_model=8, nhead=2, dim_feedforward=16), [(5, 3, 8), (7, 3, 8)]),
    "PReLU": (dict(num_parameters=4), [(2, 4, 5)]),
    "Softmax": (dict(dim=1), [(2, 3, 4)]),
    "LogSoftmax": (dict(dim=1), [(2, 3, 4)]),
    "Threshold": (dict(threshold=0.1, value=0.0), [(2, 3, 4)]),
    "Hardtanh": ({}, [(2, 3, 4)]),
    "Dropout1d": ({}, [(2, 3, 4)]),
}  # fmt: skip
PLAIN = (2, 3, 4, 5)  # for the elementwise layers, built without arguments


def _sample(name: str) -> tuple[dict, list[tuple[int, ...]]]:
    return LAYER_SAMPLES.get(name, ({}, [PLAIN]))


def test_every_layer_has_a_shape_rule():
    # containers have no rule of their own: their children's rules compose
    assert set(layers()) == set(LAYER_SHAPES) | CONTAINERS
    assert not set(LAYER_SHAPES) & CONTAINERS


def test_argument_rules_are_for_real_layers():
    assert set(ARGUMENT_RULES) <= set(LAYER_SHAPES)


def test_every_op_has_a_shape_rule():
    assert set(TENSOR_OPS) == set(OP_SHAPES)


@pytest.mark.parametrize("name", sorted(LAYER_SHAPES))
def test_layer_rule_matches_torch(name):
    kwargs, shapes = _sample(name)
    module = torch_layer(name)(**kwargs).eval()
    inputs = [
        torch.randint(0, 10, s) if name == "Embedding" else torch.randn(s)
        for s in shapes
    ]
    args = _assert_rule_matches(name, kwargs, module, inputs)
    count = PARAMETERS[name](args) if name in PARAMETERS else 0
    assert count == sum(p.numel() for p in module.parameters())


def _assert_rule_matches(name, kwargs, module, inputs) -> dict:
    """The layer's rule gives the shapes `module` gives on `inputs`; returns the
    bound arguments."""
    with torch.no_grad():
        out = module(*inputs)
    args = bind_arguments(layers()[name].signature, [], kwargs)
    inferred = LAYER_SHAPES[name](args, *[tuple(t.shape) for t in inputs])
    if isinstance(out, tuple):
        assert list(inferred) == [tuple(o.shape) for o in out]
    else:
        assert tuple(inferred) == tuple(out.shape)
    return args


def _symbolic_variants(shapes):
    """Each input dim in turn replaced by a symbol `S` (its value: the sample's)."""
    for i, shape in enumerate(shapes):
        for axis, size in enumerate(shape):
            variant = [list(s) for s in shapes]
            variant[i][axis] = dims.symbol("S")
            yield [tuple(v) for v in variant], {"S": size}


@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [(name, *_sample(name)) for name in sorted(LAYER_SHAPES)],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_symbolic_sizes_give_what_the_sample_gives(name, kwargs, shapes):
    """With any one input size symbolic, a rule either says the output in terms of
    it, which evaluates to the concrete output, or needs that size known (a
    channel count). Once it silently gave up (a bool added to a symbolic size)."""
    args = bind_arguments(layers()[name].signature, [], kwargs)
    concrete = LAYER_SHAPES[name](args, *shapes)
    for variant, env in _symbolic_variants(shapes):
        try:
            inferred = LAYER_SHAPES[name](args, *variant)
        except (ShapeDepends, Unknowable):
            continue  # this size must equal an argument, or decides the rank
        flat = inferred if isinstance(inferred[0], tuple) else [inferred]
        expected = concrete if isinstance(concrete[0], tuple) else [concrete]
        for got, want in zip(flat, expected, strict=True):
            values = [d if d is UNKNOWN else dims.evaluate(d, env) for d in got]
            assert all(v in (UNKNOWN, w) for v, w in zip(values, want, strict=True)), (
                variant,
                got,
                want,
            )


# More cases per layer, each once a bug: the rule must still give torch's shapes.
EDGE_CASES = [
    ("Unflatten", dict(dim=1, unflattened_size=(2, -1)), [(2, 6)]),
    ("MultiheadAttention", dict(embed_dim=8, num_heads=2, add_bias_kv=True,
                                add_zero_attn=True, batch_first=True),
     [(3, 5, 8), (3, 7, 8), (3, 7, 8)]),
    ("MultiheadAttention", dict(embed_dim=8, num_heads=2, kdim=4, vdim=6),
     [(5, 3, 8), (7, 3, 4), (7, 3, 6)]),
    ("PixelShuffle", dict(upscale_factor=2), [(2, 2, 8, 3, 4)]),
    ("MaxPool2d", dict(kernel_size=2, return_indices=True), [(1, 2, 5, 7)]),
    ("AdaptiveMaxPool2d", dict(output_size=3, return_indices=True), [(1, 2, 5, 7)]),
    ("Conv2d", dict(in_channels=2, out_channels=4, kernel_size=3, padding="same",
                    dilation=2), [(1, 2, 9, 8)]),
    ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), [(1, 1, 6, 7)]),
]  # fmt: skip


@pytest.mark.parametrize("name, kwargs, shapes", EDGE_CASES, ids=lambda v: str(v)[:30])
def test_layer_edge_cases_match_torch(name, kwargs, shapes):
    module = torch_layer(name)(**kwargs).eval()
    _assert_rule_matches(name, kwargs, module, [torch.randn(s) for s in shapes])


CONV = dict(in_channels=3, out_channels=8, kernel_size=3)


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        (
            "Conv2d",
            dict(
                in_channels=3, out_channels=4, kernel_size=3, padding="same", stride=2
            ),
            (1, 3, 8, 8),
        ),
        ("Dropout1d", {}, (1, 3, 4, 4)),
        ("ReflectionPad2d", dict(padding=3), (1, 1, 3, 8)),
        ("Softmax", dict(dim=3), (1, 3, 4)),
        ("Softmax2d", {}, (3, 4)),
        ("Unflatten", dict(dim=1, unflattened_size=(4, -1)), (2, 6)),
        ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3), (1, 5, 8, 8)),
        ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=5), (1, 3, 4, 8)),
        ("Linear", dict(in_features=6, out_features=3), (2, 5)),
        ("BatchNorm2d", dict(num_features=4), (2, 3, 5, 5)),
        ("MaxPool2d", dict(kernel_size=2), (1, 3, 1, 4)),
        ("LayerNorm", dict(normalized_shape=[5]), (2, 4)),
        ("GroupNorm", dict(num_groups=2, num_channels=4), (2, 6, 3)),
        ("PixelShuffle", dict(upscale_factor=2), (1, 6, 3, 3)),
        ("Unflatten", dict(dim=1, unflattened_size=(4, 4)), (2, 32)),
        (
            "Conv2d",
            dict(in_channels=3, out_channels=4, kernel_size=(3, 3, 3)),
            (1, 3, 8, 8),
        ),
        ("MaxPool2d", dict(kernel_size=2, stride=(2, 2, 2)), (1, 3, 8, 8)),
        ("MaxPool2d", dict(kernel_size=2, stride=2, padding=2), (1, 3, 8, 8)),
        ("AvgPool2d", dict(kernel_size=3, stride=1, padding=2), (1, 3, 8, 8)),
        (
            "ConvTranspose2d",
            dict(
                in_channels=8, out_channels=4, kernel_size=3, stride=2, output_padding=2
            ),
            (1, 8, 5, 5),
        ),  # fmt: skip
        (
            "Conv2d",
            dict(in_channels=3, out_channels=8, kernel_size=3, groups=2),
            (1, 3, 8, 8),
        ),  # fmt: skip
        ("GroupNorm", dict(num_groups=3, num_channels=8), (2, 8, 4, 4)),
        ("Upsample", dict(size=(16, 16), scale_factor=2.0), (1, 3, 8, 8)),
        ("Upsample", dict(scale_factor=2.0, mode="bilinear"), (1, 8, 5)),
        ("Upsample", dict(scale_factor=2.0, mode="linear"), (1, 8, 5, 5)),
        ("Conv2d", {**CONV, "padding": 2, "padding_mode": "reflect"}, (1, 3, 2, 2)),
        ("Conv2d", {**CONV, "padding": 3, "padding_mode": "circular"}, (1, 3, 2, 2)),
        ("InstanceNorm2d", dict(num_features=8), (2, 8, 1, 1)),
        ("PixelShuffle", dict(upscale_factor=0), (1, 4, 3, 3)),
        ("AvgPool3d", dict(kernel_size=3, stride=1, padding=1), (1, 4, 2, 5, 5)),
    ],
)
def test_a_rule_that_refuses_means_torch_refuses(name, kwargs, shape):
    args = bind_arguments(layers()[name].signature, [], kwargs)
    with pytest.raises(ShapeProblem):
        LAYER_SHAPES[name](args, shape)
    with pytest.raises((RuntimeError, ValueError, IndexError, NotImplementedError)):
        torch_layer(name)(**kwargs)(torch.randn(shape))


@pytest.mark.parametrize(
    "kwargs, shapes",
    [
        (dict(embed_dim=30, num_heads=4), [(5, 2, 30)] * 3),
        (dict(embed_dim=8, num_heads=2), [(5, 2, 8), (7, 2, 8), (6, 2, 8)]),
        (
            dict(embed_dim=8, num_heads=2, batch_first=True),
            [(2, 5, 8), (2, 7, 8), (2, 6, 8)],
        ),  # fmt: skip
    ],
)
def test_attention_refuses_what_torch_refuses(kwargs, shapes):
    args = bind_arguments(layers()["MultiheadAttention"].signature, [], kwargs)
    with pytest.raises(ShapeProblem):
        LAYER_SHAPES["MultiheadAttention"](args, *shapes)
    with pytest.raises((AssertionError, RuntimeError)):
        nn.MultiheadAttention(**kwargs)(*[torch.randn(s) for s in shapes])


def test_limits_that_torch_accepts_are_accepted():
    """The edges of the new refusals: torch runs these, so the rules must too."""
    cases = [
        ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2), (1, 3, 8, 8)),
        ("ConvTranspose2d", dict(in_channels=2, out_channels=2, kernel_size=3,
                                 stride=1, dilation=3, output_padding=2), (1, 2, 5, 5)),
        ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=3, padding=1,
                        padding_mode="reflect"), (1, 3, 2, 2)),
        ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=5, padding=2,
                        padding_mode="circular"), (1, 3, 2, 2)),
        ("InstanceNorm2d", dict(num_features=8, track_running_stats=True), (2, 8, 1, 1)),
    ]  # fmt: skip
    for name, kwargs, shape in cases:
        module = torch_layer(name)(**kwargs).eval()
        _assert_rule_matches(name, kwargs, module, [torch.randn(shape)])


x = (2, 3, 4, 5)
OP_SAMPLES = {
    "layer_norm": (dict(normalized_shape=[4, 5], eps=1e-6), [x]),
    "cat": (dict(dim=1), [[x, (2, 2, 4, 5)]]),
    "stack": (dict(dim=2), [[x, x, x]]),
    "flatten": (dict(start_dim=1, end_dim=2), [x]),
    "unsqueeze": (dict(dim=-1), [x]),
    "squeeze": ({}, [(2, 1, 4, 1)]),
    "reshape": (dict(shape=[2, -1, 5]), [x]),
    "permute": (dict(dims=[0, 2, 3, 1]), [x]),
    "transpose": (dict(dim0=1, dim1=-1), [x]),
    "mean": (dict(dim=[2, 3], keepdim=False), [x]),
    "softmax": (dict(dim=1), [x]),
    "relu": ({}, [x]),
    "sigmoid": ({}, [x]),
    "tanh": ({}, [x]),
    "interpolate": (dict(size=None, scale_factor=2.0, mode="nearest"), [x]),
    "adaptive_avg_pool2d": (dict(output_size=[2, 3]), [x]),
    "max_pool2d": (
        dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True),
        [(2, 3, 9, 10)],
    ),
    "avg_pool2d": (
        dict(
            kernel_size=3,
            stride=None,
            padding=1,
            ceil_mode=False,
            count_include_pad=True,
            divisor_override=None,
        ),
        [(2, 3, 9, 10)],
    ),
    "pad_like": ({}, [(2, 3, 4, 5), (2, 7, 9, 11)]),
    "chunk": (dict(chunks=2, dim=1), [x]),
    "split": (dict(split_size_or_sections=[1, 3], dim=2), [x]),
    "unbind": (dict(dim=-1), [x]),
    "size": ({}, [x]),
    "view": (dict(size=[6, -1]), [x]),
    "expand": (dict(size=[7, 2, 3, 4, 5]), [x]),
    "contiguous": ({}, [x]),
    "dropout": (dict(p=0.5), [x]),
}


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("mean", dict(dim=[1, -2]), (2, 3, 4)),
        ("softmax", dict(dim=2), (2, 3)),
        ("unsqueeze", dict(dim=3), (2, 8)),
        ("unsqueeze", dict(dim=-4), (2, 8)),
        ("transpose", dict(dim0=1, dim1=4), (2, 3, 4, 5)),
        ("interpolate", dict(size=(8, 8, 8)), (1, 3, 4, 4)),
        ("interpolate", dict(size=(8, 8), scale_factor=2.0), (1, 3, 4, 4)),
    ],
)
def test_an_op_that_refuses_means_torch_refuses(name, kwargs, shape):
    with pytest.raises(ShapeProblem):
        OP_SHAPES[name](kwargs, shape)
    module, attr = TENSOR_OPS[name].python.split(".")
    func = getattr({"torch": torch, "F": torch.nn.functional}[module], attr)
    with pytest.raises((RuntimeError, IndexError, ValueError)):
        func(torch.randn(shape), **kwargs)


def test_unsqueeze_takes_one_more_dim_than_the_input_has():
    for dim in (-3, 2):
        assert OP_SHAPES["unsqueeze"]({"dim": dim}, (2, 8)) == tuple(
            torch.randn(2, 8).unsqueeze(dim).shape
        )


def test_zero_d_and_empty_dims_follow_torch():
    scalar = torch.tensor(1.0)
    assert OP_SHAPES["softmax"]({"dim": -1}, ()) == tuple(
        torch.softmax(scalar, -1).shape
    )
    x = torch.randn(2, 3)
    assert OP_SHAPES["mean"]({"dim": []}, (2, 3)) == tuple(torch.mean(x, dim=[]).shape)


def test_every_op_has_a_sample():
    assert set(OP_SAMPLES) == set(OP_SHAPES)


@pytest.mark.parametrize("name", sorted(OP_SAMPLES))
def test_op_rule_matches_torch(name):
    from archdsl.codegen.module import PAD_LIKE

    kwargs, shapes = OP_SAMPLES[name]
    tensors = [
        [torch.randn(s) for s in shape]
        if isinstance(shape, list)
        else torch.randn(shape)
        for shape in shapes
    ]
    op = TENSOR_OPS[name]
    if name == "pad_like":
        scope: dict = {}
        exec(PAD_LIKE, {"F": torch.nn.functional, "Tensor": torch.Tensor}, scope)  # noqa: S102
        func = scope["pad_like"]
    elif op.method:  # `x.view(...)`: a tensor method only
        func = getattr(torch.Tensor, op.python)
    else:
        module, attr = op.python.split(".")
        func = getattr({"torch": torch, "F": torch.nn.functional}[module], attr)
    out = func(*tensors, **kwargs)
    inferred = OP_SHAPES[name](kwargs, *shapes)
    if op.gives == "sizes":  # the sizes themselves
        assert tuple(inferred) == tuple(out)
    elif op.gives == "tensors":  # several tensors, one shape each
        assert list(inferred) == [tuple(t.shape) for t in out]
    else:
        assert tuple(inferred) == tuple(out.shape)


@pytest.mark.parametrize(
    "a, b", [((2, 3, 4), (4,)), ((2, 1, 4), (3, 1)), ((5,), (2, 3, 5)), ((1,), (2, 2))]
)
def test_broadcast_matches_torch(a, b):
    assert broadcast(a, b) == tuple((torch.randn(a) + torch.randn(b)).shape)


def test_sizes_equal_for_some_inputs_warn_and_keep_the_shape():
    """`H` against `2*(H // 2)`: right for even H only, so a ShapeDepends (a
    warning) that still says what the shape is where the sizes do agree."""
    h = dims.symbol("H")
    x, y = (2, 8, h), (2, 8, 2 * dims.floordiv(h, 2))
    with pytest.raises(ShapeDepends) as joined:
        OP_SHAPES["cat"]({"dim": 1}, [x, y])
    assert joined.value.result == (2, 16, h)
    with pytest.raises(ShapeDepends) as added:
        broadcast(x, y)
    assert added.value.result == x
    with pytest.raises(ShapeDepends):  # H // 2 is 1 for H = 2 or 3: it broadcasts
        broadcast(x, (2, 8, dims.floordiv(h, 2)))
    assert torch.broadcast_shapes((2, 8, 3), (2, 8, 3 // 2)) == (2, 8, 3)
    with pytest.raises(ShapeProblem):  # neither is ever 1, and they never agree
        broadcast((2, 8, 2 * h), (2, 8, 2 * h + 2))


def test_broadcast_refuses_what_torch_refuses():
    with pytest.raises(ShapeProblem):
        broadcast((2, 3), (4, 3, 2))
    with pytest.raises(RuntimeError):
        torch.randn(2, 3) + torch.randn(4, 3, 2)


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("Linear", dict(in_features=4, out_features=-3), (2, 4)),
        ("Conv2d", dict(in_channels=3, out_channels=0, kernel_size=3), (1, 3, 8, 8)),
        ("Conv2d", dict(in_channels=3, out_channels=8, kernel_size=0), (1, 3, 8, 8)),
        ("Conv2d", {**CONV, "stride": 0}, (1, 3, 8, 8)),
        ("MaxPool2d", dict(kernel_size=2, stride=0), (1, 3, 8, 8)),
        ("BatchNorm2d", dict(num_features=-1), (1, 3, 8, 8)),
    ],
)
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_arguments_torch_refuses_are_refused(name, kwargs, shape):
    args = bind_arguments(layers()[name].signature, [], kwargs)
    with pytest.raises(ShapeProblem):
        check_arguments(name, args)
    with pytest.raises(RuntimeError):
        torch_layer(name)(**kwargs)(torch.randn(shape))


def test_an_empty_linear_is_allowed_as_in_torch():
    args = bind_arguments(
        layers()["Linear"].signature, [], dict(in_features=4, out_features=0)
    )
    check_arguments("Linear", args)
    assert LAYER_SHAPES["Linear"](args, (2, 4)) == (2, 0)


def test_a_base_models_elementwise_child_takes_any_rank():
    """ResNet's own `relu` was measured on [N, 64, H, W]; an `at` rewrite applies
    it to the pooled [N, 512] features, which torch's ReLU takes as it takes any
    rank. The check once refused it ("expects a 4-d input")."""
    pytest.importorskip("torchvision")
    import archdsl

    text = "model Net extends torchvision.resnet18() {\n    at fc(x) = fc(relu(x))\n}\n"
    assert archdsl.check(text=text) == []
    model = archdsl.load(text=text).Net().eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).shape == (2, 1000)


NORMS_SPEC = """
model Norms() {
    ln = LayerNorm(8, bias=False)
    gn = GroupNorm(2, 8, bias=False)
    bn = BatchNorm1d(8, bias=False)
    plain = BatchNorm1d(8, affine=False)
    inorm = InstanceNorm1d(8, affine=True, bias=False)
    attn = MultiheadAttention(8, 2, bias=False, add_bias_kv=True, kdim=4, vdim=6,
                              batch_first=True)
    conv = Conv1d(8, 8, 3, padding=1, bias=False, groups=2)
    fc = Linear(8, 8, bias=False)
    forward(x: [N, 8, 5], k: [N, 7, 4], v: [N, 7, 6]) {
        t = transpose(ln(transpose(x, 1, 2)), 1, 2)
        y = transpose(conv(inorm(plain(bn(gn(t))))), 1, 2)
        return attn(fc(y), k, v)[0]
    }
}
"""


def test_summary_counts_what_torch_builds_with_bias_false(tmp_path, capsys):
    """`summary` adds up the parameter rules; with bias=False (and affine=False,
    add_bias_kv, kdim) they once counted norms' biases that torch never made."""
    import archdsl
    from archdsl.cli import main

    spec = tmp_path / "norms.arch"
    spec.write_text(NORMS_SPEC, encoding="utf-8")
    real = sum(p.numel() for p in archdsl.load(spec).Norms().parameters())
    shapes = [
        "--input-shape",
        "x=2,8,5",
        "--input-shape",
        "k=2,7,4",
        "--input-shape",
        "v=2,7,6",
    ]
    assert main(["summary", str(spec), *shapes]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(f"parameters: {real:,} ")
