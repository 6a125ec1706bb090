"""Limits hold on values as evaluated, and build-time evaluation refuses what Python
or torch refuses: each case gives one diagnostic, at its line, and finishes within
a bound on work (a step budget far below the default), never by wall-clock time."""

from __future__ import annotations

import re

import pytest
import torch

import archdsl
from archdsl.check import Limits
from archdsl.errors import ArchError

#: A step budget 200 times smaller than the default: a case that finishes under it
#: does its work in milliseconds, however slow the machine.
SMALL = Limits(max_steps=10_000)


def error_of(text: str, limits: Limits = SMALL) -> ArchError:
    with pytest.raises(ArchError) as info:
        archdsl.compile_spec(text, limits)
    return info.value


def first(text: str, limits: Limits = SMALL) -> tuple[str, int, int, list[int]]:
    """(message, line, column, lines of its notes) of the first error."""
    found = error_of(text, limits).errors[0]
    assert found.span is not None
    notes = [n.span.line for n in found.notes if n.span is not None]
    return found.message, found.span.line, found.span.column, notes


def model(body: str, params: str = "", forward: str = "forward(x) = fc(x)") -> str:
    return f"model M({params}) {{\n{body}\n    {forward}\n}}\n"


WIDE = """block Wide(n: int) {
    fc = Linear(n, n)
    forward(x) = fc(x)
}
"""


# ---- sizes through block arguments ---------------------------------------------------


def test_parameters_count_with_the_callers_arguments():
    text = WIDE + model("    fc = Wide(1000000)")
    message, line, _, notes = first(text)
    assert message.startswith("`M` would have about 1.0e+12 parameters")
    assert line == 2 and notes == [6]  # at the Linear, noting the call


def test_instances_of_one_block_all_count():
    """The counting pass evaluates Wide(70000) once and multiplies it out: two fit
    under 10^10 parameters, the third crosses, at its own line."""
    two = "    a = Wide(70000)\n    b = Wide(70000)\n    fc = Linear(2, 2)"
    archdsl.compile_spec(WIDE + model(two), SMALL)
    three = two.replace("    fc", "    c = Wide(70000)\n    fc")
    message, line, _, _ = first(WIDE + model(three))
    assert "would have about 14,700,210,000 parameters" in message
    assert line == 8


def test_repeats_through_a_block_parameter_are_an_error():
    block = """block R(n: int) {
    layers = Sequential(*[ReLU() for _ in range(n)])
    forward(x) = layers(x)
}
"""
    message, line, _, notes = first(block + model("    fc = R(1000000000000)"))
    assert message == "this range has 1.0e+12 items; the limit is 1,000,000"
    assert line == 2 and notes == [6]
    text = block + model("    fc = R(200000)")
    message, line, _, _ = first(text, Limits())
    assert message == "`M` would build at least 100,001 modules; the limit is 100,000"
    assert line == 2
    archdsl.compile_spec(text, Limits(max_modules=300_000))  # raised, it builds


def test_doubled_blocks_26_levels_deep_are_refused_at_once():
    """B_k builds B_(k-1) twice: 2^27 modules. Refused within the small budget,
    where building the first 100,000 modules would take more steps than that."""
    lines = ["block B0() {\n    fc = Linear(2, 2)\n    forward(x) = fc(x)\n}"]
    for k in range(1, 27):
        lines.append(
            f"block B{k}() {{\n    a = B{k - 1}()\n    b = B{k - 1}()\n"
            "    forward(x) = b(a(x))\n}"
        )
    text = "\n".join(lines) + "\n" + model("    fc = B26()")
    with pytest.raises(ArchError) as info:
        archdsl.compile_spec(text)
    # one error, at the first level over the limit: the levels above it and the
    # model are refused only because they build it
    (diagnostic,) = info.value.diagnostics
    assert re.fullmatch(
        r"`B16` would build at least [\d,]+ modules; the limit is .*",
        diagnostic.message,
    )


# ---- values too large to hold --------------------------------------------------------


def test_large_exponents_are_evaluated_not_skipped():
    message, line, _, _ = first(
        model("    k = 2 ** 65 // 2 ** 31\n    fc = Linear(k, 2)")
    )
    assert message.startswith("`M` would have about 34,359,738,370 parameters")
    assert line == 3


def test_an_integer_too_large_is_refused_before_it_is_computed():
    message, line, column, _ = first(
        model("    k = (10 ** 10000) ** 10000\n    fc = ReLU()")
    )
    assert message.startswith("this is too large to compute: at least 30,001 bits")
    assert (line, column) == (2, 10)


