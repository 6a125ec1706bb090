"""Every shape rule against torch, over random arguments and input shapes.

For each layer in LAYER_SHAPES and each op in OP_SHAPES, hypothesis draws
constructor (or call) arguments and concrete input shapes from small ranges, and
the rule must agree with torch both ways: it accepts iff torch constructs the layer
and runs it, and where both accept, the shapes are equal. A rule that cannot say
(Unknowable), only warns (ShapeDepends) or crashes on concrete sizes is a bug too.
Where torch builds the layer, PARAMETERS counts what `sum(p.numel())` gives.

"Accepts" is what archdsl does before shape inference as well: a string argument
outside the signature's choices is refused by the checker (check/calls.py).

ARCHDSL_FUZZ=N runs N examples per rule with fresh randomness; by default a few
dozen, the same on every run.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from conftest import fuzz_settings, torch_layer
from hypothesis import given
from hypothesis import strategies as st

from archdsl.ops import TENSOR_OPS, layers
from archdsl.ops.shapes import (
    LAYER_SHAPES,
    OP_SHAPES,
    PARAMETERS,
    UNKNOWN,
    ShapeDepends,
    ShapeProblem,
    Unknowable,
)
from archdsl.ops.shapes.registry import ELEMENTWISE
from archdsl.ops.signature import bind_arguments
from archdsl.shapes import dims

torch = pytest.importorskip("torch")
nn = torch.nn


# ---- strategies --------------------------------------------------------------------

SIZE = st.integers(1, 7)  # an input size
SMALL = st.integers(1, 4)
EDGE = st.integers(-1, 4)  # arguments, with the refusals at the low end
BOOL = st.booleans()


def per_dim(n: int, values: st.SearchStrategy) -> st.SearchStrategy:
    """One int for every dimension, n values, or (rarely) the wrong number."""
    return st.one_of(
        values,
        st.tuples(*[values] * n),
        st.lists(values, min_size=1, max_size=n + 1).map(tuple),
    )


def near(size: int) -> st.SearchStrategy:
    """An input size that usually is the one a layer expects."""
    return st.one_of(st.just(max(size, 1)), st.just(max(size, 1)), st.integers(1, 8))


@st.composite
def batched(draw, n: int, channels: int | None = None):
    """[N, C, *n spatial] or, unbatched, [C, *n spatial]; sometimes another rank."""
    rank = draw(st.sampled_from([n + 1, n + 2]))
    if draw(st.integers(0, 9)) == 0:
        rank = draw(st.integers(0, n + 3))
    c = draw(near(channels)) if channels is not None else draw(SIZE)
    shape = [draw(SIZE) for _ in range(rank)]
    if rank >= n + 1:
        shape[rank - n - 1] = c
    return tuple(shape)


@st.composite
def conv(draw, n: int, transposed: bool):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kw: dict[str, Any] = dict(
        in_channels=draw(st.integers(1, 6)),
        out_channels=draw(st.integers(0, 6)),
        kernel_size=draw(per_dim(n, EDGE)),
        stride=draw(per_dim(n, EDGE)),
        dilation=draw(per_dim(n, EDGE)),
        groups=groups,
        bias=draw(BOOL),
    )
    pads = [per_dim(n, EDGE)]
    if not transposed:
        pads.append(st.sampled_from(["same", "valid"]))
    kw["padding"] = draw(st.one_of(*pads))
    if transposed:
        kw["output_padding"] = draw(per_dim(n, st.integers(0, 3)))
    modes = ["zeros", "zeros", "reflect", "replicate", "circular"]
    kw["padding_mode"] = draw(st.sampled_from(modes))
    return kw, [draw(batched(n, kw["in_channels"]))]


@st.composite
def pool(draw, n: int, kind: str):
    kw: dict[str, Any] = dict(
        kernel_size=draw(per_dim(n, EDGE)),
        padding=draw(per_dim(n, EDGE)),
        ceil_mode=draw(BOOL),
    )
    if draw(BOOL):
        kw["stride"] = draw(per_dim(n, EDGE))
    if kind == "Max":
        kw["dilation"] = draw(per_dim(n, EDGE))
        kw["return_indices"] = draw(BOOL)
    else:
        kw["count_include_pad"] = draw(BOOL)
        if n > 1 and draw(BOOL):
            kw["divisor_override"] = draw(st.integers(1, 3))
    return kw, [draw(batched(n))]


@st.composite
def adaptive(draw, n: int, kind: str):
    size = st.one_of(st.integers(0, 5), st.none())
    kw: dict[str, Any] = dict(output_size=draw(per_dim(n, size)))
    if isinstance(kw["output_size"], (int, type(None))):
        kw["output_size"] = draw(per_dim(n, st.integers(0, 5)))
    if kind == "Max":
        kw["return_indices"] = draw(BOOL)
    return kw, [draw(batched(n))]


@st.composite
def batch_norm(draw, ranks: tuple[int, ...], instance: bool):
    c = draw(st.integers(0, 5))
    kw = dict(
        num_features=c,
        affine=draw(BOOL),
        track_running_stats=draw(BOOL),
        bias=draw(BOOL),
    )
    rank = draw(st.sampled_from([*ranks, *ranks, 0, 1, 2, 3, 4, 5, 6]))
    shape = [draw(SIZE) for _ in range(rank)]
    at = 0 if instance and rank == min(ranks) else 1
    if rank > at:
        shape[at] = draw(near(c))
    return kw, [tuple(shape)]


@st.composite
def group_norm(draw):
    c = draw(st.integers(0, 6))
    kw = dict(
        num_groups=draw(st.integers(0, 4)),
        num_channels=c,
        affine=draw(BOOL),
        bias=draw(BOOL),
    )
    shape = [draw(SIZE) for _ in range(draw(st.integers(1, 5)))]
    if len(shape) > 1:
        shape[1] = draw(near(c))
    return kw, [tuple(shape)]


@st.composite
def layer_norm(draw):
    x = tuple(draw(SIZE) for _ in range(draw(st.integers(0, 4))))
    tail = list(x[-draw(st.integers(1, 3)) :]) if x else [draw(SIZE)]
    if draw(st.integers(0, 3)) == 0:
        tail[0] = draw(SIZE)
    shape = tail[0] if len(tail) == 1 and draw(BOOL) else tuple(tail)
    kw = dict(normalized_shape=shape, elementwise_affine=draw(BOOL), bias=draw(BOOL))
    return kw, [x]


def any_rank(lo: int = 0, hi: int = 5) -> st.SearchStrategy:
    return st.lists(SIZE, min_size=lo, max_size=hi).map(tuple)


def fixed(kwargs: st.SearchStrategy, *inputs: st.SearchStrategy):
    return st.tuples(kwargs, st.tuples(*inputs).map(list))


@st.composite
def linear(draw):
    i, o = draw(st.integers(0, 5)), draw(st.integers(-1, 5))
    x = list(draw(any_rank(0, 4)))
    if x:
        x[-1] = draw(near(i))
    return dict(in_features=i, out_features=o, bias=draw(BOOL)), [tuple(x)]


@st.composite
def bilinear(draw):
    i1, i2, o = (draw(st.integers(1, 4)) for _ in range(3))
    lead = draw(any_rank(0, 2))
    x1 = (*lead, draw(near(i1)))
    x2 = (*(lead if draw(st.integers(0, 4)) else draw(any_rank(0, 2))), draw(near(i2)))
    kw = dict(in1_features=i1, in2_features=i2, out_features=o, bias=draw(BOOL))
    return kw, [x1, x2]


@st.composite
def unflatten(draw):
    x = draw(any_rank(1, 4))
    dim = draw(st.integers(-len(x) - 1, len(x)))
    sizes = list(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    if draw(BOOL):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    return dict(dim=dim, unflattened_size=tuple(sizes)), [x]


MODES = ["nearest", "linear", "bilinear", "bicubic", "trilinear", "area",
         "nearest-exact", "bilinear ", "Nearest"]  # fmt: skip


@st.composite
def resize_args(draw, modes: bool, n: int = 0, recompute: bool = False):
    """size or scale_factor (or both, or neither), per spatial dim or one for all."""
    kw: dict[str, Any] = {}
    dims = n or draw(st.integers(1, 3))
    if draw(st.integers(0, 5)):
        kw["size" if draw(BOOL) else "scale_factor"] = None
    if draw(BOOL):
        kw["size"] = draw(per_dim(dims, st.integers(0, 6)))
    if "size" not in kw or kw["size"] is None or not draw(st.integers(0, 5)):
        kw["scale_factor"] = draw(
            per_dim(dims, st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 2, 0.0]))
        )
    if modes:
        kw["mode"] = draw(st.sampled_from(MODES))
        if draw(BOOL):
            kw["align_corners"] = draw(BOOL)
        if recompute and draw(BOOL):  # Upsample's: the op's signature has none
            kw["recompute_scale_factor"] = draw(BOOL)
    return kw


@st.composite
def upsample(draw, modes: bool):
    kw = draw(resize_args(modes, 0 if modes else 2, recompute=modes))
    x = draw(any_rank(2, 6) if modes else any_rank(3, 5))
    return kw, [x]


@st.composite
def pad2d(draw, constant: bool = False):
    pads = st.integers(-2, 4)
    padding = draw(st.one_of(pads, st.tuples(*[pads] * 4), st.lists(pads, max_size=7)))
    kw: dict[str, Any] = dict(padding=padding)
    if constant:
        kw["value"] = 0.5
    return kw, [draw(any_rank(2, 5))]


@st.composite
def shuffle(draw, key: str):
    return {key: draw(st.integers(0, 3))}, [draw(any_rank(2, 5))]


@st.composite
def attention(draw):
    heads = draw(st.integers(1, 3))
    e = heads * draw(st.integers(1, 3)) + (draw(st.integers(0, 1)) if heads > 1 else 0)
    kw: dict[str, Any] = dict(
        embed_dim=e,
        num_heads=heads,
        bias=draw(BOOL),
        add_bias_kv=draw(BOOL),
        add_zero_attn=draw(BOOL),
        batch_first=draw(BOOL),
    )
    kdim, vdim = e, e
    if draw(BOOL):
        kdim, vdim = draw(SMALL), draw(SMALL)
        kw.update(kdim=kdim, vdim=vdim)
    unbatched = draw(st.integers(0, 3)) == 0
    lq, ls, batch = draw(SMALL), draw(SMALL), draw(SMALL)

    def shaped(length: int, width: int) -> tuple[int, ...]:
        if unbatched:
            return (length, width)
        return (batch, length, width) if kw["batch_first"] else (length, batch, width)

    q, k, v = shaped(lq, draw(near(e))), shaped(ls, draw(near(kdim))), shaped(ls, vdim)
    if draw(st.integers(0, 5)) == 0:
        v = shaped(draw(SMALL), vdim)
    return kw, [q, k, v]


@st.composite
def transformer(draw, decoder: bool):
    heads = draw(st.integers(1, 3))
    d = heads * draw(st.integers(1, 2)) + (draw(st.integers(0, 1)) if heads > 1 else 0)
    kw = dict(
        d_model=d,
        nhead=heads,
        dim_feedforward=draw(SMALL),
        batch_first=draw(BOOL),
        bias=draw(BOOL),
        dropout=0.0,
    )
    rank = draw(st.sampled_from([2, 3, 3]))
    lead = [draw(SMALL) for _ in range(rank - 1)]
    x = (*lead, draw(near(d)))
    inputs = [x]
    if decoder:
        memory = [draw(SMALL) for _ in range(rank - 1)]
        if rank == 3 and draw(st.integers(0, 4)):  # batches usually match
            memory[0 if kw["batch_first"] else 1] = lead[0 if kw["batch_first"] else 1]
        inputs.append((*memory, draw(near(d))))
    return kw, inputs


@st.composite
def prelu(draw):
    count = draw(st.sampled_from([1, 1, 2, 3, 0]))
    x = list(draw(any_rank(0, 4)))
    if len(x) >= 2:
        x[1] = draw(near(count))
    return dict(num_parameters=count), [tuple(x)]


@st.composite
def embedding(draw):
    kw = dict(
        num_embeddings=draw(st.integers(1, 5)),
        embedding_dim=draw(st.integers(0, 4)),
        padding_idx=draw(st.one_of(st.none(), st.integers(-6, 6))),
    )
    return kw, [draw(any_rank(0, 3))]


@st.composite
def dims_of(draw, keys: tuple[str, ...], lo: int = 0, unsqueeze: bool = False):
    """Dim arguments in range and just out of it, for an input of any rank."""
    x = draw(any_rank(lo, 4))
    bound = max(len(x), 1) + unsqueeze
    return {k: draw(st.integers(-bound - 1, bound)) for k in keys}, [x]


@st.composite
def optional_dim(draw):
    kw, x = draw(dims_of(("dim",)))
    return ({} if draw(BOOL) else kw), x


def elementwise(lo: int = 0, hi: int = 5, **kwargs: Any):
    return fixed(st.just(kwargs), any_rank(lo, hi))


@st.composite
def channel_shuffle(draw):
    return dict(groups=draw(st.integers(0, 4))), [draw(any_rank(0, 5))]


@st.composite
def local_response_norm(draw):
    return dict(size=draw(st.integers(0, 4))), [draw(any_rank(0, 6))]


def dropout():
    p = st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.5])
    return fixed(st.fixed_dictionaries({"p": p}), any_rank())


def hardtanh():
    bound = st.sampled_from([-1.0, 0.0, 1.0, 2])
    return fixed(
        st.fixed_dictionaries({"min_val": bound, "max_val": bound}), any_rank()
    )


@st.composite
def permutation(draw):
    """A permutation of the input's dims, or (sometimes) not one."""
    x = draw(any_rank(1, 5))
    dims = draw(st.permutations(range(len(x))))
    if draw(st.integers(0, 4)) == 0:
        dims = [*dims[:-1], draw(st.integers(-len(x) - 1, len(x)))]
    return dict(dims=list(dims)), [x]


