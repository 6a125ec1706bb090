"""The command line under hostile or mistaken use: every failure is a diagnostic with
exit 1 (or a usage error with exit 2), never a traceback, and a failed command leaves
no output file, temporary or directory behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import archdsl
from archdsl.cli import main

SPEC = """\
model M(hidden: int) {
    fc = Linear(4, hidden)
    forward(x: [N, 4]) = fc(x)
}
"""


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "m.arch"
    path.write_text(SPEC)
    return path


def fails(capsys, argv, *, code=1, message=""):
    """Run the CLI in-process: it must fail with `code` and a diagnostic."""
    assert main([str(a) for a in argv]) == code
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert "error:" in out.err and message in out.err, out.err
    return out.err


def usage_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def state_file(tmp_path, hidden=3) -> tuple[Path, dict]:
    """A safetensors file for M(hidden), made with torch and safetensors alone."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    state = {"fc.weight": torch.randn(hidden, 4), "fc.bias": torch.randn(hidden)}
    path = tmp_path / "w.safetensors"
    save_file(state, str(path))
    return path, state


# ---- -p values --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "summary"])
def test_a_deeply_nested_param_is_a_diagnostic(spec, capsys, command):
    deep = "[" * 50_000 + "]" * 50_000
    fails(capsys, [command, spec, "-p", f"hidden={deep}"], message="write a list")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9" * 5000, "the integer is too large"),
        ("1e999", "1e999 is not a finite number"),
        ("-inf", "-inf is not a finite number"),
        ("nan", "nan is not a finite number"),
    ],
)
def test_a_number_a_spec_cannot_hold_is_refused(spec, capsys, value, message):
    """Python's int() refuses 5,000 digits and float() would turn them, or 1e999,
    into inf: a -p value never becomes a number the spec could not write."""
    fails(capsys, ["check", spec, "-p", f"hidden={value}"], message=message)


@pytest.mark.parametrize("spelling", ["true", "True", "false", "False"])
def test_bool_params_take_the_usual_spellings(tmp_path, capsys, spelling):
    spec = tmp_path / "b.arch"
    spec.write_text(
        "model B(wide: bool = False) {\n    fc = Linear(4, 8 if wide else 2)\n"
        "    forward(x: [N, 4]) = fc(x)\n}\n"
    )
    assert main(["summary", str(spec), "-p", f"wide={spelling}"]) == 0
    wide = spelling.lower() == "true"
    assert f"[N, {8 if wide else 2}]" in capsys.readouterr().out


def test_limits_cannot_be_turned_off_by_a_negative_value(spec, capsys):
    assert "1 or more" in usage_error(capsys, ["check", spec, "--max-params", "-1"])


# ---- the usage itself --------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"archdsl {archdsl.__version__}"


def test_a_bad_option_shows_the_subcommands_usage(spec, capsys):
    err = usage_error(capsys, ["build", spec, "--bogus"])
    assert "usage: archdsl build" in err and "unrecognized arguments: --bogus" in err


def test_input_shape_that_contradicts_a_default_says_so(tmp_path, capsys):
    spec = tmp_path / "c.arch"
    spec.write_text(
        "model C(ch: int = 3) {\n    conv = Conv2d(ch, 8, 3)\n"
        "    forward(x: [N, ch, H, W]) = conv(x)\n}\n"
    )
    err = fails(
        capsys,
        ["check", spec, "--input-shape", "1,4,16,16"],
        message="gives input `x` 4 for `ch`, whose default is 3",
    )
    assert "-p ch=4" in err
    assert main(["check", str(spec), "--input-shape", "1,4,16,16", "-p", "ch=4"]) == 0
    assert main(["check", str(spec), "--input-shape", "1,3,16,16"]) == 0


# ---- where output goes -------------------------------------------------------------


@pytest.mark.parametrize(
    "target, message",
    [
        ("/dev/null/x.py", "/dev/null is not a directory"),
        ("{tmp}/somefile.txt/x.py", "somefile.txt is not a directory"),
        ("{tmp}/" + "a" * 300 + ".py", "longer than 255 bytes"),
        ("/dev/zero", "/dev/zero is not a directory"),
        ("{tmp}/zero.py", "is not a regular file"),  # a link to /dev/zero
    ],
)
def test_impossible_outputs_are_diagnostics(spec, tmp_path, capsys, target, message):
    (tmp_path / "somefile.txt").write_text("mine\n")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    before = files_under(tmp_path)
    fails(capsys, ["build", spec, "-o", target.format(tmp=tmp_path)], message=message)
    assert files_under(tmp_path) == before
    assert (tmp_path / "somefile.txt").read_text() == "mine\n"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
def test_proc_is_refused(spec, capsys):
    fails(capsys, ["build", spec, "-o", "/proc/self/x.py"], message="cannot write")


