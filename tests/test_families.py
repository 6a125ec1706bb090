"""Issue 12's family constructs that the zoo (test_zoo.py) does not show, in
tests/families.arch: builders returning numbers (held to torchvision's own
_make_divisible), config parameter types, build-time slices, a forward loop over a
ModuleList member and over range(k), and a variant of a variant."""

from __future__ import annotations

import pytest
from conftest import ROOT, check_golden

import archdsl
from archdsl import ArchError

torch = pytest.importorskip("torch")
torchvision_utils = pytest.importorskip("torchvision.models._utils")

SPEC = ROOT / "tests" / "families.arch"


@pytest.fixture(scope="module")
def families():
    return archdsl.load(SPEC)


def test_generated_module_matches_golden(update_golden):
    golden = ROOT / "tests" / "golden" / "families.py"
    check_golden(golden, archdsl.generate(SPEC), update_golden)


def test_check_is_clean():
    assert archdsl.check(SPEC) == []


@pytest.mark.parametrize("divisor", [1, 4, 8, 16])
def test_make_divisible_equals_torchvision(families, divisor):
    values = [v / 4 for v in range(1, 2000)]
    ours = [families.make_divisible(v, divisor) for v in values]
    theirs = [torchvision_utils._make_divisible(v, divisor) for v in values]
    assert ours == theirs


def test_variant_of_a_variant_runs_the_loops_as_written(families):
    """narrow_deep = narrow(repeats=3) = Net(width_mult=0.75, repeats=3); its
    forward against the same computation written out with torch by hand."""
    torch.manual_seed(0)
    model = families.narrow_deep().eval()
    assert [tuple(s.convs[0].weight.shape) for s in model.stages] == [
        (24, 16, 3, 3),  # make_divisible(24 * 0.75) = 24, of 16 * 0.75 -> 16
        (24, 24, 3, 3),
    ]
    x = torch.randn(2, 3, 8, 8)
    expected = model.stem(x)
    for stage in model.stages:
        for conv in stage.convs:
            expected = torch.relu(conv(expected))
    expected = expected * 0.5 * 0.5 * 0.5
    expected = model.head(expected.mean((2, 3)))
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_a_slice_built_stage_with_wrong_channels_is_reported():
    text = SPEC.read_text().replace(
        "zip(widths, widths[1:])", "zip(widths, widths[:1])"
    )
    with pytest.raises(ArchError) as error:
        archdsl.check(text=text)
    assert "channels" in str(error.value)


@pytest.mark.parametrize(
    "setting",
    [
        [[1, 16, 1], [0, 99, 4], [6, 24, 2]],  # the spec's default
        [[6, 8, 3], [1, 4, 2]],
        [[0, 5, 1], [2, 12, 1], [0, 3, 2], [1, 7, 3]],
    ],
)
def test_comprehension_clauses_and_nested_targets_are_python_s(families, setting):
    """tests/families.arch's Table: the clauses and the nested targets, as the
    spec writes them, run by Python itself here; the built model's layers (and
    the sizes check inferred) must agree with what Python computes."""
    widths = [c for t, c, n in setting if t > 0 for _ in range(n)]
    expected = {
        f"fc{i}": (c_out, c_in)
        for i, (c_in, c_out) in enumerate(zip([8] + widths, widths, strict=False))
    }
    model = families.Table(setting)
    assert {k: tuple(m.weight.shape) for k, m in model.layers.named_children()} == (
        expected
    )
    assert model(torch.randn(2, 8)).shape == (2, widths[-1])


def test_comprehension_clauses_run_at_check_time():
    """The check runs the clauses and the loop too: with the first layer made 9
    wide, the 8-wide input is refused before anything is built."""
    text = SPEC.read_text().replace(
        "enumerate(zip([8] + widths", "enumerate(zip([9] + widths"
    )
    with pytest.raises(ArchError) as error:
        archdsl.check(text=text)
    assert "expects 9 input features" in str(error.value)
