"""The error corpus: each tests/errors/X.arch has its rendered diagnostics in X.txt."""

from __future__ import annotations

import pytest
from conftest import ERRORS, ROOT, check_golden

import archdsl
from archdsl.errors import ArchError


def diagnostics_for(spec):
    """The errors a corpus spec raises; for a spec that compiles (the warn_*
    cases), its warnings, which must not be empty."""
    try:
        compiled = archdsl.compile_spec(spec)
    except ArchError as error:
        return error
    assert compiled.warnings, f"{spec} compiles without a diagnostic"
    return ArchError(compiled.warnings)


@pytest.mark.parametrize("spec", ERRORS, ids=lambda p: p.stem)
def test_error_corpus(spec, update_golden, monkeypatch):
    monkeypatch.chdir(ROOT)  # diagnostics show the path as given
    error = diagnostics_for(spec.relative_to(ROOT))
    check_golden(spec.with_suffix(".txt"), str(error) + "\n", update_golden)


@pytest.mark.parametrize("spec", ERRORS, ids=lambda p: p.stem)
def test_every_diagnostic_points_inside_its_file(spec):
    lines = spec.read_text().splitlines()
    for diagnostic in diagnostics_for(spec).diagnostics:
        span = diagnostic.span
        assert span is not None, diagnostic.message
        assert 1 <= span.line <= len(lines) + 1
        assert 1 <= span.column


def test_corpus_is_large_enough():
    assert len(ERRORS) >= 40


def test_all_errors_reported_at_once():
    error = diagnostics_for(ROOT / "tests" / "errors" / "many_errors.arch")
    messages = [d.message for d in error.diagnostics]
    assert len(messages) == 4, messages


def test_structured_diagnostic():
    error = diagnostics_for(ROOT / "tests" / "errors" / "unknown_keyword.arch")
    (diagnostic,) = error.diagnostics
    assert diagnostic.message == "`Conv2d` has no parameter `kernal_size`"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 25)
    assert diagnostic.hint == "did you mean `kernel_size`?"
    assert diagnostic.severity == "error"


def test_rendering_is_capped():
    body = "\n".join(f"    m{i} = Conv2D(1, 1, 1)" for i in range(30))
    with pytest.raises(ArchError) as info:
        archdsl.compile_spec("block A() {\n" + body + "\n    forward(x) = m0(x)\n}\n")
    assert len(info.value.diagnostics) == 30
    assert str(info.value).endswith("... and 10 more")


def test_same_ir_for_different_spellings():
    one = archdsl.parse("block A() {\n  fc = Linear(1, 2)\n  forward(x) = fc(x)\n}\n")
    two = archdsl.parse("block A() {fc = Linear(1,\n 2); forward(x) = fc(x)}\n")
    assert one.definitions == two.definitions  # spans stay out of equality


def test_signature_hint_shows_computed_default_as_ellipsis():
    spec = (
        "block D(a: int, b: int = a) {\n f = Linear(a, b)\n forward(x) = f(x)\n}\n"
        "model M() {\n d = D()\n forward(x) = d(x)\n}\n"
    )
    with pytest.raises(ArchError) as info:
        archdsl.compile_spec(spec)
    assert info.value.diagnostics[0].hint == "the signature is `D(a, b=...)`"