def test_a_fifo_target_is_refused_without_opening_it(spec, tmp_path):
    """Opening a FIFO to read its first line would block for ever: in a subprocess,
    so that a regression fails the test instead of hanging it."""
    fifo = tmp_path / "m.py"
    os.mkfifo(fifo)
    for extra in ([], ["--force"]):
        done = subprocess.run(
            [sys.executable, "-m", "archdsl", "build", str(spec), "-o", str(fifo)]
            + extra,
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "is not a regular file" in done.stderr
    assert files_under(tmp_path) == ["m.arch", "m.py"]


def test_o_names_a_file_only_with_py(spec, tmp_path, capsys):
    other = tmp_path / "n.arch"
    other.write_text(SPEC.replace("model M", "model N"))
    fails(
        capsys,
        ["build", spec, other, "-o", tmp_path / "x.py"],
        message="names one file",
    )
    assert main(["build", str(spec), "-o", str(tmp_path / "newdir")]) == 0
    assert files_under(tmp_path / "newdir") == ["m.py"]
    assert main(["build", str(spec), str(other), "-o", str(tmp_path / "two")]) == 0
    assert files_under(tmp_path / "two") == ["m.py", "n.py"]


def test_two_specs_with_one_name_are_refused(spec, tmp_path, capsys):
    twin = tmp_path / "sub" / "m.arch"
    twin.parent.mkdir()
    twin.write_text(SPEC)
    fails(
        capsys, ["build", spec, twin, "-o", tmp_path / "out"], message="both be written"
    )
    assert not (tmp_path / "out").exists()


def test_a_build_writes_all_its_files_or_none(spec, tmp_path, capsys):
    other = tmp_path / "n.arch"
    other.write_text(SPEC.replace("model M", "model N"))
    out = tmp_path / "out"
    (out / "n.py").mkdir(parents=True)  # the second target is a directory
    fails(capsys, ["build", spec, other, "-o", out], message="is a directory")
    assert files_under(out) == ["n.py"]


def test_a_failed_write_leaves_no_temporary_or_new_directory(
    spec, tmp_path, capsys, monkeypatch
):
    import archdsl.output

    other = tmp_path / "n.arch"
    other.write_text(SPEC.replace("model M", "model N"))
    real = archdsl.output.tempfile.mkstemp
    calls = []

    def full_disk(*args, **kwargs):  # the first temporary works, the second does not
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(archdsl.output.tempfile, "mkstemp", full_disk)
    out = tmp_path / "deep" / "out"
    fails(capsys, ["build", spec, other, "-o", out], message="No space left")
    assert not (tmp_path / "deep").exists()


# ---- weights -------------------------------------------------------------------------


def test_garbage_pickle_is_a_diagnostic(spec, tmp_path, capsys):
    pytest.importorskip("torch")
    (tmp_path / "garbage.pt").write_bytes(b"garbage\n")
    out = tmp_path / "out"
    args = ["build", spec, "-o", f"{out}/", "-p", "hidden=3", "--allow-pickle"]
    fails(capsys, [*args, "--weights", tmp_path / "garbage.pt"], message="refused")
    assert not out.exists()


def test_weights_need_the_parameters_without_defaults(spec, tmp_path, capsys):
    weights, state = state_file(tmp_path)
    out = tmp_path / "out"
    args = ["build", spec, "-o", f"{out}/", "--weights", weights]
    fails(capsys, args, message="`M` has no default for `hidden`")
    assert not out.exists()
    assert main([*map(str, args), "-p", "hidden=3"]) == 0
    from safetensors.torch import load_file

    written = load_file(str(out / "m.safetensors"))
    assert written.keys() == state.keys()
    assert all((written[k] == state[k]).all() for k in state)


def test_a_deeply_nested_safetensors_header_is_a_foreign_file(spec, tmp_path, capsys):
    weights, _ = state_file(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    header = b"[" * 100_000 + b"]" * 100_000
    hostile = len(header).to_bytes(8, "little") + header
    (out / "m.safetensors").write_bytes(hostile)
    args = ["build", spec, "-o", f"{out}/", "--weights", weights, "-p", "hidden=3"]
    fails(capsys, args, message="not generated by archdsl")
    assert (out / "m.safetensors").read_bytes() == hostile
    assert files_under(out) == ["m.safetensors"]


def test_build_applies_the_specs_own_weights(tmp_path, capsys):
    weights, state = state_file(tmp_path)
    spec = tmp_path / "m.arch"
    spec.write_text(SPEC.replace("hidden: int", "hidden: int = 3").replace(
        "    forward", '    weights("w.safetensors")\n    forward'
    ))  # fmt: skip
    out = tmp_path / "out"
    assert main(["build", str(spec), "-o", f"{out}/"]) == 0
    assert "weights " in capsys.readouterr().out
    from safetensors.torch import load_file

    written = load_file(str(out / "m.safetensors"))
    assert all((written[k] == state[k]).all() for k in state)
    weights.unlink()
    err = fails(capsys, ["build", spec, "-o", tmp_path / "again"], message="not a file")
    assert f"{spec}:3:5: error" in err
    assert not (tmp_path / "again").exists()


def test_p_without_weights_to_load_is_refused(spec, tmp_path, capsys):
    fails(capsys, ["build", spec, "-o", f"{tmp_path}/o/", "-p", "hidden=3"],
          message="no weights are loaded here")  # fmt: skip


# ---- ONNX ------------------------------------------------------------------------------


def test_export_takes_p_and_refuses_foreign_files(spec, tmp_path, capsys):
    pytest.importorskip("onnxscript")
    onnx = pytest.importorskip("onnx")
    target = tmp_path / "m.onnx"
    fails(capsys, ["export", spec, "--onnx", target], message="no default for `hidden`")
    assert not target.exists()
    target.write_text("my own file\n")
    args = ["export", str(spec), "--onnx", str(target), "-p", "hidden=5"]
    fails(capsys, args, message="not generated by archdsl")
    assert target.read_text() == "my own file\n"
    assert main([*args, "--force"]) == 0
    assert main(args) == 0  # its own file now: replaced freely
    model = onnx.load(str(target))
    assert model.graph.output[0].type.tensor_type.shape.dim[1].dim_value == 5


def test_export_checks_its_example_inputs_first(tmp_path, capsys):
    pytest.importorskip("onnxscript")
    spec = tmp_path / "c.arch"
    spec.write_text(
        "model C(ch: int = 3) {\n    conv = Conv2d(ch, 8, 3)\n"
        "    forward(x: [N, ch, H, W]) = conv(x)\n}\n"
    )
    target = tmp_path / "c.onnx"
    args = ["export", spec, "--onnx", target, "--input-shape"]
    fails(capsys, [*args, "x=1,4,16,16"], message="so `ch` is 3")
    fails(capsys, [*args, "x=1,3,2,2"], message="the input is too small")
    assert not target.exists()
    assert main([*map(str, args), "x=1,4,16,16", "-p", "ch=4"]) == 0


# ---- imports ---------------------------------------------------------------------------

LIB = """\
block B() {
    act = ReLU()
    forward(x) = act(x)
}
block A() {
    b = B()
    forward(x) = b(x)
}
block C() {
    act = Tanh()
    forward(x) = act(x)
}
"""


def importer(tmp_path, head: str, body: str, extra: str = "") -> Path:
    (tmp_path / "lib.arch").write_text(LIB)
    spec = tmp_path / "main.arch"
    spec.write_text(
        f"{head}\n{extra}model M() {{\n{body}\n    forward(x: [N, 4]) = x\n}}\n"
    )
    return spec


def test_from_import_brings_only_the_named_and_what_they_use(tmp_path):
    own_b = "block B() {\n    act = Sigmoid()\n    forward(x) = act(x)\n}\n"
    spec = importer(
        tmp_path, 'from "lib.arch" import C', "    c = C()\n    b = B()", own_b
    )
    code = archdsl.generate(spec)
    assert code.count("class B(") == 1 and "nn.Sigmoid()" in code
    assert "class A(" not in code
    spec = importer(tmp_path, 'from "lib.arch" import A', "    a = A()")
    code = archdsl.generate(spec)
    assert "class A(" in code and "class B(" in code and "class C(" not in code


@pytest.mark.parametrize(
    "head, body, extra, message",
    [
        ('from "lib.arch" import A', "    b = B()", "",
         '`B` is not imported: this file imports only `A` from `lib.arch`'),
        ('from "lib.arch" import A', "    a = A()",
         "block B() {\n    forward(x) = x\n}\n", "`B` is also defined in `lib.arch`"),
        ('from "lib.arch" import Aa', "", "", "did you mean `A`?"),
    ],
)  # fmt: skip
def test_import_mistakes(tmp_path, capsys, head, body, extra, message):
    spec = importer(tmp_path, head, body, extra)
    fails(capsys, ["check", spec], message=message)


def test_import_all_brings_every_name(tmp_path):
    spec = importer(
        tmp_path, 'import "lib.arch"', "    a = A()\n    b = B()\n    c = C()"
    )
    assert archdsl.check(spec) is not None


def test_import_of_a_symlink_loop(tmp_path, capsys):
    (tmp_path / "one.arch").symlink_to(tmp_path / "two.arch")
    (tmp_path / "two.arch").symlink_to(tmp_path / "one.arch")
    spec = importer(tmp_path, 'import "one.arch"', "")
    fails(capsys, ["check", spec], message="a symlink loop")


def test_import_of_a_link_to_another_file_shows_none_of_it(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE = 1\n")
    (tmp_path / "lib2.arch").symlink_to(secret)
    spec = importer(tmp_path, 'import "lib2.arch"', "")
    err = fails(capsys, ["check", spec], message="not a .arch file")
    assert "TOP-SECRET" not in err


# ---- archdsl.load ----------------------------------------------------------------------


def test_load_takes_paths_with_braces_and_text_by_keyword(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "exp{1}.arch"
    path.write_text(SPEC)
    for spec in (path, str(path)):
        assert archdsl.load(spec).M(2).fc.out_features == 2
    one_line = "model M() { fc = Linear(4, 6); forward(x: [N, 4]) = fc(x) }"
    assert archdsl.load(text=one_line).M().fc.out_features == 6
    with pytest.raises(archdsl.ArchError, match="no such file") as info:
        archdsl.load(one_line)
    assert "text=" in info.value.diagnostics[0].hint
    with pytest.raises(TypeError):
        archdsl.load()