@pytest.mark.parametrize(
    ("start", "step", "message"),
    [
        ("[0]", "a + a", "this list would have 1,048,576 items"),
        ('"ab"', "a + a", "this string would have 1,048,576 characters"),
        ("[0, 1]", "a * 2", "this list would have 1,048,576 items"),
        ("3", "a * a", "this is too large to compute"),
    ],
)
def test_forty_doublings_are_refused(start, step, message):
    """Refused at the doubling whose result would be longer than max_items, before
    it is built (under the small budget, the step limit refuses even sooner)."""
    lines = [f"    a0 = {start}"]
    for k in range(1, 41):
        lines.append(f"    a{k} = {step.replace('a', f'a{k - 1}')}")
    lines.append("    fc = ReLU()")
    found, line, _, _ = first(model("\n".join(lines)), Limits(max_steps=4_000_000))
    assert found.startswith(message)
    assert 3 <= line <= 23  # at the doubling that crosses the limit


def test_forty_squarings_of_a_parameter_finish():
    """A symbolic size squared forty times is not followed past a bound: checking
    finishes (within the small budget) instead of building 2^40 terms."""
    lines = ["    a0 = n + 1"]
    lines += [f"    a{k} = a{k - 1} * a{k - 1}" for k in range(1, 41)]
    lines.append("    fc = Linear(2, 2)")
    archdsl.compile_spec(model("\n".join(lines), "n: int"), SMALL)


# ---- what Python refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "message", "column"),
    [
        ("1 // 0", "division by zero (`//` with 0 on the right)", 9),
        ("7 % 0", "division by zero (`%` with 0 on the right)", 9),
        ("1 / 0", "division by zero (`/` with 0 on the right)", 9),
        ("[1, 2][5]", "index 5 is out of range for 2 items", 16),
        ("[x for x in range(0, 4, 0)]", "`range` step must not be zero", 33),
        ("0.0 ** -1", "division by zero (`**` with 0 on the right)", 9),
        ("[a + b for a, b in [(1, 2, 3)]]", "cannot unpack 3 values into 2 names", 28),
        ("[a + b for a, b in [1, 2]]", "cannot unpack int 1 into 2 names", 28),
        ("min([])", "`min` refuses these arguments: min() arg is an empty sequence", 9),
        (
            'int("x")',
            "`int` refuses these arguments: invalid literal for int() with base 10: 'x'",
            9,
        ),
    ],
)
def test_python_refusals_at_check_time(expr, message, column):
    found = first(model(f"    k = {expr}\n    fc = ReLU()"))
    assert found[:3] == (message, 2, column)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("8 // n", "division by zero (`//` with 0 on the right)"),
        ("[1, 2][2 - n]", "index 2 is out of range for 2 items"),
        ("range(0, 4, n)", "`range` step must not be zero"),
    ],
)
def test_python_refusals_with_a_callers_value(expr, message):
    """A value known only from the call (`D(0)`) is refused as the model builds
    it, inside the block, with a note at the call."""
    block = f"block D(n: int) {{\n    k = {expr}\n    fc = ReLU()\n    forward(x) = fc(x)\n}}\n"
    found, line, _, notes = first(block + model("    fc = D(0)"))
    assert (found, line, notes) == (message, 2, [7])
    archdsl.compile_spec(block + model("    fc = D(1)"), SMALL)


def test_a_float_literal_that_overflows_is_refused():
    for body, column in (
        ("    k = 1e999\n    fc = ReLU()", 9),
        ('    fc = Upsample(scale_factor=1e999, mode="nearest")', 32),
    ):
        message, line, found_column, _ = first(model(body))
        assert message.startswith("`1e999` is too large for a float")
        assert (line, found_column) == (2, column)


def test_an_integer_literal_over_the_bit_limit_is_refused():
    message, line, column, _ = first(
        model("    k = 1" + "0" * 2000 + "\n    fc = ReLU()")
    )
    assert (
        message == "this value has 6,644 bits; build-time integers are limited to 4,096"
    )
    assert (line, column) == (2, 9)


def test_an_integer_literal_over_4300_digits_is_refused():
    message, line, _, _ = first(model("    k = 1" + "0" * 5000 + "\n    fc = ReLU()"))
    assert message == "this integer has 5,001 digits; the limit is 4,300"
    assert line == 2