@st.composite
def squeeze_excitation(draw):
    c = draw(SIZE)
    kw = dict(input_channels=c, squeeze_channels=draw(SIZE))
    return kw, [draw(batched(2, c))]


@st.composite
def frozen_batch_norm(draw):
    c = draw(SIZE)
    return dict(num_features=c), [draw(batched(2, c))]


LAYER_CASES: dict[str, st.SearchStrategy] = {
    "StochasticDepth": fixed(
        st.fixed_dictionaries(
            {
                "p": st.sampled_from([0.0, 0.5, 1.0]),
                "mode": st.sampled_from(["row", "batch"]),
            }
        ),
        any_rank(),
    ),
    "Permute": permutation(),
    "SqueezeExcitation": squeeze_excitation(),
    "FrozenBatchNorm2d": frozen_batch_norm(),
    **{f"Conv{n}d": conv(n, False) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": conv(n, True) for n in (1, 2, 3)},
    **{f"{k}Pool{n}d": pool(n, k) for k in ("Max", "Avg") for n in (1, 2, 3)},
    **{
        f"Adaptive{k}Pool{n}d": adaptive(n, k)
        for k in ("Max", "Avg")
        for n in (1, 2, 3)
    },
    "BatchNorm1d": batch_norm((2, 3), False),
    "BatchNorm2d": batch_norm((4,), False),
    "BatchNorm3d": batch_norm((5,), False),
    "InstanceNorm1d": batch_norm((2, 3), True),
    "InstanceNorm2d": batch_norm((3, 4), True),
    "InstanceNorm3d": batch_norm((4, 5), True),
    "GroupNorm": group_norm(),
    "LayerNorm": layer_norm(),
    "LocalResponseNorm": local_response_norm(),
    "Linear": linear(),
    "Bilinear": bilinear(),
    "Embedding": embedding(),
    "Flatten": dims_of(("start_dim", "end_dim")),
    "Unflatten": unflatten(),
    "Upsample": upsample(modes=True),
    "UpsamplingNearest2d": upsample(modes=False),
    "UpsamplingBilinear2d": upsample(modes=False),
    "ZeroPad2d": pad2d(),
    "ConstantPad2d": pad2d(constant=True),
    "ReflectionPad2d": pad2d(),
    "ReplicationPad2d": pad2d(),
    "PixelShuffle": shuffle("upscale_factor"),
    "PixelUnshuffle": shuffle("downscale_factor"),
    "ChannelShuffle": channel_shuffle(),
    "MultiheadAttention": attention(),
    "TransformerEncoderLayer": transformer(decoder=False),
    "TransformerDecoderLayer": transformer(decoder=True),
    "PReLU": prelu(),
    "Softmax": optional_dim(),
    "LogSoftmax": optional_dim(),
    "Softmax2d": elementwise(),
    **{
        name: dropout()
        for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")
    },
    "Hardtanh": hardtanh(),
    "Threshold": elementwise(threshold=0.1, value=0.0),
    "GELU": fixed(
        st.sampled_from([{}, {"approximate": "tanh"}, {"approximate": "Tanh"}]),
        any_rank(),
    ),
}
PLAIN = [name for name in LAYER_SHAPES if name not in LAYER_CASES]


def test_every_layer_is_fuzzed():
    """The rest are elementwise: torch builds them bare and they keep the shape."""
    assert set(PLAIN) <= set(ELEMENTWISE), set(PLAIN) - set(ELEMENTWISE)


# ---- the two sides -----------------------------------------------------------------

REFUSALS = (RuntimeError, ValueError, IndexError, NotImplementedError, AssertionError,
            TypeError, ZeroDivisionError)  # fmt: skip


def archdsl_says(signature, rule, kwargs: dict, shapes: list) -> Any:
    """The shapes archdsl gives, or None where it refuses (a diagnostic)."""
    for key, value in kwargs.items():
        param = signature.param(key)
        if param and param.choices and isinstance(value, str):
            if value not in param.choices:
                return None  # check/calls.py: must be one of ...
    args = bind_arguments(signature, [], kwargs)
    try:
        out = rule(args, *shapes)
    except ShapeProblem:
        return None
    return _shapes(out)


def _shapes(out: Any) -> Any:
    if isinstance(out, tuple) and out and isinstance(out[0], tuple):
        return [tuple(o) for o in out]
    return tuple(out)


def torch_says(make, shapes: list, embedding: bool = False) -> Any:
    """(the output shapes, the parameter count), or None where torch refuses."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = make()
            if isinstance(module, nn.Module):
                module.eval()
            count = sum(p.numel() for p in getattr(module, "parameters", list)())
            inputs = [
                torch.randint(0, 1, s) if embedding else torch.randn(s) for s in shapes
            ]
            with torch.no_grad():
                out = module(*inputs)
        except REFUSALS:
            return None
    if isinstance(out, tuple):
        return [tuple(o.shape) for o in out], count
    return tuple(out.shape), count


def stricter_by_design(name: str, kwargs: dict, shape: Any) -> bool:
    """What archdsl refuses although torch runs it in some corner: a transposed
    conv's dilation 0 (torch refuses it unless the input is 1x1); an Upsample's
    scale_factor 0 beside a size (nn.Upsample drops a falsy scale); a conv
    padding tuple not of n values with a non-zeros padding_mode (torch pads other
    dims with it, or only the last); an empty output of mode 'area' (an adaptive pool to 0);
    `expand` with -1 for a new dim (torch keeps -1 as the size when another is 0)."""
    dilation, padding = kwargs.get("dilation"), kwargs.get("padding")
    if name.startswith("ConvTranspose") and 0 in _values(dilation):
        return True
    if name.startswith("Conv") and kwargs.get("padding_mode") != "zeros":
        n = int(name[-2])
        if isinstance(padding, tuple) and len(padding) != n:
            return True
    if kwargs.get("mode") == "area" and 0 in shape:
        return True
    if name == "expand" and -1 in shape:  # a -1 on a new dim, kept when another is 0
        return True
    return name.startswith("Upsampl") and kwargs.get("scale_factor") == 0


def _values(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _agree(name: str, kwargs: dict, shapes: list, ours: Any, theirs: Any) -> None:
    case = f"{name}({kwargs}) on {shapes}"
    if theirs is None:
        assert ours is None, f"{case}: archdsl gives {ours}, torch refuses"
        return
    if ours is None and stricter_by_design(name, kwargs, theirs[0]):
        return
    assert ours is not None, f"{case}: archdsl refuses, torch gives {theirs[0]}"
    assert ours == theirs[0], f"{case}: archdsl gives {ours}, torch {theirs[0]}"


def symbolic_agrees(signature, rule, kwargs: dict, shapes: list, concrete: Any) -> None:
    """With one input size made a symbol S, a rule that torch's verdict says
    works for S's value either says the output in terms of S (which evaluates to
    the concrete output), or says it cannot know (a ShapeDepends warning, or
    Unknowable); refusing outright is a false error on a declared input."""
    args = bind_arguments(signature, [], kwargs)
    for i, shape in enumerate(shapes):
        for axis, size in enumerate(shape):
            variant = [list(s) for s in shapes]
            variant[i][axis] = dims.symbol("S")
            try:
                got = _shapes(rule(args, *[tuple(v) for v in variant]))
            except (ShapeDepends, Unknowable):
                continue
            except ShapeProblem as problem:
                raise AssertionError(f"{variant}: refused: {problem.message}") from None
            flat = got if isinstance(got, list) else [got]
            want = concrete if isinstance(concrete, list) else [concrete]
            for g, w in zip(flat, want, strict=True):
                values = [
                    d if d is UNKNOWN else dims.evaluate(d, {"S": size}) for d in g
                ]
                assert all(v in (UNKNOWN, x) for v, x in zip(values, w, strict=True)), (
                    f"{kwargs} on {variant}: {g}, torch {w}"
                )


# ---- the properties ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(LAYER_SHAPES))
def test_layer_rule_agrees_with_torch(name):
    cases = LAYER_CASES.get(name, elementwise())
    signature = layers()[name].signature

    @fuzz_settings(30)
    @given(cases)
    def check(case):
        kwargs, shapes = case
        theirs = torch_says(
            lambda: torch_layer(name)(**kwargs), shapes, embedding=name == "Embedding"
        )
        ours = archdsl_says(signature, LAYER_SHAPES[name], kwargs, shapes)
        _agree(name, kwargs, shapes, ours, theirs)
        if theirs is not None and ours is not None:
            symbolic_agrees(signature, LAYER_SHAPES[name], kwargs, shapes, theirs[0])
        if theirs is not None and name in PARAMETERS:
            args = bind_arguments(signature, [], kwargs)
            count = PARAMETERS[name](args)
            assert count == theirs[1], (
                f"{name}({kwargs}): {count} parameters, torch {theirs[1]}"
            )

    check()


# ---- tensor ops --------------------------------------------------------------------


@st.composite
def joined(draw):
    """cat and stack: one to three tensors, mostly of one rank, differing in a dim."""
    base = draw(any_rank(0, 4))
    tensors = [base]
    for _ in range(draw(st.integers(0, 2))):
        shape = list(base)
        if shape and draw(BOOL):
            shape[draw(st.integers(0, len(shape) - 1))] = draw(SIZE)
        if draw(st.integers(0, 6)) == 0:
            shape = list(draw(any_rank(0, 4)))
        tensors.append(tuple(shape))
    bound = max(len(base), 1) + 1
    return {"dim": draw(st.integers(-bound - 1, bound))}, [tensors]


@st.composite
def reshaped(draw):
    x = draw(any_rank(0, 4))
    shape = list(draw(st.permutations(x))) if draw(BOOL) else list(draw(any_rank(0, 3)))
    if shape and draw(BOOL):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    if shape and draw(st.integers(0, 5)) == 0:
        shape[0] = -1
        shape[-1] = -1
    return {"shape": shape}, [x]


@st.composite
def permuted(draw):
    x = draw(any_rank(0, 4))
    dims = list(draw(st.permutations(range(len(x)))))
    if draw(st.integers(0, 3)) == 0:
        dims = draw(st.lists(st.integers(-len(x) - 1, len(x)), max_size=len(x) + 1))
    elif dims and draw(BOOL):
        dims[0] -= len(x)  # the same dim, counted from the end
    return {"dims": dims}, [x]


@st.composite
def reduced(draw, keepdim: bool = True):
    x = draw(any_rank(0, 4))
    bound = max(len(x), 1)
    one = st.integers(-bound - 1, bound)
    kw = {"dim": draw(st.one_of(st.none(), one, st.lists(one, max_size=3)))}
    # keepdim=False without dim is one torch refuses, but a rule sees it bound to
    # its default either way: not drawn (a spec that writes it fails at run time)
    if keepdim and (kw["dim"] is not None or draw(BOOL)):
        kw["keepdim"] = draw(BOOL) if kw["dim"] is not None else True
    return kw, [x]


@st.composite
def interpolated(draw):
    return draw(resize_args(modes=True)), [draw(any_rank(2, 6))]


@st.composite
def adaptive_op(draw):
    size = st.one_of(st.integers(0, 4), st.none())
    kw = {"output_size": draw(st.one_of(st.integers(0, 4), st.tuples(size, size)))}
    return kw, [draw(any_rank(2, 5))]


@st.composite
def padded_like(draw):
    x, other = draw(any_rank(3, 5)), draw(any_rank(3, 5))
    return {}, [x, other]


@st.composite
def chunked(draw):
    kw, x = draw(dims_of(("dim",)))
    return {"chunks": draw(st.integers(-1, 5)), **kw}, x


@st.composite
def split_sections(draw):
    kw, x = draw(dims_of(("dim",)))
    size = x[0][kw["dim"]] if -len(x[0]) <= kw["dim"] < len(x[0]) else 3
    sizes = st.lists(st.integers(-1, 4), min_size=1, max_size=4)
    whole = st.lists(st.integers(1, 3), min_size=1, max_size=4).map(
        lambda parts: [*parts, size - sum(parts)] if sum(parts) < size else [size]
    )
    sections = draw(st.one_of(st.integers(-1, 4), sizes, whole))
    return {"split_size_or_sections": sections, **kw}, x


@st.composite
def expanded(draw):
    x = draw(any_rank(0, 3))
    choices = [st.sampled_from([s, 1, -1, s + 1]) for s in x]
    sizes = [draw(c) for c in choices]
    if draw(BOOL):  # new leading dims
        sizes = draw(st.lists(st.integers(-1, 3), max_size=2)) + sizes
    if x and draw(st.integers(0, 5)) == 0:
        sizes = sizes[1:]  # fewer than the tensor's dims
    return {"size": sizes}, [x]


def op_dropout():
    p = st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.5])
    return fixed(st.fixed_dictionaries({"p": p, "training": BOOL}), any_rank())


OP_CASES: dict[str, st.SearchStrategy] = {
    "cat": joined(),
    "stack": joined(),
    "flatten": dims_of(("start_dim", "end_dim")),
    "unsqueeze": dims_of(("dim",), unsqueeze=True),
    "squeeze": reduced(keepdim=False),
    "reshape": reshaped(),
    "permute": permuted(),
    "transpose": dims_of(("dim0", "dim1")),
    "mean": reduced(),
    "softmax": dims_of(("dim",)),
    "relu": elementwise(),
    "sigmoid": elementwise(),
    "tanh": elementwise(),
    "interpolate": interpolated(),
    "adaptive_avg_pool2d": adaptive_op(),
    # F.max_pool2d / F.avg_pool2d: MaxPool2d's and AvgPool2d's cases (the op takes
    # no return_indices: a tuple result is not a tensor op's)
    "max_pool2d": pool(2, "Max").map(
        lambda case: (
            {k: v for k, v in case[0].items() if k != "return_indices"},
            case[1],
        )
    ),
    "avg_pool2d": pool(2, "Avg"),
    "pad_like": padded_like(),
    "chunk": chunked(),
    "split": split_sections(),
    "unbind": dims_of(("dim",)),
    "size": optional_dim(),
    "view": reshaped().map(lambda case: ({"size": case[0]["shape"]}, case[1])),
    "expand": expanded(),
    "contiguous": elementwise(),
    "dropout": op_dropout(),
    "layer_norm": layer_norm().map(
        lambda case: (
            {"normalized_shape": list(_values(case[0]["normalized_shape"]))},
            case[1],
        )
    ),
}


def test_every_op_is_fuzzed():
    assert set(OP_CASES) == set(OP_SHAPES) == set(TENSOR_OPS)


def torch_op(name: str):
    if name == "pad_like":
        from archdsl.codegen.module import PAD_LIKE

        scope: dict = {}
        exec(PAD_LIKE, {"F": nn.functional, "Tensor": torch.Tensor}, scope)  # noqa: S102
        return scope["pad_like"]
    if name == "size":  # sizes, as the shape of a tensor made of them
        return lambda x, dim=None: torch.empty(
            x.size() if dim is None else [x.size(dim)]
        )
    op = TENSOR_OPS[name]
    if op.method:
        return lambda x, **kwargs: getattr(x, op.python)(**kwargs)
    module, attr = op.python.split(".")
    return getattr({"torch": torch, "F": nn.functional}[module], attr)


@pytest.mark.parametrize("name", sorted(OP_CASES))
def test_op_rule_agrees_with_torch(name):
    op, func = TENSOR_OPS[name], torch_op(name)

    @fuzz_settings(40)
    @given(OP_CASES[name])
    def check(case):
        kwargs, shapes = case
        # an argument left at None is one the spec leaves out: generated code
        # passes what the spec says (`squeeze(x, None)` is a type error there)
        given = {k: v for k, v in kwargs.items() if v is not None}
        listed = name in ("cat", "stack")

        def call(*tensors):
            return func(list(tensors), **given) if listed else func(*tensors, **given)

        theirs = torch_says(lambda: call, shapes[0] if listed else shapes)
        ours = archdsl_says(op.signature, OP_SHAPES[name], kwargs, shapes)
        _agree(name, kwargs, shapes, ours, theirs)
        if theirs is not None and ours is not None and not listed:
            symbolic_agrees(op.signature, OP_SHAPES[name], kwargs, shapes, theirs[0])

    check()
