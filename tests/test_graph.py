"""`archdsl graph`: every spec drawn (SVG that parses and names every module call,
by each drawing program found), shapes on the edges as torch computes them, Mermaid
against golden files, a real browser showing the picture, and clear messages for
what cannot be done."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, SPECS, ZOO_SPECS, check_golden

import archdsl
from archdsl import ir
from archdsl.cli import graph as graph_command
from archdsl.cli import main
from archdsl.ir.walk import walk_expr
from archdsl.pipeline import compile_spec, model_info
from archdsl.shapes.infer import infer_model

GOLDEN = ROOT / "tests" / "golden" / "graph"
SVG = "{http://www.w3.org/2000/svg}"


#: The drawing programs on this machine: Graphviz's own `dot` and graphviz-pure
#: (a dev dependency), each tested where it is found.
def _find(name: str) -> str | None:
    try:
        return graph_command.find_program(name)
    except archdsl.ArchError:
        return None


def _program_param(name: str):
    found = _find(name)
    return pytest.param(
        found,
        id=name,
        marks=pytest.mark.skipif(found is None, reason=f"`{name}` is not installed"),
    )


DRAWERS = [_program_param(name) for name in graph_command.PROGRAMS]


def _graph(*argv: str) -> int:
    return main(["graph", *map(str, argv)])


def _texts(svg: Path) -> list[str]:
    tree = ET.parse(svg)  # the SVG is well-formed XML, or this raises
    return ["".join(t.itertext()).strip() for t in tree.iter(f"{SVG}text") if t.text]


def _module_calls(spec: Path, depth: int) -> list[str]:
    """The module calls `archdsl summary` lists to this depth: the oracle for what
    the picture must name (its rows come from inference, not from the tracer).
    Where summary lists none (a model whose sizes are unknown until a parameter is
    given), the members the model's forward calls, as the IR has them."""
    compiled = compile_spec(spec)
    info = model_info(compiled, None)
    result = infer_model(compiled.context, info)
    rows = [row.path for row in result.rows if row.depth < depth] if result else []
    return rows or sorted(
        {
            node.func.id
            for node in walk_expr(info.forward)
            if isinstance(node, ir.Call)
            and isinstance(node.func, ir.Name)
            and node.func.id in info.members
        }
    )


@pytest.mark.parametrize("program", DRAWERS)
@pytest.mark.parametrize("spec", SPECS + ZOO_SPECS, ids=lambda p: p.stem)
def test_every_spec_draws_to_svg_naming_every_module_call(spec, program, tmp_path):
    out = tmp_path / f"{spec.stem}.svg"
    assert _graph(spec, "-o", out, "--dot", program) == 0
    texts = _texts(out)
    assert texts, "no text in the picture"
    calls = _module_calls(spec, depth=2)
    assert calls
    for path in calls:
        last = path.rpartition(".")[2]
        assert any(last in text for text in texts), f"`{path}` is not in the picture"


def test_edges_carry_the_shapes_torch_computes(tmp_path):
    """U-Net at depth 1 for a concrete input: the edge leaving each member is
    labelled with the shape its output has when the built model runs."""
    torch = pytest.importorskip("torch")
    out = tmp_path / "unet.mmd"
    argv = ["--input-shape", "2,3,64,48", "-p", "n_classes=5", "--depth", "1"]
    assert _graph(ROOT / "specs" / "unet.arch", "-o", out, *argv) == 0
    model = archdsl.load(ROOT / "specs" / "unet.arch").UNet(n_channels=3, n_classes=5)
    seen: dict[str, list[int]] = {}

    def record(name):
        def hook(_module, _inputs, output) -> None:  # None: the output stays as it is
            seen[name] = list(output.shape)

        return hook

    for name, child in model.named_children():
        child.register_forward_hook(record(name))
    model(torch.zeros(2, 3, 64, 48))
    text = out.read_text()
    ids = _mermaid_ids(text)
    labels = _mermaid_edges(text)
    for name, shape in seen.items():
        leaving = {label for tail, label in labels if tail == ids[name]}
        assert leaving == {str(shape)}, name


