"""A `for`'s targets and a comprehension's clauses (issue 12 item 5) are read as
Python reads them: each spelling's targets, lowered, against the target Python's
own `ast` parses from the same text; the names one item binds against Python's own
unpacking; the items a comprehension computes at check time against Python's own
evaluation of it."""

from __future__ import annotations

import ast

import pytest
from conftest import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

import archdsl
from archdsl.ir.targets import UnpackProblem, unpack
from archdsl.pipeline import compile_spec, load_compiled, model_info
from archdsl.shapes.infer import infer_model

torch = pytest.importorskip("torch")

SPELLINGS = [
    "c",
    "(c)",
    "a, b",
    "(a, b)",
    "((a, b))",
    "i, (t, c, n, s)",
    "i, ((t, c), n)",
    "(i), (a, (b))",
]


def python_targets(text: str):
    """The target of `for TEXT in x: pass` as Python parses it, as nested tuples of
    names (the form of ir.For.targets)."""
    target = ast.parse(f"for {text} in x: pass").body[0].target

    def shape(node):
        if isinstance(node, ast.Name):
            return node.id
        return tuple(shape(e) for e in node.elts)

    found = shape(target)
    return (found,) if isinstance(found, str) else found


def lowered(text: str):
    spec = f"model M {{\n    for {text} in x {{\n    }}\n}}\n"
    loop = archdsl.parse(text=spec).definitions[0].body[0]
    comp = archdsl.parse(text=f"model M {{\n    y = [0 for {text} in x]\n}}\n")
    clause = comp.definitions[0].body[0].value.clauses[0]
    assert clause.targets == loop.targets  # a comprehension's are read alike
    return loop.targets


@pytest.mark.parametrize("text", SPELLINGS)
def test_targets_are_python_s(text):
    assert lowered(text) == python_targets(text)


ITEMS = [1, (1, 2), [1, (2, 3)], (1, (2, 3, 4, 5)), (1, ((2, 3), 4)), "ab", (1,)]


def python_binds(text: str, item) -> dict | str:
    scope: dict = {}
    try:
        exec(f"for {text} in [item]: pass", {"item": item}, scope)  # noqa: S102
    except (TypeError, ValueError):
        return "refused"
    return scope


@pytest.mark.parametrize("text", SPELLINGS)
@pytest.mark.parametrize("item", ITEMS, ids=repr)
def test_an_item_binds_what_python_binds(text, item):
    """Each spelling and item: the same names and values, or refused by both."""
    try:
        ours = unpack(lowered(text), item)
    except UnpackProblem:
        ours = "refused"
    assert ours == python_binds(text, item)


TYPES = """
block Wide(c: int) {
    fc = Linear(c, 2 * c)
    forward(x) = fc(x)
}

model M {
    stack = Sequential()
    for i, (kind, c) in enumerate([(Wide, 4), (Linear, 8), (Wide, 8)]) {
        stack.append(kind(c) if i != 1 else kind(c, c))
    }
    forward(x: [N, 4]) = stack(x)
}
"""


def test_layer_and_block_types_unpacked_from_a_table_build_as_python_s():
    """Types reached through nested targets are called with their values: the
    model's children equal those the same loop makes when Python runs it."""
    generated = archdsl.load(text=TYPES)
    scope = {"Wide": generated.Wide, "Linear": torch.nn.Linear, "stack": []}
    loop = (
        "for i, (kind, c) in enumerate([(Wide, 4), (Linear, 8), (Wide, 8)]):\n"
        "    stack.append(kind(c) if i != 1 else kind(c, c))\n"
    )
    exec(loop, scope)  # noqa: S102
    ours = [(type(m), k, v.shape) for m in generated.M().stack for k, v in
            m.state_dict().items()]  # fmt: skip
    theirs = [(type(m), k, v.shape) for m in scope["stack"] for k, v in
              m.state_dict().items()]  # fmt: skip
    assert ours == theirs


# ---- comprehension clauses: evaluated at check time as Python evaluates them --------

COMPREHENSIONS = [
    "[c for row in cfg for c in row if c % 2 == 1]",
    "[c * (i + 1) for i, row in enumerate(cfg) if i != 1 for c in row if c > 2]",
    "[a + b for a, (b, c) in zip(xs, pairs) if c != 0]",
    "[n for row in cfg if len(row) > 1 for n in row[1:] for _ in range(n % 3)]",
]

_DIGITS = st.integers(0, 9)


@fuzz_settings(60)
@given(
    comprehension=st.sampled_from(COMPREHENSIONS),
    cfg=st.lists(st.lists(_DIGITS, max_size=4), max_size=4),
    xs=st.lists(_DIGITS, max_size=5),
    pairs=st.lists(st.tuples(_DIGITS, st.integers(0, 2)), max_size=5),
)
def test_check_time_evaluation_is_python_s(comprehension, cfg, xs, pairs):
    """The widths a comprehension computes, as shape inference evaluates them
    (its parameter count, before anything is built), and as the generated
    module runs them, against Python's own evaluation of the same text."""
    widths = eval(comprehension, {"cfg": cfg, "xs": xs, "pairs": pairs})  # noqa: S307
    expected = sum(2 * (w + 1) for w in widths) + 2  # Linear(1, w + 1)s, Linear(1, 1)
    spec = (
        f"model M {{\n    cfg = {cfg!r}\n    xs = {xs!r}\n    pairs = {pairs!r}\n"
        f"    widths = {comprehension}\n"
        "    stack = ModuleList([Linear(1, w + 1) for w in widths])\n"
        "    fc = Linear(1, 1)\n    forward(x: [N, 1]) = fc(x)\n}\n"
    )
    compiled = compile_spec(text=spec)
    inferred = infer_model(compiled.context, model_info(compiled, "M"))
    assert inferred.params == expected
    model = load_compiled(compiled).M()
    assert sum(p.numel() for p in model.parameters()) == expected
