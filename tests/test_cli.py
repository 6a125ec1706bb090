"""The command line: exit codes, outputs, no tracebacks, no torch in the front end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from archdsl.cli import main

UNET = ROOT / "specs" / "unet.arch"
BROKEN = ROOT / "tests" / "errors" / "many_errors.arch"


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *map(str, args)],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip


def test_check_ok(capsys):
    assert main(["check", str(UNET)]) == 0
    assert "ok: 1 spec checked" in capsys.readouterr().out


def test_check_errors_exit_1_with_diagnostics(capsys):
    assert main(["check", str(BROKEN)]) == 1
    err = capsys.readouterr().err
    assert "many_errors.arch:2:9: error: unknown layer or block `Conv2D`" in err
    assert "Traceback" not in err


def test_check_json_format(capsys):
    assert main(["check", "--format", "json", str(BROKEN)]) == 1
    found = json.loads(capsys.readouterr().out)
    assert found[0]["line"] == 2 and found[0]["column"] == 9
    assert found[0]["hint"] == "did you mean `Conv2d`?"


def test_build_one_file(tmp_path):
    out = tmp_path / "unet.py"
    assert main(["build", str(UNET), "-o", str(out)]) == 0
    assert out.read_text() == (ROOT / "tests" / "golden" / "unet.py").read_text()


def test_build_several_into_directory(tmp_path):
    specs = sorted((ROOT / "specs").glob("*.arch"))
    assert main(["build", *map(str, specs), "-o", f"{tmp_path}/gen/"]) == 0
    assert sorted(p.name for p in (tmp_path / "gen").iterdir()) == sorted(
        f"{s.stem}.py" for s in specs
    )


def test_failed_build_writes_nothing(tmp_path):
    out = tmp_path / "gen"
    assert main(["build", str(UNET), str(BROKEN), "-o", f"{out}/"]) == 1
    assert not out.exists() or not any(out.iterdir())


def test_failed_build_keeps_old_file(tmp_path):
    out = tmp_path / "model.py"
    out.write_text("old\n")
    assert main(["build", str(BROKEN), "-o", str(out)]) == 1
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.py"]


def test_ir_prints_json(capsys):
    assert main(["ir", str(UNET)]) == 0
    program = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in program["definitions"]] == [
        "DoubleConv",
        "Down",
        "Up",
        "OutConv",
        "UNet",
    ]
    assert "span" not in json.dumps(program)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["frobnicate"],
        ["build"],
        ["check", "--format", "xml", "x.arch"],
        ["summary", "x.arch", "--depth", "0"],
    ],
    ids=["nothing", "unknown-command", "no-spec", "bad-format", "depth-0"],
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2
    assert "usage:" in result.stderr


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe not utf-8", b"block {", b"", b"model M() { forward(x) = y }"],
    ids=["bad-utf8", "syntax", "empty", "undefined"],
)
def test_bad_input_never_tracebacks(tmp_path, content):
    spec = tmp_path / "bad.arch"
    spec.write_bytes(content)
    result = run("check", spec)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)


def test_missing_file_is_a_diagnostic():
    result = run("check", "no/such/file.arch")
    assert result.returncode == 1
    assert "no such file: no/such/file.arch" in result.stderr


def run_without_torch(*args: str) -> subprocess.CompletedProcess:
    """`archdsl ARGS` in a fresh process that fails if anything imported torch."""
    code = (
        "import sys\n"
        "from archdsl.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "assert 'torch' not in sys.modules, 'the front end imported torch'\n"
        "sys.exit(rc)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True
    )


def test_python_m_and_front_end_without_torch():
    result = run_without_torch("check", str(UNET))
    assert result.returncode == 0, result.stderr
    assert run("check", UNET).returncode == 0


def test_imports_between_specs(tmp_path):
    (tmp_path / "blocks.arch").write_text(
        "block Act() {\n    act = ReLU()\n    forward(x) = act(x)\n}\n"
    )
    (tmp_path / "net.arch").write_text(
        'from "blocks.arch" import Act\n'
        "model Net() {\n    a = Act()\n    forward(x) = a(x)\n}\n"
    )
    assert (
        main(["build", str(tmp_path / "net.arch"), "-o", str(tmp_path / "net.py")]) == 0
    )
    text = (tmp_path / "net.py").read_text()
    assert "class Act(nn.Module)" in text and "class Net(nn.Module)" in text


def test_import_errors(tmp_path, capsys):
    (tmp_path / "a.arch").write_text('import "b.arch"\n')
    (tmp_path / "b.arch").write_text('import "a.arch"\n')
    (tmp_path / "e.arch").write_text(
        "block E() {\n    act = ReLU()\n    forward(x) = act(x)\n}\n"
    )
    (tmp_path / "c.arch").write_text('from "e.arch" import Nope\n')
    (tmp_path / "d.arch").write_text('import "missing.arch"\n')
    assert main(["check", str(tmp_path / "a.arch")]) == 1
    assert "import cycle" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "c.arch")]) == 1
    assert "defines no `Nope`" in capsys.readouterr().err
    assert main(["check", str(tmp_path / "d.arch")]) == 1
    assert "cannot import `missing.arch`" in capsys.readouterr().err


def test_demo_runs(tmp_path):
    pytest.importorskip("torch")
    from archdsl.demo import main as demo

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mlp.arch").write_text(
        (ROOT / "specs" / "mlp.arch").read_text()
    )
    assert (
        demo(
            [
                "--specs",
                str(tmp_path / "specs"),
                "--out",
                str(tmp_path / "out"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert (tmp_path / "out" / "mlp.py").exists()


NESTED = ROOT / "tests" / "errors" / "shape_nested_blocks.arch"


def test_check_json_carries_the_call_sites(capsys):
    assert main(["check", "--format", "json", str(NESTED)]) == 1
    (found,) = json.loads(capsys.readouterr().out)
    assert (found["line"], found["column"]) == (2, 23)
    assert found["message"] == "`Conv2d` expects 32 input channels, receives 64"
    notes = [(n["line"], n["column"], n["message"]) for n in found["notes"]]
    assert notes == [
        (3, 18, "in `body` (Sequential), called here"),
        (9, 18, "in `second` (ConvBN), called here"),
        (14, 33, "in `stage` (Stage), called here"),
    ]


def test_check_with_an_input_shape(capsys):
    args = ["check", str(UNET), "-p", "n_classes=2", "--input-shape"]
    assert main([*args, "1,3,64,64"]) == 0
    assert main([*args, "x=1,3,15,64"]) == 1
    assert "`MaxPool2d` gives a spatial size of 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--input-shape", "1,3,64"], "input `x` is declared [N, n_channels, H, W] (4"),
        (["--input-shape", "y=1,3,64,64"], "`UNet` has no input `y`"),
        (["--input-shape", "1,3,a,b"], "write 1,3,224,224 or x=1,3,224,224"),
        (["-p", "n_clases=2"], "`UNet` has no parameter `n_clases`"),
        (["-p", "n_channels=4", "--input-shape", "1,3,64,64"], "so `n_channels` is 4"),
        (["-p", "n_classes=abc"], "declares `n_classes: int`, got str 'abc'"),
        (["-p", "bilinear=1"], "declares `bilinear: bool`, got int 1"),
        (["--input-shape", "1,3,-4,64"], "sizes cannot be negative"),
        (
            ["--input-shape", "1,3,64,64", "--input-shape", "1,3,64,64"],
            "`UNet` takes 1 input(s), and this is shape 2",
        ),
        (["-p", "n_classes=[2, 3]"], "declares `n_classes: int`, got list[int] [2, 3]"),
    ],
)
def test_summary_usage_mistakes_are_diagnostics(extra, message):
    result = run("summary", UNET, *extra)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_summary_of_a_model_without_declared_shapes(tmp_path):
    spec = tmp_path / "plain.arch"
    spec.write_text("model M() {\n    fc = Linear(4, 2)\n    forward(x) = fc(x)\n}\n")
    assert "declares no input shapes" in run("summary", spec).stderr
    result = run("summary", spec, "--input-shape", "3,4")
    assert result.returncode == 0, result.stderr
    assert "output: [3, 2]" in result.stdout
    assert "parameters: 10 " in result.stdout


def test_summary_needs_no_torch():
    result = run_without_torch("summary", str(UNET), "--input-shape", "1,3,64,64")
    assert result.returncode == 0, result.stderr


LISTED = """\
model Widths(widths: list[int] = [8, 16]) {
    fc1 = Linear(4, widths[0])
    fc2 = Linear(widths[0], widths[1])
    forward(x: [N, 4]) = fc2(fc1(x))
}
"""


def test_a_list_parameter_has_a_default_and_takes_p(tmp_path):
    spec = tmp_path / "widths.arch"
    spec.write_text(LISTED)
    assert run("check", spec).returncode == 0
    result = run("summary", spec, "-p", "widths=[8, 32]", "--input-shape", "2,4")
    assert result.returncode == 0, result.stderr
    assert "output: [2, 32]" in result.stdout
    assert "parameters: 328 " in result.stdout  # 4*8+8 + 8*32+32
    wrong = run("summary", spec, "-p", "widths=[8, 2.5]")
    assert "declares `widths: list[int]`, got list[float] [8, 2.5]" in wrong.stderr


def test_an_input_size_decides_what_depended_on_it(capsys):
    """The symbolic warning ("depends on the input size") is replaced by the exact
    verdict for the size given, and is never printed twice."""
    spec = str(ROOT / "tests" / "errors" / "shape_flatten_depends_on_input.arch")
    assert main(["check", spec, "--input-shape", "1,3,32,32"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["check", spec, "--input-shape", "1,3,30,32"]) == 1
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "warning" not in err
    assert "receives 3840" in err


def test_summary_of_a_named_variant_counts_the_variant(tmp_path):
    spec = tmp_path / "net.arch"
    spec.write_text(
        "model Net(width: int = 8) {\n    fc = Linear(4, width)\n"
        "    forward(x: [N, 4]) = fc(x)\n}\n\nmodel wide = Net(32)\n"
    )
    result = run("summary", spec, "--model", "wide")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wide (Net): input as declared")
    assert "parameters: 160 " in result.stdout  # 4*32+32, not Net's 4*8+8
