"""Subscripts of tensors (`x[:, :c]`, `x[..., 0]`, `x[:, None]`) against torch.

hypothesis draws a shape and a subscript of ints, slices, `...` and None; the
rule in archdsl/ops/shapes/indexing.py must refuse it iff torch raises, and give
torch's shape otherwise (stricter by design: a second `...`, which torch reads as
no dims and Python refuses). With one size made a symbol, a subscript torch takes is
never refused, and every size the rule does say evaluates to torch's.
"""

from __future__ import annotations

import pytest
from conftest import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from archdsl.ops.shapes import UNKNOWN, ShapeDepends, ShapeProblem, Unknowable
from archdsl.ops.shapes.indexing import index
from archdsl.shapes import dims

torch = pytest.importorskip("torch")

BOUND = st.one_of(st.none(), st.integers(-8, 8))
ITEM = st.one_of(
    st.integers(-8, 8),
    st.builds(slice, BOUND, BOUND, st.one_of(st.none(), st.integers(-1, 3))),
    st.just(Ellipsis),
    st.none(),
)
SHAPE = st.lists(st.integers(0, 7), max_size=4).map(tuple)


def torch_says(shape: tuple[int, ...], items: tuple) -> tuple[int, ...] | None:
    try:
        return tuple(torch.empty(shape)[items].shape)
    except (IndexError, ValueError, RuntimeError, TypeError):
        return None


def archdsl_says(shape: tuple, items: tuple):
    try:
        return index(shape, items)
    except ShapeProblem:
        return None


@fuzz_settings(300)
@given(SHAPE, st.lists(ITEM, max_size=5).map(tuple))
def test_index_rule_agrees_with_torch(shape, items):
    theirs = torch_says(shape, items)
    ours = archdsl_says(shape, items)
    if items.count(Ellipsis) > 1:  # torch lets later ones stand for no dims;
        assert ours is None  # Python and numpy refuse them, and so does archdsl
        return
    assert ours == theirs, f"{shape}[{items}]: archdsl {ours}, torch {theirs}"
    if theirs is None:
        return
    for axis, size in enumerate(shape):
        if size == 0:
            continue  # symbols stand for sizes of 1 or more
        variant = tuple(
            dims.symbol("S") if i == axis else s for i, s in enumerate(shape)
        )
        try:
            got = index(variant, items)
        except ShapeDepends as problem:  # right where the size is large enough
            if size < max(
                (
                    abs(b)
                    for i in items
                    if isinstance(i, slice)
                    for b in (i.start, i.stop)
                    if b is not None
                ),
                default=0,
            ):
                continue  # fmt: skip
            got = problem.result
        except Unknowable:
            continue
        except ShapeProblem as problem:
            raise AssertionError(
                f"{variant}[{items}]: refused: {problem.message}"
            ) from None
        said = [d if d is UNKNOWN else dims.evaluate(d, {"S": size}) for d in got]
        assert len(said) == len(theirs)
        assert all(d in (UNKNOWN, t) for d, t in zip(said, theirs, strict=True)), (
            f"{variant}[{items}]: {got}, torch {theirs}"
        )
