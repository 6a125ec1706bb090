"""Hostile input: specs and weights are untrusted.

- Fuzzing: programs drawn from the grammar itself, mutations of every spec, and
  arbitrary bytes. Only ArchError ever escapes and every diagnostic points inside the
  input; the slowest case is printed (-s), not asserted. ARCHDSL_FUZZ=N runs N cases per
  fuzz test (default a few hundred to a thousand, a few thousand in all) with fresh
  randomness; by default the cases are the same on every run.
- Injection: a corpus of hostile specs, each rejected with a diagnostic or compiled
  into code that an AST allowlist accepts and that, when run, touches no sentinel.
- Resource limits and safe output.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import ROOT, SPECS, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from work_bounds import allocates_at_most, calls_at_most

import archdsl
from archdsl.bases import BUILDERS
from archdsl.cache import cache_dir
from archdsl.check.state import FILLS, FULL, SIZED
from archdsl.errors import ArchError
from archdsl.ops import BUILTINS, TENSOR_OPS, layers
from archdsl.ops.init_functions import INIT_SIGNATURES
from archdsl.ops.vision_ops import VISION_SIGNATURES
from archdsl.source import Source
from archdsl.syntax.parser import grammar_text

SLOWEST: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Base-model trees built by mutated specs go to a throwaway cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module", autouse=True)
def _torch_imported(tmp_path_factory):
    """Importing torchvision (about 4 s, once per process) is not the spec's time,
    nor is learning the base models specs/ uses (their trees and shape rules, a few
    seconds once per builder and arguments, then cached).
    At the end, the slowest input per fuzz test is printed (seen with -s)."""
    pytest.importorskip("torchvision")
    # Learned once in the user's cache (as every other test module finds them),
    # not again per xdist worker: the private cache starts as a copy of it.
    for spec in SPECS:
        archdsl.compile_spec(spec)
    private = tmp_path_factory.getbasetemp() / "cache"
    learned = cache_dir("bases")
    if learned is not None:
        shutil.copytree(learned, private / "archdsl" / "bases", dirs_exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(private))
        for spec in SPECS:
            archdsl.compile_spec(spec)
    yield
    if SLOWEST:
        slowest = {k: f"{v * 1000:.0f} ms" for k, v in SLOWEST.items()}
        print("\nslowest fuzz case:", slowest)


def compile_safely(spec, label: str) -> None:
    """The fuzz property: ArchError or success, and positions inside the input."""
    text = spec.read_bytes() if isinstance(spec, Path) else spec.encode()
    if isinstance(spec, str):  # text, even when it has no newline or brace
        spec = Source("<string>", spec)
    start = time.perf_counter()
    try:
        archdsl.compile_spec(spec)
    except ArchError as error:
        assert error.diagnostics
        lines = text.decode("utf-8", "replace").splitlines() or [""]
        for diagnostic in error.diagnostics:
            span = diagnostic.span
            if span is None or span.path != str(
                spec.path if isinstance(spec, Source) else spec
            ):
                continue  # file-level, or inside an imported file
            assert 1 <= span.line <= len(lines) + 1, diagnostic
            assert 1 <= span.column, diagnostic
    # Time is recorded, not asserted: a busy machine must not fail the run. What
    # bounds the work is the counting limits (tests/test_limits.py).
    elapsed = time.perf_counter() - start
    SLOWEST[label] = max(SLOWEST.get(label, 0.0), elapsed)


# ---- fuzzing -------------------------------------------------------------------------


@fuzz_settings(600)
@given(from_lark(Lark(grammar_text(), parser="lalr", lexer="contextual")))
def test_fuzz_programs_from_the_grammar(text):
    compile_safely(text, "grammar")


TOKEN = re.compile(r"\w+|\s+|.", re.S)
SPEC_TOKENS = [TOKEN.findall(p.read_text()) for p in SPECS]


@st.composite
def mutated_spec(draw):
    tokens = list(draw(st.sampled_from(SPEC_TOKENS)))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(tokens) - 1))
        j = draw(st.integers(i, min(len(tokens), i + 8)))
        action = draw(st.sampled_from(["delete", "duplicate", "swap"]))
        if action == "delete":
            del tokens[i:j]
        elif action == "duplicate":
            tokens[j:j] = tokens[i:j]
        else:
            k = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[k] = tokens[k], tokens[i]
        if not tokens:
            break
    return "".join(tokens) + "\n"


@fuzz_settings(1500)
@given(mutated_spec())
def test_fuzz_mutated_specs(text):
    compile_safely(text, "mutations")


@fuzz_settings(500)
@given(st.binary(max_size=2000))
def test_fuzz_arbitrary_bytes(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.arch"
    path.write_bytes(data)
    compile_safely(path, "bytes")


# ---- injection -------------------------------------------------------------------------

PAYLOAD = "__import__('os').system('touch {S}')"
STRING_PAYLOAD = "\"); __import__('os').system('touch {S}'); (\""

HOSTILE_NAMES = [
    "forward", "training", "to", "state_dict", "cuda", "parameters", "__class__",
    "__init__", "__dict__", "self", "super", "class", "import", "lambda", "match",
    "case", "type", "eval", "exec", "getattr", "open", "print", "torch", "nn", "F",
    "models", "Tensor", "OrderedDict", "fnmatchcase", "child", "param",
]  # fmt: skip


def _member(name: str) -> str:
    return f"model M {{\n    {name} = Linear(2, 2)\n    forward(x) = {name}(x)\n}}\n"


HOSTILE = {
    **{f"member_{n}": _member(n) for n in HOSTILE_NAMES},
    "block_named_nn": "block nn(c: int) {\n  f = Linear(c, c)\n  forward(x) = f(x)\n}\n",
    "builder_named_exec": "builder exec(c: int) = Linear(c, c)\n",
    "param_named_dunder": "model M(__import__: int = 2) {\n  f = Linear(2, 2)\n  forward(x) = f(x)\n}\n",
    "input_named_self": "model M {\n  f = Linear(2, 2)\n  forward(self) = f(self)\n}\n",
    "value_named_super": "model M {\n  f = Linear(2, 2)\n  forward(x) {\n    super = f(x)\n    return super\n  }\n}\n",
    "payload_as_member": f"model M {{\n  f = {PAYLOAD}\n  forward(x) = f(x)\n}}\n",
    "payload_as_default": f"model M(c: int = {PAYLOAD}) {{\n  f = Linear(c, c)\n  forward(x) = f(x)\n}}\n",
    "payload_as_argument": f"model M {{\n  f = Linear({PAYLOAD}, 2)\n  forward(x) = f(x)\n}}\n",
    "payload_as_keyword": f"model M {{\n  f = Linear(2, 2, bias={PAYLOAD})\n  forward(x) = f(x)\n}}\n",
    "payload_in_forward": f"model M {{\n  f = Linear(2, 2)\n  forward(x) = f({PAYLOAD})\n}}\n",
    "payload_in_condition": f"model M {{\n  if {PAYLOAD} {{ f = Linear(2, 2) }} else {{ f = ReLU() }}\n  forward(x) = f(x)\n}}\n",
    "payload_in_comprehension": f"model M {{\n  f = Sequential(*[ReLU() for _ in {PAYLOAD}])\n  forward(x) = f(x)\n}}\n",
    "payload_in_builder": f"builder b(c: int) = {PAYLOAD}\nmodel M {{\n  f = b(2)\n  forward(x) = f(x)\n}}\n",
    "payload_in_extends": f"model M extends torchvision.resnet18(num_classes={PAYLOAD}) {{\n}}\n",
    "payload_in_at": f"model M extends torchvision.resnet18() {{\n  at fc(x) = {PAYLOAD}\n}}\n",
    "payload_in_outputs": f"model M extends torchvision.resnet18() {{\n  outputs(a = {PAYLOAD})\n}}\n",
    "payload_in_subscript": f"model M {{\n  c = [2, 3][{PAYLOAD}]\n  f = Linear(c, c)\n  forward(x) = f(x)\n}}\n",
    "string_in_block_default": f'block B(tag: str = "{STRING_PAYLOAD}") {{\n  f = ReLU()\n  forward(x) = f(x)\n}}\nmodel M {{\n  b = B()\n  forward(x) = b(x)\n}}\n',
    "string_as_mode": f'model M {{\n  up = Upsample(scale_factor=2, mode="{STRING_PAYLOAD}")\n  forward(x) = up(x)\n}}\n',
    "string_with_newline_escape": 'block B(tag: str = "a\\n\\"\\\\b{}") {\n  f = ReLU()\n  forward(x) = f(x)\n}\nmodel M {\n  b = B()\n  forward(x) = b(x)\n}\n',
    "string_in_freeze": f'model M {{\n  f = Linear(2, 2)\n  freeze("{STRING_PAYLOAD}")\n  forward(x) = f(x)\n}}\n',
    "string_as_weights": f'model M {{\n  f = Linear(2, 2)\n  weights("{STRING_PAYLOAD}")\n  forward(x) = f(x)\n}}\n',
    "string_as_import": f'import "{STRING_PAYLOAD}"\n',
    "dotted_os_system": 'model M {\n  f = os.system("touch {S}")\n  forward(x) = f(x)\n}\n',
    "dotted_dunder_path": "model M {\n  f = nn.Module.__subclasses__()\n  forward(x) = f(x)\n}\n",
    "dotted_call_in_forward": "model M {\n  f = Linear(2, 2)\n  forward(x) = f.__globals__(x)\n}\n",
    "dotted_assignment": "model M {\n  f = Linear(2, 2)\n  f.__class__ = ReLU()\n  forward(x) = f(x)\n}\n",
    "torch_load_in_forward": "model M {\n  f = Linear(2, 2)\n  forward(x) = torch.load(x)\n}\n",
    "keyword_dunder": "model M {\n  f = Linear(2, 2, __class__=1)\n  forward(x) = f(x)\n}\n",
    "sequential_dunder_child": "model M {\n  f = Sequential(__init__=ReLU())\n  forward(x) = f(x)\n}\n",
    "output_named_dunder": "model M extends torchvision.resnet18() {\n  outputs(__dict__ = layer2)\n}\n",
    "input_decl_dunder": "model M extends torchvision.resnet18() {\n  input __builtins__: [N, 8]\n}\n",
    "unicode_lookalike_name": "model M {\n  \u0455elf = Linear(2, 2)\n  forward(x) = \u0455elf(x)\n}\n",
    "unicode_lookalike_layer": "model M {\n  f = L\u0456near(2, 2)\n  forward(x) = f(x)\n}\n",
    "fullwidth_quote_string": "model M {\n  up = Upsample(scale_factor=2, mode=\uff02x\uff02)\n  forward(x) = up(x)\n}\n",
    "comment_payload": f"# {PAYLOAD}\nmodel M {{\n  f = Linear(2, 2)  # {PAYLOAD}\n  forward(x) = f(x)\n}}\n",
    "backslash_continuation": "model M {\n  f = Linear(2, \\\n 2)\n  forward(x) = f(x)\n}\n",
    "brace_in_string": 'block B(tag: str = "}}{{ {x} }}") {\n  f = ReLU()\n  forward(x) = f(x)\n}\nmodel M {\n  b = B()\n  forward(x) = b(x)\n}\n',
    "lambda_expression": "model M {\n  f = (lambda: 1)()\n  forward(x) = f(x)\n}\n",
    "semicolon_statement": "model M {\n  f = Linear(2, 2); import os\n  forward(x) = f(x)\n}\n",
    # families (issue 12): types as values, build-time and forward loops, variants
    "family_constructs": (
        "block B(c: int) {\n  expansion = 2\n  f = Linear(c, c)\n  forward(x) = f(x)\n}\n"
        "block D(n: int, block: module = B) {\n  for i in range(n) {\n"
        '    add_module("layer" + str(i), block(4))\n  }\n'
        "  forward(x) {\n    xs = [x]\n    for layer in children() {\n"
        "      xs.append(layer(x))\n    }\n    return cat(xs, 1)\n  }\n}\n"
        "model M(n: int = 2) {\n  s = Sequential()\n  for i in range(n) { s.append(ReLU()) }\n"
        "  d = D(n)\n  forward(x: [N, 4]) = d(s(x))\n}\n"
        "model m3 = M(3)\nmodel m3b = m3()\n"
    ),
}

# What generated code may import and call: the allowlist the AST check enforces.
ALLOWED_IMPORTS = {"__future__", "collections", "collections.abc", "fnmatch", "functools", "torch",
                   "torch.nn.functional", "torchvision"}  # fmt: skip
# partial: a layer or block type with bound arguments (check/partials.py)
ALLOWED_NAMES = {*BUILTINS, "super", "any", "OrderedDict", "fnmatchcase", "pad_like",
                 "isinstance", "partial"}  # fmt: skip
ALLOWED_METHODS = {"named_children", "named_parameters", "requires_grad_", "size",
                   "add_module", "append", "extend", "children", "modules",
                   "named_modules"}  # fmt: skip
OP_SPELLINGS = {op.python for op in TENSOR_OPS.values()} | {"F.pad"}
#: a Parameter or Buffer member's initial tensor: torch.zeros(...).normal_(...)
OP_SPELLINGS |= {f"torch.{name}" for name in (*SIZED, FULL)}
ALLOWED_METHODS |= set(FILLS)
#: ops torch has as tensor methods only (`x.view(n, -1)`), called on a tensor
ALLOWED_METHODS |= {op.python for op in TENSOR_OPS.values() if op.method}


def assert_allowed(code: str) -> None:
    tree = ast.parse(code)
    defined = {
        n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))
    } | _module_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= ALLOWED_IMPORTS
        elif isinstance(node, ast.ImportFrom):
            assert node.module in ALLOWED_IMPORTS
        elif isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__") or node.attr == "__init__", node.attr
        elif isinstance(node, ast.Name):
            assert node.id not in {"eval", "exec", "getattr", "setattr", "open",
                                   "compile", "__import__", "globals", "vars"}  # fmt: skip
        elif isinstance(node, ast.Call):
            _assert_allowed_call(node.func, defined)


def _module_names(tree: ast.Module) -> set[str]:
    """Names that hold a spec's own block or layer types, or its modules: parameters
    annotated `Callable[..., nn.Module]` (checked: only blocks, layers and their
    partials reach them) and the variables of `for layer in self.children()`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if ast.unparse(node.annotation) == "Callable[..., nn.Module]":
                names.add(node.arg)
        elif isinstance(node, ast.For) and ast.unparse(node.iter) == "self.children()":
            names.add(ast.unparse(node.target))
        elif isinstance(node, ast.For) and _MODULE_DICT_VIEW.fullmatch(
            ast.unparse(node.iter)
        ):  # `for name, layer in self.blocks.items()`: the module is the last name
            target = node.target
            module = target.elts[-1] if isinstance(target, ast.Tuple) else target
            names.add(ast.unparse(module))
    return names