def _mermaid_ids(text: str) -> dict[str, str]:
    """Node id by the member it draws (`n3("inc: DoubleConv<br/>...")`)."""
    ids = {}
    for line in text.splitlines():
        line = line.strip()
        if '("' in line and not line.startswith("subgraph"):
            node, _, label = line.partition('("')
            ids[label.split(":")[0]] = node
    return ids


def _mermaid_edges(text: str) -> list[tuple[str, str]]:
    edges = []
    for line in text.splitlines():
        if "-->|" in line:
            tail, _, rest = line.strip().partition(" -->|")
            edges.append((tail, rest.split('"')[1]))
    return edges


@pytest.mark.parametrize(
    "spec", ["unet", "resnet18_metadata", "resnet50_taps"], ids=str
)
def test_mermaid_matches_golden(spec, tmp_path, update_golden):
    out = tmp_path / f"{spec}.mmd"
    assert _graph(ROOT / "specs" / f"{spec}.arch", "-o", out) == 0
    check_golden(GOLDEN / f"{spec}.mmd", out.read_text(), update_golden)


def test_output_is_the_same_across_hash_seeds(tmp_path):
    outputs = set()
    for seed in ("0", "4242"):
        out = tmp_path / f"unet-{seed}.dot"
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "archdsl", "graph", "specs/unet.arch", "-o", out],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        outputs.add(out.read_text())
    assert len(outputs) == 1


