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
    sizes = {"N": next(iter(inputs.values()))[0]}
    assert tuple(_evaluate(d, sizes) for d in out.dims) == tuple(real)


def _evaluate(dim, sizes):  # an int, or a symbolic size
    return evaluate(dim, sizes)
