"""`archdsl fmt`: idempotent, meaning-preserving (the IR without spans is equal
before and after), comments kept in order, over every spec, the format and error
corpora and generated programs; layouts checked against ruff itself on the
Python-shaped part of the language; the command line's --check, --diff and
in-place rewrite."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ERRORS, ROOT, SPECS, ZOO_SPECS, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from archdsl import parse
from archdsl.errors import ArchError
from archdsl.fmt import format_text

sys.path.insert(0, str(ROOT / "tests"))
from oracle.bases import base_programs  # noqa: E402
from oracle.programs import Options, programs  # noqa: E402

CORPUS = [
    *SPECS,
    *ZOO_SPECS,
    *ERRORS,
    *sorted((ROOT / "tests" / "format").glob("*.arch")),
    *sorted((ROOT / "examples").rglob("*.arch")),
]


def _comments(text: str) -> list[str]:
    """Comments in order, found without the formatter's lexer: a `#` outside a
    string literal starts one."""
    found = []
    for line in text.splitlines():
        code = re.sub(r'"([^"\\\n]|\\.)*"|\'([^\'\\\n]|\\.)*\'', "", line)
        if "#" in code:
            found.append(code[code.index("#") :].strip())
    return found


def _meaning(text: str):
    """The IR without spans, or the messages of the errors lowering reports."""
    try:
        return parse(text=text).model_dump()
    except ArchError as exc:
        return [d.message for d in exc.diagnostics]


def assert_formats_well(text: str) -> str:
    formatted = format_text(text)
    assert format_text(formatted) == formatted, "not idempotent"
    assert _meaning(formatted) == _meaning(text)
    assert _comments(formatted) == _comments(text)
    return formatted


def _parses(text: str) -> bool:
    from archdsl.source import Source
    from archdsl.syntax.parser import parse_tree

    try:
        parse_tree(Source("<corpus>", text))
    except ArchError:
        return False
    return True


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_corpus_formats_well(path):
    text = path.read_text(encoding="utf-8")
    if not _parses(text):
        with pytest.raises(ArchError):  # reported, like check does, not formatted
            format_text(text)
        return
    formatted = assert_formats_well(text)
    code = [re.sub(r"\s*#.*", "", line) for line in formatted.splitlines()]
    long = [line for line in code if len(line) > 88]
    # Only a line with nothing left to break (no brackets) may stay long; comments
    # are the author's.
    assert all("(" not in line and "[" not in line for line in long), long


@fuzz_settings(30)
@given(programs(Options()))
def test_generated_programs_format_well(program):
    assert_formats_well(program.text)


@fuzz_settings(10)
@given(base_programs())
def test_generated_base_programs_format_well(program):
    assert_formats_well(program.text)


@st.composite
def relaid(draw, text: str) -> tuple[str, str]:
    """The same program laid out another way: a comment at the end of some lines,
    a comment line before some, extra spaces between tokens and line breaks inside
    brackets (where the parser drops them). Returns (with comments, without)."""
    plain, commented = [], []
    depth = 0
    for number, line in enumerate(text.splitlines()):
        pieces = re.split(r"(, )", line)
        out, noted = [], []
        for piece in pieces:
            depth += piece.count("(") + piece.count("[") - piece.count(")")
            depth -= piece.count("]")
            out.append(piece)
            noted.append(piece)
            if piece == ", " and depth > 0 and draw(st.integers(0, 5)) == 0:
                out[-1] = ",\n   "  # a break inside brackets means nothing
                # and where a line breaks, a comment may go: after the comma, or
                # on a line of its own
                note = draw(st.sampled_from(["", "  # in", "\n  # own"]))
                noted[-1] = f",{note} {number}\n   " if note else out[-1]
        spaced = " = " if draw(st.booleans()) else "  =   "
        moved = "".join(out).replace(" = ", spaced)
        plain.append(moved)
        if draw(st.integers(0, 3)) == 0:
            commented.append(f"# note {number}")
        tail = f"  # tail {number}" if draw(st.booleans()) else ""
        commented.append("".join(noted).replace(" = ", spaced) + tail)
    return "\n".join(commented) + "\n", "\n".join(plain) + "\n"


@fuzz_settings(25)
@given(st.data(), programs(Options()))
def test_layout_does_not_matter_and_comments_stay(data, program):
    commented, plain = data.draw(relaid(program.text))
    assert format_text(plain) == format_text(program.text)
    assert_formats_well(commented)


# ---- against ruff: the Python-shaped statements lay out as ruff lays them out ----
_NAMES = st.sampled_from(["x", "conv", "channels", "a_rather_long_name", "n"])
_ATOMS = _NAMES | st.integers(0, 10_000).map(str) | st.just('"bilinear"')


def _join(items: list[str], comma: bool) -> str:
    return ", ".join(items) + ("," if comma and items else "")


@st.composite
def python_exprs(draw, depth: int = 3) -> str:
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(_ATOMS)
    inner = python_exprs(depth - 1)
    kinds = ["call", "list", "kwargs", "binop", "index", "comp", "ternary"]
    kind = draw(st.sampled_from(kinds))
    items = draw(st.lists(inner, min_size=1, max_size=5))
    magic = draw(st.integers(0, 4)) == 0
    if kind == "call":
        return f"{draw(_NAMES)}({_join(items, magic)})"
    if kind == "kwargs":
        keywords = [f"k{i}={item}" for i, item in enumerate(items)]
        return f"Conv2d({_join(items[:1] + keywords, magic)})"
    if kind == "list":
        return f"[{_join(items, magic)}]"
    if kind == "index":
        return f"{draw(_NAMES)}[{items[0]}]"
    if kind == "comp":  # several clauses, nested targets: each clause a line
        more = st.sampled_from(
            ["for j in xs", "if n > 2", "for i, (a, b) in enumerate(pairs)"]
        )
        clauses = " ".join(draw(st.lists(more, max_size=3)))
        return f"[{items[0]} for i in range({draw(_NAMES)}) {clauses}]".replace(
            " ]", "]"
        )
    if kind == "ternary":
        return f"{items[0]} if {draw(_NAMES)} else {items[-1]}"
    if draw(st.booleans()):  # comparisons do not chain in .arch
        return f"({items[0]} == {items[-1]})"
    return draw(st.sampled_from([" + ", " * ", " - ", " and "])).join(items[:3])


def _ruff(code: str) -> str:
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    result = subprocess.run(
        [ruff, "format", "--isolated", "--line-length", "88", "-"],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@fuzz_settings(100)
@given(python_exprs(), st.booleans())
def test_statements_lay_out_as_ruff_does(expr, called):
    """A member made by a call or a constant from an expression: `name = ...`
    inside a block is indented as a statement inside a Python function, so the two
    formatters see the same text (a long expression with operators goes into
    parentheses, as ruff puts it)."""
    statement = f"member = Sequential({expr})" if called else f"member = {expr}"
    ours = format_text(f"block B() {{\n    {statement}\n}}\n")
    theirs = _ruff(f"def B():\n    {statement}\n")
    assert ours.splitlines()[1:-1] == theirs.splitlines()[1:]


# ---- the command line ------------------------------------------------------------
def _archdsl(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


UGLY = "model M() { fc = Linear(4,2) ; forward(x: [N, 4]) = fc( x ) }  # tiny\n"
PRETTY = format_text(UGLY)


def test_windows_line_endings_stay():
    crlf = UGLY.replace("\n", "\r\n")
    assert format_text(crlf) == PRETTY.replace("\n", "\r\n")
    assert format_text(format_text(crlf)) == format_text(crlf)


def test_check_exits_1_on_a_file_that_would_change(tmp_path):
    ugly, pretty = tmp_path / "ugly.arch", tmp_path / "pretty.arch"
    ugly.write_text(UGLY)
    pretty.write_text(PRETTY)
    assert _archdsl("fmt", "--check", str(pretty)).returncode == 0
    result = _archdsl("fmt", "--check", str(tmp_path))
    assert result.returncode == 1
    assert f"would reformat {ugly}" in result.stderr
    assert ugly.read_text() == UGLY  # --check writes nothing


def test_diff_prints_the_change_and_writes_nothing(tmp_path):
    ugly = tmp_path / "ugly.arch"
    ugly.write_text(UGLY)
    result = _archdsl("fmt", "--diff", str(ugly))
    assert result.returncode == 1
    assert "-model M() { fc = Linear(4,2)" in result.stdout
    assert "+    fc = Linear(4, 2)" in result.stdout
    assert ugly.read_text() == UGLY


def test_fmt_rewrites_in_place_and_reads_stdin(tmp_path):
    ugly = tmp_path / "ugly.arch"
    ugly.write_text(UGLY)
    assert _archdsl("fmt", str(ugly)).returncode == 0
    assert (
        ugly.read_text()
        == PRETTY
        == "model M() {\n    fc = Linear(4, 2)\n    forward(x: [N, 4]) = fc(x)\n}  # tiny\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "archdsl", "fmt", "-"],
        input=UGLY,
        capture_output=True,
        text=True,
    )
    assert result.stdout == PRETTY


def test_a_syntax_error_is_a_diagnostic_and_the_file_stays(tmp_path):
    broken = tmp_path / "broken.arch"
    broken.write_text("model M( {\n")
    result = _archdsl("fmt", str(broken), str(tmp_path / "missing.arch"))
    assert result.returncode == 1
    assert f"{broken}:1:" in result.stderr and "Traceback" not in result.stderr
    assert "no such file" in result.stderr
    assert broken.read_text() == "model M( {\n"


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem)
def test_error_corpus_is_formatted(path):
    """Every corpus case that parses is in the canonical layout (the cases with
    syntax errors are what they are)."""
    text = path.read_text(encoding="utf-8")
    if _parses(text):
        assert format_text(text) == text, f"run: archdsl fmt {path}"


def test_specs_are_formatted():
    """`archdsl fmt --check specs/` passes: the repository follows its own layout."""
    result = _archdsl("fmt", "--check", str(ROOT / "specs"))
    assert result.returncode == 0, result.stderr


def test_pre_commit_hooks_run_archdsl_commands(tmp_path):
    """.pre-commit-hooks.yaml: each hook names a command that exists and, given
    the files pre-commit passes, does what its name says."""
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {
        "archdsl-fmt",
        "archdsl-fmt-check",
        "archdsl-check",
    }
    ugly = tmp_path / "ugly.arch"
    for hook in hooks:
        assert {"id", "name", "entry", "language", "files"} <= hook.keys()
        assert re.search(hook["files"], "specs/unet.arch")
        ugly.write_text(UGLY)
        program, *args = hook["entry"].split()
        assert program == "archdsl"
        result = _archdsl(*args, str(ugly))
        # fmt fixes the file (pre-commit fails a hook that changes files, by
        # itself); --check refuses it; check passes a correct spec
        assert result.returncode == (1 if "--check" in args else 0), result.stderr
        assert (ugly.read_text() == PRETTY) == (args == ["fmt"])