#: A loop over a ModuleDict member's modules (check/forward_dicts.py).
_MODULE_DICT_VIEW = re.compile(r"self\.\w+\.(values|items)\(\)")


def _assert_allowed_call(func: ast.expr, defined: set[str]) -> None:
    if isinstance(func, ast.Name):
        assert func.id in ALLOWED_NAMES | defined, func.id
        return
    root = func
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    if isinstance(root, ast.Name) and root.id == "self":
        return  # a member (or one of its children) called on tensors
    assert isinstance(func, ast.Attribute), ast.dump(func)
    if isinstance(func.value, ast.Name):
        owner = func.value.id
        spelled = f"{owner}.{func.attr}"
        if owner == "nn":  # a layer, or a Parameter/Buffer member's wrapper
            assert func.attr in {*layers(), "Parameter", "Buffer"}, spelled
        elif owner in ("torch", "F"):
            assert spelled in OP_SPELLINGS, spelled
        elif owner == "models":
            assert func.attr in BUILDERS, spelled
        elif owner == "ops":  # `from torchvision import ops`: its layers only
            assert func.attr in VISION_SIGNATURES, spelled
        else:
            assert func.attr in ALLOWED_METHODS, spelled
    elif ast.unparse(func.value) == "nn.init":  # an `init { ... }` statement's calls
        assert func.attr in INIT_SIGNATURES, ast.unparse(func)
    elif isinstance(func.value, ast.Call) and func.attr == "__init__":
        assert isinstance(func.value.func, ast.Name) and func.value.func.id == "super"
    else:
        assert func.attr in ALLOWED_METHODS, ast.dump(func)


