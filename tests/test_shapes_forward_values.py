"""Build-time values inside forward (arithmetic in a size list, a comprehension over
tensors) keep shape inference exact: inferred shapes equal what torch gives, for a
concrete input and, evaluated there, for the symbolic one. Found by the oracle
(tests/oracle), where `summary` had answered `?` for these."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.pipeline import compile_spec
from archdsl.shapes.dims import evaluate
from archdsl.shapes.infer import infer_model

CASES = {
    "reshape_sum": (
        "model M {\n    forward(x: [N, 2]) = reshape(x, [-1, 1 + 1])\n}\n",
        {"x": (3, 2)},
    ),
    "reshape_two_inputs": (
        "model M {\n    fc = Linear(8, 2)\n"
        "    forward(x: [N, 3], t7: [N, 5]) {\n"
        "        y = reshape(cat([x, t7], dim=-1), [-1, 3 + 5])\n"
        "        return fc(y)\n    }\n}\n",
        {"x": (2, 3), "t7": (2, 5)},
    ),
    "comprehension": (
        "model M(k: int = 2) {\n    fc = Linear(4, 4)\n"
        "    forward(x: [N, 4]) = cat([fc(x) * k for k in range(3)], dim=1)\n}\n",
        {"x": (5, 4)},
    ),
    "comprehension_pairs": (
        "model M {\n    fc = Linear(4, 4)\n"
        "    forward(x: [N, 4]) = stack([fc(x) * a + b for a, b in zip([1, 2], [3, 4])])\n}\n",
        {"x": (2, 4)},
    ),
    "truthy_conditions": (
        "model M(widths: list[int] = [2, 3]) {\n    fc = Linear(4, 6)\n"
        "    forward(x: [N, 4]) {\n        if 1 {\n            y = fc(x)\n"
        "        } else {\n            y = x\n        }\n"
        "        return cat([y, x], dim=1) if widths else y\n    }\n}\n",
        {"x": (2, 4)},
    ),
    # issue 12: run-time sizes, indexing and splitting, through torch itself
    "channel_shuffle": (
        "model M {\n    conv = Conv2d(3, 6, 1)\n"
        "    forward(x: [N, 3, H, W]) {\n        y = conv(x)\n"
        "        n, c, h, w = y.size()\n"
        "        y = transpose(y.view(n, 2, c // 2, h, w), 1, 2)\n"
        "        return y.contiguous().view(n, -1, h, w)\n    }\n}\n",
        {"x": (2, 3, 5, 7)},
    ),
    "chunk_and_cat": (
        "model M {\n    conv = Conv2d(2, 3, 3, stride=2, padding=1)\n"
        "    forward(x: [N, 4, H, W]) {\n        a, b = x.chunk(2, dim=1)\n"
        "        return cat((conv(a), conv(b)[:, 1:]), dim=1)\n    }\n}\n",
        {"x": (2, 4, 9, 6)},
    ),
    "slices_and_steps": (
        "model M {\n    forward(x: [N, 4, H, W]) = x[:, 1:, ..., ::2][..., None, :, -1]\n}\n",
        {"x": (3, 4, 5, 7)},
    ),
    "split_and_unbind": (
        "model M {\n    forward(x: [N, 6, H, W]) {\n"
        "        a, b = split(x, [2, 4], dim=1)\n"
        "        rows = unbind(b[:, :3], dim=1)\n"
        "        return cat([a[:, :, 0], rows[1], rows[2]], dim=1)\n    }\n}\n",
        {"x": (2, 6, 4, 5)},
    ),
    "interpolate_to_a_skip": (
        "model M {\n    forward(x: [N, 3, H, W], skip: [N, 3, S, T]) {\n"
        "        _, _, h, w = skip.shape\n"
        "        y = F.interpolate(x, size=(h, w), mode='bilinear')\n"
        "        return y + skip\n    }\n}\n",
        {"x": (2, 3, 4, 5), "skip": (2, 3, 9, 11)},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inferred_shapes_equal_torch(name):
    torch = pytest.importorskip("torch")
    text, inputs = CASES[name]
    compiled = compile_spec(text=text)
    info = compiled.context.defs["M"]
    model = archdsl.load(text=text).M().eval()
    with torch.no_grad():
        real = model(*(torch.randn(*shape) for shape in inputs.values())).shape
    concrete = infer_model(compiled.context, info, {}, inputs)
    (out,) = concrete.outputs
    assert tuple(out.dims) == tuple(real)
    symbolic = infer_model(compiled.context, info, {}, None)
    (out,) = symbolic.outputs
    sizes = {  # every size the inputs declare, at its concrete value
        dim.value: shape[axis]
        for inp, shape in zip(info.forward.inputs, inputs.values(), strict=True)
        for axis, dim in enumerate(inp.shape.dims)
        if isinstance(dim.value, str)
    }
    assert tuple(_evaluate(d, sizes) for d in out.dims) == tuple(real)


def _evaluate(dim, sizes):  # an int, or a symbolic size
    return evaluate(dim, sizes)
