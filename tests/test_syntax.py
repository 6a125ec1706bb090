"""The front end's edges: byte-order marks, unknown words, long operator chains."""

from __future__ import annotations

import pytest

import archdsl
from archdsl.errors import ArchError
from archdsl.syntax.parser import MAX_CHAIN, MAX_DEPTH

SPEC = "model M {\n    fc = Linear(4, 2)\n    forward(x: [N, 4]) = fc(x)\n}\n"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.arch"
    path.write_bytes(b"\xef\xbb\xbf" + SPEC.encode())
    assert "class M(nn.Module)" in archdsl.generate(path)


def test_positions_after_a_byte_order_mark_are_unchanged(tmp_path):
    path = tmp_path / "bom.arch"
    path.write_bytes(
        ("\ufeff" + SPEC.replace("Linear(4, 2)", "Linear(4, 2, bais=1)")).encode()
    )
    with pytest.raises(ArchError) as info:
        archdsl.check(path)
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 23)


@pytest.mark.parametrize(
    ("first", "message", "hint"),
    [
        ("modle", "unknown word `modle` where a definition should start",
         "did you mean `model`?"),
        ("blokc", "unknown word `blokc` where a definition should start",
         "did you mean `block`?"),
        ("class", "unknown word `class` where a definition should start",
         "a definition starts with `block`, `model`, `builder`, `import`, `from`"),
        ("def", "`def` is Python; blocks are declared with `block`",
         "write `block Name(param: int) { ... }`"),
    ],
)  # fmt: skip
def test_an_unknown_first_word_is_named(first, message, hint):
    with pytest.raises(ArchError) as info:
        archdsl.check(SPEC.replace("model", first, 1) + "\n")
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.message, diagnostic.hint) == (message, hint)


def _chain_spec(operators: int, nesting: int = 0) -> str:
    """A flat chain of `operators` additions, multiplications and `and`s, inside
    `nesting` parentheses, at build time and in forward."""
    terms = " + ".join(["1"] * (operators + 1))
    scale = " * ".join(["1.0"] * operators)  # after `fc(x) *`
    flags = " and ".join(["True"] * (operators + 1))
    open_, close = "(" * nesting, ")" * nesting
    return (
        f"model M {{\n    c = {open_}{terms}{close}\n    b = {flags}\n"
        f"    fc = Linear(c, 2)\n"
        f"    forward(x: [N, {operators + 1}]) = fc(x) * {open_}{scale}{close}\n}}\n"
    )


@pytest.mark.parametrize("nesting", [0, MAX_DEPTH - 5])
def test_a_flat_chain_at_the_limit_runs_through_every_stage(nesting):
    """A sum of 101 terms is not 101 levels of nesting; the longest chain allowed,
    inside nearly the deepest nesting allowed, compiles and runs (the recursive
    stages after parsing do not run out of stack)."""
    torch = pytest.importorskip("torch")
    module = archdsl.load(text=_chain_spec(MAX_CHAIN, nesting))
    model = module.M().eval()
    assert model.fc.in_features == MAX_CHAIN + 1
    with torch.no_grad():
        assert model(torch.ones(2, MAX_CHAIN + 1)).shape == (2, 2)


def test_a_longer_chain_is_a_diagnostic():
    with pytest.raises(ArchError) as info:
        archdsl.check(_chain_spec(MAX_CHAIN + 1))
    diagnostic = info.value.diagnostics[0]  # parsing stops at the first
    assert diagnostic.message == f"this chains more than {MAX_CHAIN} operators"
    assert diagnostic.span.line in (2, 3, 5)  # one of the three chains


@pytest.mark.parametrize("layout", [" {{ {stmt}\n", " {{\n        {stmt}\n"])
def test_forward_names_no_value_wherever_it_stands(layout):
    """`forward` is the language's keyword: as a value's name it is refused the same
    way at the start of a body as further down (it was accepted only at the start)."""
    body = layout.format(stmt="forward = fc(x)")
    text = (
        "model M {\n    fc = Linear(4, 4)\n    forward(x: [N, 4])" + body
        + "        return fc(x)\n    }\n}\n"
    )  # fmt: skip
    with pytest.raises(ArchError) as info:
        archdsl.check(text)
    assert info.value.diagnostics[0].message in (
        "cannot name a value `forward`: `forward` is used by the generated code",
        "`forward` is a keyword of the language and cannot name a value",
    )