def test_an_int_to_a_negative_power_is_a_float():
    assert 2**-1 == 0.5  # what the generated constructor computes
    message, line, _, _ = first(model("    fc = Linear(2 ** -1, 3)"))
    assert message == "`Linear` argument `in_features` must be int, got float"
    assert line == 2
    archdsl.compile_spec(model("    fc = Linear(2 ** 3, 3)"), SMALL)


def test_a_flat_sum_is_not_nesting():
    total = " + ".join(["1"] * 101)
    archdsl.compile_spec(model(f"    k = {total}\n    fc = Linear(k, 2)"), SMALL)


# ---- bases, nesting, and the limits themselves --------------------------------------


def test_a_base_model_with_a_negative_class_count():
    text = "model M extends torchvision.resnet18(num_classes=-5) {\n}\n"
    message, line, column, _ = first(text)
    assert message == "`num_classes` must be at least 1, got -5"
    assert (line, column) == (1, 38)


def _chain(levels: int) -> str:
    lines = ["block B0() {\n    fc = Linear(2, 2)\n    forward(x) = fc(x)\n}"]
    for k in range(1, levels):
        lines.append(f"block B{k}() {{\n    a = B{k - 1}()\n    forward(x) = a(x)\n}}")
    return "\n".join(lines) + "\n" + model(f"    fc = B{levels - 1}()")


def test_a_chain_of_100_blocks_builds_and_runs():
    built = archdsl.load(_chain(100)).M()
    assert built(torch.zeros(3, 2)).shape == (3, 2)


@pytest.mark.parametrize("run", [archdsl.compile_spec, archdsl.generate])
def test_a_chain_of_1500_blocks_is_a_diagnostic(run):
    with pytest.raises(ArchError) as info:
        run(_chain(1500))
    message = info.value.errors[0].message
    assert message == (
        "`B101` builds blocks nested 101 levels deep (through `B100`); the limit is 100"
    )


@pytest.mark.parametrize(
    "name", ["max_params", "max_modules", "max_items", "max_steps"]
)
def test_negative_limits_are_refused(name):
    with pytest.raises(ArchError, match=f"--{name.replace('_', '-')} must be"):
        Limits(**{name: -1})


# ---- parameters nobody gave may be 0 -------------------------------------------------


EXTRA = "model M(extra: int) {\n    fc = Linear(4 + extra, 2)\n    forward(x: [N, 4]) = fc(x)\n}\n"


def test_an_int_parameter_without_default_may_be_zero():
    compiled = archdsl.compile_spec(EXTRA, SMALL)  # no false "expects extra + 4"
    from archdsl.shapes.infer import infer_model

    info = compiled.context.defs["M"]
    result = infer_model(compiled.context, info, {"extra": 0})
    assert result.errors == [] and result.params == 10
    built = archdsl.load(EXTRA).M(extra=0)
    assert sum(p.numel() for p in built.parameters()) == 10
    assert built(torch.zeros(5, 4)).shape == (5, 2)
    wrong = infer_model(compiled.context, info, {"extra": 3})
    assert "expects 7 input features" in wrong.errors[0].message


@pytest.mark.parametrize("through_block", [False, True])
def test_counts_past_a_floats_range_are_reported(through_block):
    """2**1200 parameters: the message must not need a float (an OverflowError
    there once turned the refusal into a silent pass)."""
    if through_block:
        text = WIDE + model("    fc = Wide(2 ** 600)")
    else:
        text = model("    fc = Linear(2 ** 600, 2 ** 600)")
    found = error_of(text).errors[0].message
    assert "would have about 1e+361 parameters (1e+352 GB as float32)" in found


def test_a_range_past_sys_maxsize_is_counted_not_measured():
    """len(range(10**30)) raises OverflowError in Python; the limit still holds,
    at check time and with a caller's value."""
    message, line, _, _ = first(
        model("    fc = Sequential(*[ReLU() for _ in range(10**30)])")
    )
    assert message.startswith("this range has 1.0e+30 items") and line == 2
    block = "block R(n: int) {\n    fc = Sequential(*[ReLU() for _ in range(n)])\n    forward(x) = fc(x)\n}\n"
    message, line, _, notes = first(block + model("    fc = R(10**30)"))
    assert message.startswith("this range has 1.0e+30 items") and notes == [6]


def test_the_step_budget_is_for_the_whole_check():
    """Each model alone fits the budget; twenty of them together do not: work is
    counted per check, not per model, so copies cannot multiply it."""
    heavy = "    k = [i * 2 for i in range(300)]\n    fc = ReLU()"
    one = model(heavy)
    archdsl.compile_spec(one, SMALL)
    many = "".join(one.replace("model M(", f"model M{i}(") for i in range(20))
    message, *_ = first(many)
    assert (
        message.startswith("evaluating `M")
        and "takes more than 10,000 steps" in message
    )


