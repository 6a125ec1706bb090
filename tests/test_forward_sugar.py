"""PyTorch spellings in `forward` lower to the language's own forms (syntax/sugar.py):
each pair below must give equal IR (spans aside), so everything after parsing
(checks, shapes, codegen) sees one form. What the forms compute is held to torch
elsewhere: tests/test_oracle.py runs specs/token_mixer.arch through the reference
interpreter, tests/test_zoo.py ShuffleNet and GoogLeNet against torchvision."""

from __future__ import annotations

import pytest

import archdsl

PAIRS = {
    "method": ("x.flatten(1)", "flatten(x, 1)"),
    "method_keywords": ("x.chunk(2, dim=1)[0]", "chunk(x, 2, dim=1)[0]"),
    "method_chain": ("x.transpose(1, 2).flatten(2)", "flatten(transpose(x, 1, 2), 2)"),
    "method_on_call": ("fc(x).relu()", "relu(fc(x))"),
    "view_varargs": ("x.view(2, -1)", "view(x, [2, -1])"),
    "view_one_list": ("x.view([2, -1])", "view(x, [2, -1])"),
    "view_sizes": ("x.view(x.size())", "view(x, size(x))"),
    "shape": ("reshape(x, x.shape)", "reshape(x, size(x))"),
    "shape_of_call": ("fc(x).shape[1]", "size(fc(x))[1]"),
    "torch_prefix": ("torch.cat((x, x), dim=1)", "cat((x, x), dim=1)"),
    "functional": ("F.relu(x)", "relu(x)"),
    "functional_long": ("torch.nn.functional.relu(x)", "relu(x)"),
}


def _forward(value: str, statement: str = "y = {}"):
    body = statement.format(value)
    text = (
        "model M {\n    fc = Linear(4, 4)\n"
        f"    forward(x: [N, 4]) {{\n        {body}\n        return y\n    }}\n}}\n"
    )
    model = archdsl.parse(text=text).definitions[0]
    return next(s for s in model.body if s.kind == "forward")


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_pytorch_spelling_lowers_to_the_plain_form(name):
    sugar, plain = PAIRS[name]
    assert _forward(sugar) == _forward(plain)


STATEMENTS = {
    "augmented": ("y = x\n        y += fc(x)", "y = x\n        y = y + fc(x)"),
    "tuple_assign": ("a, y = fc(x), x", "a, y = (fc(x), x)"),
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_statement_spellings_lower_alike(name):
    sugar, plain = STATEMENTS[name]
    assert _forward(sugar, "{}") == _forward(plain, "{}")


def test_forward_expression_with_several_values_returns_a_tuple():
    text = "model M {\n    fc = Linear(4, 4)\n    forward(x: [N, 4]) = fc(x), x\n}\n"
    written = "model M {\n    fc = Linear(4, 4)\n    forward(x: [N, 4]) {\n        return fc(x), x\n    }\n}\n"
    assert archdsl.parse(text=text) == archdsl.parse(text=written)


def test_member_methods_are_not_tensor_methods():
    """`net.layer3(x)` calls a member's child: only forward values have methods."""
    forward = _forward("fc.weight(x)")
    call = forward.body[0].value
    assert call.func.kind == "path" and call.func.parts == ("fc", "weight")