def test_graph_never_imports_torch(tmp_path):
    code = (
        "import sys; from archdsl.cli import main; "
        f"assert main(['graph', 'specs/unet.arch', '-o', {str(tmp_path / 'u.dot')!r}]) == 0; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_without_dot_it_says_how_to_get_one_and_writes_dot(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(graph_command, "PROGRAMS", ("archdsl-no-such-program",))
    out = tmp_path / "unet.svg"
    assert _graph(ROOT / "specs" / "unet.arch", "-o", out) == 1
    err = capsys.readouterr().err
    assert "no Graphviz `dot` program found" in err
    assert "pip install graphviz-pure" in err and "Traceback" not in err
    assert not out.exists()
    assert (tmp_path / "unet.dot").read_text().startswith("digraph UNet {")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["missing.arch", "-o", "{tmp}/a.svg"], "missing.arch"),
        (["specs/unet.arch", "-o", "{tmp}/a.txt"], "cannot tell the format"),
        (["specs/unet.arch", "-o", "{tmp}/a.svg", "--dot", "archdsl-no-such-program"],
         "no such program"),
        (["tests/errors/shape_block_call_site.arch", "-o", "{tmp}/a.svg"],
         "expects 3 channels"),
        (["specs/unet.arch", "-o", "{tmp}/a.svg", "--input-shape", "1,3,12,12"],
         "input is too small"),
    ],
    ids=["unreadable", "suffix", "program", "spec-error", "too-small"],
)  # fmt: skip
def test_bad_input_gets_a_diagnostic(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert _graph(*(a.format(tmp=tmp_path) for a in argv)) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing written


#: Forward syntax whose tensors come from elsewhere than module calls: a parameter,
#: method calls, a subscript, chunk unpacked, `+=`, two outputs.
FEATURES = """
model Features(d: int = 16) {
    token = Parameter(zeros(1, 1, d))
    proj = Linear(d, 2 * d)
    head = Linear(d, 4)
    forward(x: [N, 8, d]) {
        n, _, _ = size(x)
        x = cat([token.expand(n, -1, -1), x], dim=1)
        a, b = proj(x).chunk(2, -1)
        a += b
        return head(a[:, 0]), x.flatten(1)
    }
}
"""


@pytest.fixture(scope="module")
def features_spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("features") / "features.arch"
    path.write_text(FEATURES)
    return path


@pytest.mark.parametrize("spec", [*SPECS, *ZOO_SPECS, "features"], ids=str)
def test_every_tensor_read_is_drawn_from_the_step_that_made_it(spec, features_spec):
    """Drawn in full, every step that reads tensors has an edge for each; a tensor
    no step made is only ever a parameter (drawn as a node of its own)."""
    from archdsl.graph.layout import layout
    from archdsl.graph.trace import trace_model

    path = features_spec if spec == "features" else spec
    compiled = compile_spec(path)
    trace = trace_model(compiled.context, model_info(compiled, None))
    assert trace.result is not None and not trace.result.errors
    strays = [s.name for s in trace.steps if s.kind == "value"]
    assert all(name.startswith("parameter ") for name in strays), strays
    picture = layout(trace, depth=100)
    into: dict[str, int] = {}
    for edge in picture.edges:
        into[edge.head] = into.get(edge.head, 0) + 1
    for step in trace.steps:
        opened = any(True for _ in step.children)
        if step.inputs and not opened:
            assert into.get(step.id, 0) == len(step.inputs), (step.name, step.path)
    if spec == "features":
        names = {s.name for s in trace.steps}
        assert {"parameter token", "expand", "chunk", "+", "[:, 0]"} <= names


def test_depth_opens_blocks_as_clusters(tmp_path):
    shallow, deep = tmp_path / "1.dot", tmp_path / "3.dot"
    assert _graph(ROOT / "specs" / "unet.arch", "-o", shallow, "--depth", "1") == 0
    assert _graph(ROOT / "specs" / "unet.arch", "-o", deep, "--depth", "3") == 0
    assert "subgraph cluster_" not in shallow.read_text()
    # depth 3: each Down's Sequential is open too, down to its DoubleConv
    assert deep.read_text().count("subgraph cluster_") > 4 * 2


@pytest.mark.parametrize("program", DRAWERS)
def test_a_browser_shows_the_picture(program, tmp_path):
    """Headless Chromium (Debian's package; .ci/run installs it) opens the SVG and
    takes a screenshot, which must hold a drawing, not a blank or an error page."""
    browser = next(
        (
            b
            for b in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(b)
        ),
        None,
    )
    if browser is None:
        pytest.skip("no Chromium: `apt-get install chromium` (.ci/run installs it)")
    Image = pytest.importorskip("PIL.Image")
    svg, png = tmp_path / "unet.svg", tmp_path / "shot.png"
    assert _graph(ROOT / "specs" / "unet.arch", "-o", svg, "--dot", program) == 0
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,1400",
         f"--screenshot={png}", svg.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    shot = Image.open(png).convert("L")
    assert shot.size == (900, 1400)
    dark = sum(shot.histogram()[:128])  # pixels darker than mid-grey
    # text, boxes and edges: a few percent of the pixels, neither none nor all
    assert 0.002 * 900 * 1400 < dark < 0.5 * 900 * 1400


def test_the_readme_picture_is_up_to_date(tmp_path, monkeypatch):
    """docs/unet.svg is what `make pictures` draws now (graphviz-pure writes the
    same bytes on every platform, so the comparison is exact)."""
    if _find("graphviz-pure") is None:
        pytest.skip("graphviz-pure is not installed (pip install 'archdsl[graph]')")
    recipe = next(
        line for line in (ROOT / "Makefile").read_text().splitlines()
        if "archdsl graph" in line and "docs/unet.svg" in line
    )  # fmt: skip
    monkeypatch.chdir(ROOT)
    argv = shlex.split(recipe)[2:]  # after `$(BIN)/archdsl graph`
    out = tmp_path / "unet.svg"
    argv[argv.index("-o") + 1] = str(out)
    assert _graph(*argv) == 0
    committed = (ROOT / "docs" / "unet.svg").read_bytes()
    assert out.read_bytes() == committed, "docs/unet.svg is stale: run `make pictures`"