def test_summary_of_a_model_past_a_floats_range():
    """Raised far enough, the limits let a 2**1200-parameter model through; the
    summary still prints (no float division of the count)."""
    from archdsl.shapes.infer import infer_model
    from archdsl.shapes.summary import render_summary

    text = WIDE + model("    fc = Wide(2 ** 600)", forward="forward(x: [N, 8]) = x")
    compiled = archdsl.compile_spec(text, Limits(max_params=10**400))
    result = infer_model(compiled.context, compiled.context.defs["M"])
    assert result.params == 2**1200 + 2**600
    last = render_summary("M", result, {"x": "[N, 8]"}, 2).splitlines()[-1]
    assert last.endswith("(1e+352 GB as float32)")


@pytest.mark.parametrize("cond", ["1", "[0]", '"yes"', "2 > 1"])
def test_conditions_have_pythons_truth(cond):
    """`if 1` takes its first branch in Python: what it builds counts (it was
    taken for an unknown condition, and nothing in it counted)."""
    text = WIDE + model(
        f"    if {cond} {{\n        fc = Wide(1000000)\n    }} else {{\n"
        "        fc = Wide(2)\n    }",
    )
    message, line, _, notes = first(text)
    assert message.startswith("`M` would have about 1.0e+12 parameters")
    assert (line, notes) == (2, [7])  # the Linear, built from line 7
    text = WIDE + model(f"    fc = Wide(2) if not {cond} else Wide(1000000)")
    assert first(text)[0].startswith("`M` would have about 1.0e+12 parameters")


def test_a_branch_decided_at_build_time_counts_when_larger():
    """`if big` with `big` given only when the model is built: the larger branch
    counts, so a bomb cannot hide behind a parameter; what Python would refuse
    in a branch that may not run is not an error."""
    bomb = WIDE + model(
        "    if big {\n        fc = Wide(1000000)\n    } else {\n        fc = Wide(2)\n    }",
        "big: bool",
    )
    message, line, _, notes = first(bomb)
    assert message.startswith("`M` would have about 1.0e+12 parameters")
    assert (line, notes) == (2, [7])
    guarded = (
        "block D(n: int, safe: bool) {\n    if safe {\n        k = 1\n    } else {\n"
        "        k = 8 // n\n    }\n    fc = Linear(k, 2)\n    forward(x) = fc(x)\n}\n"
    )
    archdsl.compile_spec(guarded + model("    fc = D(0, flag)", "flag: bool"), SMALL)
    message, line, _, _ = first(guarded + model("    fc = D(0, False)"))
    assert message.startswith("division by zero") and line == 5


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("2 ** n", "`Linear` argument `in_features` must be int, got float (0.5)"),
        (
            '"4" if n < 0 else 4',
            "`Linear` argument `in_features` must be int, got str ('4')",
        ),
    ],
)
def test_layer_arguments_are_checked_as_evaluated(argument, message):
    """Typed int at check time (or not known), a float or a str when built with
    n = -1: torch refuses `Linear(0.5, 3)`, so check does too, inside the block."""
    block = f"block P(n: int) {{\n    fc = Linear({argument}, 3)\n    forward(x) = fc(x)\n}}\n"
    found, line, _, notes = first(block + model("    fc = P(-1)"))
    assert (found, line, notes) == (message, 2, [6])
    archdsl.compile_spec(block + model("    fc = P(2)"), SMALL)


def test_doubled_blocks_with_declared_shapes_are_refused_without_building():
    """Every block declares its input's shape, so each is inferred on its own:
    B0 .. B15 are each just under the module limit. The spec is refused by the
    counting passes before any of them is built (at most a few thousand steps,
    where building them would take hundreds of thousands)."""
    from archdsl.check import analyze
    from archdsl.pipeline import parse

    lines = ["block B0() {\n    fc = Linear(2, 2)\n    forward(x: [N, 2]) = fc(x)\n}"]
    for k in range(1, 27):
        lines.append(
            f"block B{k}() {{\n    a = B{k - 1}()\n    b = B{k - 1}()\n"
            "    forward(x: [N, 2]) = b(a(x))\n}"
        )
    ctx = analyze(parse("\n".join(lines) + "\n" + model("    fc = B26()")))
    errors = [d for d in ctx.diagnostics if d.severity == "error"]
    assert errors and all("modules; the limit is 100,000" in d.message for d in errors)
    assert ctx.eval_steps < 10_000
