"""Symbolic sizes: canonical forms compare equal exactly when the sizes are equal,
and every expression evaluates as Python's integer arithmetic does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archdsl.shapes.dims import Poly, evaluate, never_zero, parameter, symbol

H, W = symbol("H"), symbol("W")

# An expression is built by a list of steps applied to H (or W): the arithmetic a
# chain of convolutions, pools, transposed convolutions and concatenations does.
STEP = st.one_of(
    st.tuples(st.just("+"), st.integers(-9, 9)),
    st.tuples(st.just("*"), st.integers(1, 4)),
    st.tuples(st.just("//"), st.integers(1, 8)),
    st.tuples(st.just("+W"), st.just(0)),
)


def _apply(value, steps):
    for op, k in steps:
        if op == "+":
            value = value + k
        elif op == "*":
            value = value * k
        elif op == "//":
            value = value // k
        elif op == "neg":
            value = -value
        else:
            value = value + (W if isinstance(value, Poly) else _apply.w)
    return value


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(STEP, max_size=8), st.integers(-50, 300), st.integers(1, 300))
def test_symbolic_arithmetic_evaluates_like_integers(steps, h, w):
    _apply.w = w
    expected = _apply(h, steps)
    assert evaluate(_apply(H, steps), {"H": h, "W": w}) == expected


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.lists(STEP, max_size=6),
    st.lists(STEP, max_size=6),
)
def test_equal_forms_mean_equal_sizes(first, second):
    a, b = _apply(H, first), _apply(H, second)
    if a == b:
        for h in range(-20, 200):
            for w in (1, 7, 64):
                assert evaluate(a, {"H": h, "W": w}) == evaluate(b, {"H": h, "W": w})


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.one_of(STEP, st.tuples(st.just("neg"), st.just(0))), max_size=8))
def test_printed_sizes_read_back_as_python(steps):
    """What diagnostics and the summary print is a Python expression meaning the
    same size: `-((H + 1) // 2)`, never `-(H + 1) // 2`."""
    size = _apply(H, steps)
    for h in (1, 2, 7, 64):
        for w in (1, 5):
            printed = str(size).replace("H", str(h)).replace("W", str(w))
            assert eval(printed) == evaluate(size, {"H": h, "W": w}), str(size)  # noqa: S307


def test_known_identities_are_one_form():
    assert (H - 1) // 2 + 1 == (H + 1) // 2  # a 3x3 stride-2 conv, padding 1
    assert H // 2 // 2 == H // 4
    assert ((H // 2) - 1) * 2 + 2 == 2 * (H // 2)  # pool, then transposed conv
    assert (2 * H + 1) // 4 == H // 2
    assert H * W - W * H == 0
    assert str((H + 3) // 4) == "(H + 3) // 4"


# A size built from an input size H (>= 1) and a parameter nobody gave, P (>= 0):
# `never_zero` may say "never zero" only when no such values make it zero.
P = parameter("P")
MIXED = st.one_of(
    STEP, st.tuples(st.just("+P"), st.just(0)), st.tuples(st.just("*P"), st.just(0))
)


def _apply_mixed(value, steps):
    for op, k in steps:
        if op == "+P":
            value = value + P
        elif op == "*P":
            value = value * P
        else:
            value = _apply(value, [(op, k)])
    return value


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(MIXED, max_size=7))
def test_never_zero_holds_for_parameters_at_zero(steps):
    _apply.w = 1
    size = _apply_mixed(H, [s for s in steps if s[0] != "+W"])
    if never_zero(size):
        for h in range(1, 40):
            for p in range(0, 6):
                assert evaluate(size, {"H": h, "P": p}) != 0, str(size)


def test_parameters_may_be_zero_sizes_may_not():
    assert never_zero(H) and never_zero(H * W)
    assert not never_zero(P) and not never_zero(P * H)
    assert never_zero(P + 1) and never_zero(H + P)
    assert P != symbol("P") and str(P) == "P"  # a parameter is not the size `P`
    assert evaluate(4 + P - 4, {"P": 0}) == 0
