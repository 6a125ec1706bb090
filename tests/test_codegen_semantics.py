"""Generated code computes what the spec says: each case is one class of miscompile
that check and build once accepted, written out by hand in torch as the oracle."""

from __future__ import annotations

import pytest
import torch

import archdsl


def build(text: str, *args, **kwargs):
    model = archdsl.load(text).M(*args, **kwargs)
    return model.eval()


X = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))

GROUPING = """\
model M(k: float = 2.0, flag: bool = True) {
    fc = Linear(4, 4)
    forward(x: [N, 4]) {
        a = fc(x) * (k + 1.0)
        b = (fc(x) if flag else x) + x
        c = x - (fc(x) - x)
        d = fc(x) / (k * 2.0) ** 2
        e = 2.0 ** (k - 1.0) * x
        return a, b, c, d, e
    }
}
"""


@pytest.mark.parametrize("flag", [True, False])
def test_parentheses_survive_in_forward(flag):
    model = build(GROUPING, k=2.0, flag=flag)
    fc = model.fc
    with torch.no_grad():
        got = model(X)
        want = (
            fc(X) * 3.0,
            (fc(X) if flag else X) + X,
            X - (fc(X) - X),
            fc(X) / 16.0,
            2.0 * X,
        )
    for g, w in zip(got, want, strict=True):
        assert torch.equal(g, w)


def test_a_value_named_out_is_not_overwritten_by_a_tuple_return():
    text = """\
model M {
    fc = Linear(4, 4)
    forward(x: [N, 4]) {
        out = fc(x)
        return fc(out), out
    }
}
"""
    model = build(text)
    with torch.no_grad():
        first, second = model(X)
        assert torch.equal(second, model.fc(X))
        assert torch.equal(first, model.fc(model.fc(X)))


def test_a_comprehension_variable_shadows_a_parameter():
    text = """\
model M(k: float = 5.0) {
    fc = Linear(4, 4)
    forward(x: [N, 4]) = cat([fc(x) * k for k in [1.0, 3.0]], dim=1) + k
}
"""
    model = build(text)
    with torch.no_grad():
        y = model.fc(X)
        assert torch.equal(model(X), torch.cat([y * 1.0, y * 3.0], dim=1) + 5.0)


def test_a_splat_in_a_tensor_op_stays_a_splat():
    text = """\
model M {
    fc = Linear(4, 4)
    forward(x: [N, 4]) = transpose(fc(x), *[0, 1])
}
"""
    model = build(text)
    with torch.no_grad():
        assert torch.equal(model(X), model.fc(X).transpose(0, 1))


@pytest.mark.parametrize("name", ["any", "range", "sum", "print", "iter", "input"])
def test_a_python_builtin_cannot_name_a_definition(name):
    text = f"block {name}() {{\n    fc = Linear(4, 4)\n    forward(x) = fc(x)\n}}\n"
    with pytest.raises(archdsl.ArchError) as info:
        archdsl.generate(text)
    assert f"`{name}`" in str(info.value)


def test_an_argument_torch_needs_beside_another_is_written_out():
    """`torch.mean(x, keepdim=False)` is a TypeError (no overload takes keepdim
    without dim); the generated call passes `dim=None`, which torch accepts."""
    text = """\
model M {
    fc = Linear(4, 4)
    forward(x: [N, 4]) {
        a = mean(fc(x), keepdim=False)
        return a, [mean(x, keepdim=False) for _ in range(2)][0]
    }
}
"""
    code = archdsl.generate(text=text)
    assert code.count("dim=None") == 2
    model = build(text)
    with torch.no_grad():
        first, second = model(X)
        assert torch.equal(first, model.fc(X).mean())
        assert torch.equal(second, X.mean())


@pytest.mark.parametrize("k", [2, 7])
def test_a_constant_made_under_a_condition_is_stored_where_it_is_made(k):
    """Oracle finding F15: `self.c = c` at the end of __init__ read a name the
    branch never made (UnboundLocalError) when the condition was false."""
    text = """\
model M(k: int = 2) {
    if k > 5 {
        c = 3
    } else {
        if k > 3 {
            c = 4
        }
    }
    fc = Linear(4, 4)
    forward(x: [N, 4]) {
        if k > 5 {
            x = fc(x) * c
        }
        return x
    }
}
"""
    model = build(text, k=k)
    with torch.no_grad():
        want = model.fc(X) * 3 if k > 5 else X
        assert torch.equal(model(X), want)