def test_corpus_is_large_enough():
    assert len(HOSTILE) >= 50


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_spec_is_refused_or_harmless(name, tmp_path):
    sentinel = tmp_path / "SENTINEL"
    text = HOSTILE[name].replace("{S}", str(sentinel))
    try:
        code = archdsl.generate(text)
    except ArchError as error:
        assert all(d.message for d in error.diagnostics)
        assert "Traceback" not in str(error)
        return
    assert_allowed(code)
    namespace: dict = {"__name__": "hostile"}
    exec(compile(code, "hostile.py", "exec"), namespace)  # noqa: S102 - the point of the test
    for value in list(namespace.values()):
        if isinstance(value, type) and value.__module__ == "hostile":
            try:
                value()
            except TypeError:
                pass  # needs arguments: building it is not what is tested here
    assert not sentinel.exists()


def test_every_spec_passes_the_allowlist():
    for spec in SPECS:
        assert_allowed(archdsl.generate(spec))


def test_the_allowlist_catches_a_payload():
    with pytest.raises(AssertionError):
        assert_allowed("import os\nos.system('true')\n")
    with pytest.raises(AssertionError):
        assert_allowed("x = ().__class__.__base__\n")


# ---- resource limits -------------------------------------------------------------------

LIMITS = {
    "linear_too_large": (
        "  fc = Linear(10**9, 10**9)\n",
        "would have about 1.0e+18 parameters",
    ),
    "repeat_too_long": (
        "  fc = Sequential(*[ReLU() for _ in range(10**9)])\n",
        "this repeats 1,000,000,000 times",
    ),  # fmt: skip
    "repeat_of_repeat": (
        "  fc = Sequential(*[Sequential(*[ReLU() for _ in range(1000)])"
        " for _ in range(1000)])\n",
        "would build at least 1,000,000 modules",
    ),
    "list_too_long": (
        "  c = [0] * 10**9\n  fc = ReLU()\n",
        "this list would have 1,000,000,000 items",
    ),
    "exponent": ("  c = 2 ** 10 ** 9\n  fc = ReLU()\n", "too large to compute"),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_resource_limits_refuse_by_counting(name):
    body, message = LIMITS[name]
    text = "model M {\n" + body + "  forward(x) = fc(x)\n}\n"
    archdsl.compile_spec("model W {\n  fc = ReLU()\n  forward(x) = fc(x)\n}\n")
    # refused by counting, before the work: ~1,500 calls and well under 1 MB today
    with calls_at_most(100_000), allocates_at_most(32):
        with pytest.raises(ArchError, match=re.escape(message)):
            archdsl.compile_spec(text)


@pytest.mark.parametrize("opener", ["(", "[", "-", "not ", "1 + "])
def test_deep_nesting_is_a_diagnostic_not_a_recursion_error(opener):
    closer = {"(": ")", "[": "]"}.get(opener, "")
    inner = "1" if opener != "[" else ""
    text = "model M {\n  c = " + opener * 5000 + inner + closer * 5000 + "\n}\n"
    with pytest.raises(ArchError) as info:
        archdsl.compile_spec(text)
    message = str(info.value)
    expected = "chains more than 300" if opener == "1 + " else "nested more than 100"
    assert expected in message or opener == "("


def test_max_params_can_be_raised():
    from archdsl.check import Limits

    text = "model M {\n  fc = Linear(200000, 100000)\n  forward(x) = fc(x)\n}\n"
    with pytest.raises(ArchError, match="the limit is 10,000,000,000"):
        archdsl.compile_spec(text)
    archdsl.compile_spec(text, Limits(max_params=10**11))


def test_specs_are_read_only_from_regular_files(tmp_path):
    with pytest.raises(ArchError, match="not a regular file"):
        archdsl.compile_spec(Path("/dev/zero"))
    spec = tmp_path / "m.arch"
    spec.write_text('import "/dev/zero"\n')
    with pytest.raises(ArchError, match="only .arch files are imported"):
        archdsl.compile_spec(spec)


# ---- safe output -----------------------------------------------------------------------


def test_build_does_not_overwrite_foreign_files(tmp_path):
    from archdsl.cli import main

    target = tmp_path / "unet.py"
    target.write_text("my own code\n")
    spec = str(ROOT / "specs" / "mlp.arch")
    assert main(["build", spec, "-o", str(target)]) == 1
    assert target.read_text() == "my own code\n"
    assert main(["build", spec, "-o", str(target), "--force"]) == 0
    assert target.read_text().startswith("# Generated by archdsl")
    assert main(["build", spec, "-o", str(target)]) == 0  # ours: rebuilt freely


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    from archdsl.output import write_atomic

    target = tmp_path / "out.py"
    target.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.py"]


def test_only_the_loader_executes_code():
    """The one `exec` of generated code runs archdsl's own generated module
    (load()); the only other writes each IR node class's `__init__` from the
    class's own field names in archdsl/ir/nodes.py, as dataclasses does (no text
    from a spec reaches it: ir/base.py refuses a field name that is not a plain
    identifier). No `eval`. `archdsl import` reads its target's arguments
    (`torchvision.vgg16_bn(num_classes=10)`) with `literal_eval`: literals only."""
    found = []
    for path in sorted((ROOT / "archdsl").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func  # `model.eval()` is nn.Module's, not the builtin
                name = func.id if isinstance(func, ast.Name) else ""
                if isinstance(func, ast.Attribute) and func.attr == "literal_eval":
                    name = "literal_eval"
                if name in ("eval", "exec", "literal_eval", "__import__"):
                    found.append((path.relative_to(ROOT).as_posix(), name))
    assert found == [
        ("archdsl/importer/target.py", "literal_eval"),
        ("archdsl/importer/target.py", "literal_eval"),
        ("archdsl/ir/base.py", "exec"),
        ("archdsl/pipeline.py", "exec"),
    ]
