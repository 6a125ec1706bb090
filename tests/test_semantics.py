"""What `check` accepts computes what the spec says, and what it refuses torch
refuses too (or would compute something else): each refusal is shown against torch,
never against archdsl's own output."""

from __future__ import annotations

import pytest

from archdsl.errors import ArchError
from archdsl.pipeline import compile_spec, load_compiled
from archdsl.source import Source

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


def errors(text: str) -> list[str]:
    """The error messages `check` gives for a spec's text (none when it passes)."""
    try:
        compile_spec(Source("<test>", text))
    except ArchError as exc:
        return [d.message for d in exc.errors]
    return []


def build(text: str):
    """The generated module of a spec that must pass `check`."""
    return load_compiled(compile_spec(Source("<test>", text)))


def refused(text: str, fragment: str) -> None:
    found = errors(text)
    assert any(fragment in message for message in found), found


# ---- Sequential's two forms ------------------------------------------------------------


def test_sequential_refuses_mixed_children_like_torch() -> None:
    with pytest.raises(TypeError):
        nn.Sequential(nn.Linear(2, 8), out=nn.Linear(8, 3))
    refused(
        "model M() {\n"
        "    net = Sequential(Linear(2, 8), out=Linear(8, 3))\n"
        "    forward(x: [N, 2]) = net(x)\n"
        "}\n",
        "either all named or all unnamed",
    )


@pytest.mark.parametrize("items", ["[1, 2]", "[c for c in chans]", "[0.5]"])
def test_sequential_refuses_splat_of_non_modules_like_torch(items: str) -> None:
    with pytest.raises(TypeError):
        nn.Sequential(*[1, 2])
    refused(
        "model M(chans: list[int] = [1, 2]) {\n"
        f"    net = Sequential(*{items})\n"
        "    forward(x: [N, 2]) = net(x)\n"
        "}\n",
        "`*` spreads this list into `Sequential`",
    )


def test_sequential_splat_of_modules_matches_torch() -> None:
    module = build(
        "model M(chans: list[int] = [4, 6, 3]) {\n"
        "    net = Sequential(*[Linear(a, b) for a, b in zip([4, 6], [6, 3])])\n"
        "    forward(x: [N, 4]) = net(x)\n"
        "}\n"
    )
    model = module.M()
    reference = nn.Sequential(nn.Linear(4, 6), nn.Linear(6, 3))
    reference.load_state_dict(
        {k.removeprefix("net."): v for k, v in model.state_dict().items()}
    )
    x = torch.randn(5, 4)
    torch.testing.assert_close(model(x), reference(x))


# ---- names a forward or a base's forward would use twice -------------------------------


def test_duplicate_forward_inputs_are_a_python_syntax_error() -> None:
    with pytest.raises(SyntaxError):
        compile("def forward(self, x, x):\n    return x\n", "<t>", "exec")
    refused(
        "model M() {\n"
        "    fc = Linear(2, 2)\n"
        "    forward(x: [N, 2], x: [N, 2]) = fc(x)\n"
        "}\n",
        "two inputs named `x`",
    )


def test_duplicate_targets_are_refused() -> None:
    refused(
        "block B() {\n"
        "    fc = Linear(2, 2)\n"
        "    forward(x) { return fc(x), x }\n"
        "}\n"
        "model M() {\n"
        "    b = B()\n"
        "    forward(x: [N, 2]) {\n"
        "        a, a = b(x)\n"
        "        return a\n"
        "    }\n"
        "}\n",
        "`a` is assigned twice",
    )


@pytest.mark.parametrize(
    ("statements", "fragment"),
    [
        ("input x: [N, 8]", "input name `x` is the base model's input"),
        ("outputs(x = layer3, y = layer4)", "output name `x`"),
        ("outputs(a = layer3, a = layer4)", "`a` already names"),
        ("input m: [N, 8]\n    input m: [N, 8]", "`m` already names"),
    ],
)
def test_base_forward_names_are_unique(statements: str, fragment: str) -> None:
    refused(
        f"model M extends torchvision.resnet18() {{\n    {statements}\n}}\n", fragment
    )
