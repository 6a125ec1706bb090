"""The speed work of issue 15 changes no output: what each shortcut saves is
worked out again the long way and compared, for every spec in the repository.

The shortcuts (a layer call of literal arguments bound once per check, a layer
built from plain values bound once per evaluator, a model's build taking the
block its counting pass built, answers of `accepts` kept by their question)
each rest on a claim that the key they are kept by holds everything the answer
depends on. Here each is switched off, and the diagnostics (text and positions)
and the generated code of every spec are held to those of the full computation.

Also held to what they stand in for: the key of the cached lark terminals
(syntax/terminals.py) follows the code that derives them however archdsl is
installed; archdsl/records.py constructs records as dataclasses does, and the
records that write their own __init__ (for speed) take and set their fields.
"""

from __future__ import annotations

import importlib
import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from archdsl.errors import ArchError
from archdsl.pipeline import compile_spec
from archdsl.source import Source
from archdsl.syntax import fastlex, fastrules, terminals
from archdsl.syntax.grammar import grammar_text

ROOT = Path(__file__).resolve().parents[1]
#: The specs that build models (their shape inference and codegen run), and the
#: error corpus (each stops somewhere along the way).
BUILT = sorted([*ROOT.glob("specs/**/*.arch"), *ROOT.glob("examples/*.arch")])
ERRORS = sorted(ROOT.glob("tests/errors/*.arch"))

#: What a number in a spec is replaced with: other sizes, 0 and negatives (what
#: torch refuses), floats, bools and the float -0.0 (keys must tell 1, 1.0, True
#: and 0.0, -0.0 apart), None and a string.
NUMBERS = ("0", "1", "2", "3", "16", "-1", "1.0", "0.5", "-0.0", "True", "None", '"x"')


def _number_mutants(text: str, count: int, seed: str) -> list[str]:
    """`count` variants of a spec with one to three of its numbers replaced."""
    sites = list(re.finditer(r"(?<![\w.])\d+(?![\w.])", text))
    rng = random.Random(seed)
    mutants = []
    for _ in range(count if sites else 0):
        chosen = rng.sample(sites, min(len(sites), rng.randint(1, 3)))
        mutant = text
        for site in sorted(chosen, key=lambda m: -m.start()):
            mutant = mutant[: site.start()] + rng.choice(NUMBERS) + mutant[site.end() :]
        mutants.append(mutant)
    return mutants


def _outcome(path: Path, text: str) -> tuple:
    """Every diagnostic (text, position, notes) and the generated module."""
    from archdsl.codegen import generate_module

    try:
        compiled = compile_spec(Source(str(path), text))
    except ArchError as error:
        return tuple((d.render(), d.to_json()) for d in error.diagnostics), None
    found = tuple((d.render(), d.to_json()) for d in compiled.context.diagnostics)
    code = generate_module(compiled.program, compiled.context, compiled.source)
    return found, code


class _NeverKept(dict):
    """A cache that keeps nothing: every question is worked out."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _switch_off_shortcuts(patch: pytest.MonkeyPatch) -> None:
    """The shortcuts' keys made None and their caches empty, so that each answer
    is worked out the long way, as before issue 15 (private names: a rename
    fails here, to have this test follow it)."""
    module = importlib.import_module  # (`archdsl.check` the function hides the package)
    from archdsl.shapes.modules import Evaluator

    patch.setattr(module("archdsl.check.build"), "_literal_call", lambda *_: None)
    patch.setattr(module("archdsl.shapes.values"), "call_key", lambda *_: None)
    patch.setattr(module("archdsl.check.types"), "_ACCEPTS", _NeverKept())
    patch.setattr(module("archdsl.ops.shapes.arguments"), "_PRESENT", _NeverKept())

    def count_again(self: Any, info: Any, bound: Any, span: Any) -> None:
        Evaluator(self.ctx, counting=True).instantiate(info, bound, span)

    patch.setattr(Evaluator, "_count_first", count_again)


@pytest.mark.parametrize("path", BUILT + ERRORS, ids=lambda p: str(p.relative_to(ROOT)))
def test_shortcuts_change_no_output(path, monkeypatch):
    """A spec, and variants of it with other numbers, give the same diagnostics
    and code with the shortcuts as worked out without them."""
    text = path.read_text(encoding="utf-8")
    texts = [text, *_number_mutants(text, 3 if path in BUILT else 0, path.name)]
    fast = [_outcome(path, t) for t in texts]
    _switch_off_shortcuts(monkeypatch)
    assert [_outcome(path, t) for t in texts] == fast


# ---- the cached terminals' key (syntax/terminals.py) --------------------------------


class _Unzipped:
    """A loader as zipimport's: the source by module name, no file to read."""

    def __init__(self, text: str) -> None:
        self.text = text

    def get_source(self, name: str) -> str:
        return self.text


def test_cache_key_of_a_zipped_package_follows_its_code(monkeypatch):
    """Installed as a zip (a zipapp, a pex), the modules that derive the cached
    terminals have no file to read: the key still changes when their text does
    (read through the loader), or when the package's version does."""
    import archdsl

    grammar = grammar_text()
    modules = (sys.modules[terminals.__name__], fastlex, fastrules)
    for module in modules:
        source = module.__loader__.get_source(module.__name__)
        monkeypatch.setattr(module, "__file__", f"/no/such.zip/{module.__name__}.py")
        monkeypatch.setattr(module, "__loader__", _Unzipped(source))
    key = terminals._key(grammar)
    for module in (fastlex, fastrules):
        with monkeypatch.context() as patch:
            edited = module.__loader__.text + "\n# edited\n"
            patch.setattr(module, "__loader__", _Unzipped(edited))
            assert terminals._key(grammar) != key
    with monkeypatch.context() as patch:
        patch.setattr(archdsl, "__version__", archdsl.__version__ + ".post1")
        assert terminals._key(grammar) != key
    assert terminals._key(grammar) == key


@pytest.mark.parametrize("loader", [None, object()], ids=["no-loader", "no-source"])
def test_cache_key_of_a_frozen_package_is_its_version(monkeypatch, loader):
    """Frozen without source: the key is made, and holds the version."""
    import archdsl

    for module in (sys.modules[terminals.__name__], fastlex, fastrules):
        monkeypatch.setattr(module, "__file__", None)
        monkeypatch.setattr(module, "__loader__", loader)
    key = terminals._key(grammar_text())
    assert archdsl.__version__ in key


# ---- archdsl/records.py constructs as dataclasses does ------------------------------

#: How a field is declared: required, a default, a factory, and outside __init__
#: with a default, a factory or neither.
FIELD_KINDS = ("required", "default", "factory", "out", "out-factory", "out-bare")


def _record_class(module: Any, kinds: tuple[str, ...]) -> Any:
    """One class body, made by `module`'s dataclass; or the error it raises."""
    field = module.field
    options = {
        "default": lambda i: i,
        "factory": lambda i: field(default_factory=lambda: [i]),
        "out": lambda i: field(default=i, init=False),
        "out-factory": lambda i: field(default_factory=lambda: [i], init=False),
        "out-bare": lambda i: field(init=False),
    }
    body: dict[str, Any] = {"__annotations__": {}}
    for i, kind in enumerate(kinds):
        body["__annotations__"][f"f{i}"] = "int"
        if kind in options:
            body[f"f{i}"] = options[kind](i)
    try:
        return module.dataclass(type("C", (), body))
    except (TypeError, ValueError) as exc:
        return type(exc)


def _construct(cls: Any, args: list[int], keywords: dict[str, int]) -> tuple:
    """What a call of the class gives: each field's value, or the error's type."""
    try:
        made = cls(*args, **keywords)
    except TypeError:
        return (TypeError,)
    return tuple(getattr(made, f, "unset") for f in cls.__annotations__)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_records_construct_as_dataclasses(size):
    """Every mix of field kinds, called with each number of positional arguments
    and with or without each keyword: the same values, or an error as the
    standard dataclass's (a required argument left out beside a field outside
    __init__ made by a factory was taken for given)."""
    import dataclasses
    import itertools

    from archdsl import records

    for kinds in itertools.product(FIELD_KINDS, repeat=size):
        ours, standard = (
            _record_class(records, kinds),
            _record_class(dataclasses, kinds),
        )
        if isinstance(standard, type) and issubclass(standard, Exception):
            assert ours is standard, kinds
            continue
        for count in range(size + 2):
            args = list(range(10, 10 + count))
            for keywords in [{}, *({f"f{i}": 99} for i in range(size + 1))]:
                expected = _construct(standard, args, keywords)
                assert _construct(ours, args, keywords) == expected, (kinds, args)


def _written_out_inits() -> list[type]:
    """The records of the check path whose __init__ is written by hand (for
    speed) instead of records.py's, which reads the class's fields."""
    import pkgutil

    from archdsl import records

    names = ["archdsl.source", "archdsl.errors", "archdsl.pipeline", "archdsl.imports"]
    for package in ("check", "shapes", "ops", "syntax"):
        found = importlib.import_module(f"archdsl.{package}")
        names += [
            m.name for m in pkgutil.walk_packages(found.__path__, found.__name__ + ".")
        ]
    classes = []
    for name in names:
        for value in vars(importlib.import_module(name)).values():
            if (
                isinstance(value, type)
                and value.__module__ == name
                and records.is_dataclass(value)
                and value.__dict__.get("__init__", records._init) is not records._init
            ):
                classes.append(value)
    return classes


@pytest.mark.parametrize("cls", _written_out_inits(), ids=lambda c: c.__qualname__)
def test_written_out_init_is_the_fields(cls):
    """A hand-written __init__ takes the fields @dataclass would, in order, with
    their defaults, and sets each (a field added to the class but not to its
    __init__ would be missing from every instance)."""
    import inspect

    from archdsl import records

    table = cls.__record_fields__
    taken = [f for f in table.values() if f.init]
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert [p.name for p in parameters] == [f.name for f in taken]
    given = {}
    for parameter, spec in zip(parameters, taken, strict=True):
        if spec.default is not records._MISSING:
            assert parameter.default is spec.default, spec.name
        elif spec.default_factory is records._MISSING:
            assert parameter.default is inspect.Parameter.empty, spec.name
            given[spec.name] = object()
    made = cls(**given)
    for spec in taken:
        expected = given.get(spec.name, spec.default)
        if spec.default_factory is not records._MISSING:
            expected = spec.default_factory()
        assert getattr(made, spec.name) == expected, spec.name


# ---- the fast parser skips sugar only where there is none (syntax/fastlower.py) ------

#: PyTorch spellings syntax/sugar.py rewrites, inside an f-string's field, where
#: no DOTTED token shows them (the f-string is one token)
SUGARED_FIELDS = ["{x.shape}", "{x.size(1)}", "{F.relu(x)}", "{torch.cat([x, x])}"]


@pytest.mark.parametrize("field", SUGARED_FIELDS)
def test_sugar_inside_f_string_fields_of_a_forward(field):
    """A forward whose only dotted names are inside f-string fields lowers as
    the tree path (lark's parse tree, then the lowering) lowers it: the sugar is
    applied there too."""
    from archdsl.syntax import parse_source, parse_source_via_tree

    text = (
        "model M() {\n    fc = Linear(4, 4)\n    forward(x: [B, 4]) {\n"
        f'        d = {{f"k{field}": fc(x)}}\n        return fc(x)\n    }}\n}}\n'
    )
    source = Source("<f>", text)
    assert parse_source(source) == parse_source_via_tree(source)


# ---- the collector's pause (archdsl/gc_pause.py) leaves the host's garbage collectable


def test_cyclic_garbage_between_compiles_is_collected():
    """A process that compiles again and again (an editor's server, a notebook)
    and makes cyclic garbage in between gets it collected by Python's collector
    as it would without archdsl, no gc.collect() asked: the pause around each
    compile must not move the host's young objects out of the collector's reach."""
    import gc
    import weakref

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    freed: list[int] = []
    text = "model M() {\n    fc = Linear(4, 4)\n    forward(x: [N, 4]) = fc(x)\n}\n"
    if not gc.isenabled():
        pytest.skip("the collector is off in this process")
    gc.collect()
    for _ in range(200):
        compile_spec(text=text)
        for _ in range(20):
            weakref.finalize(Cycle(), freed.append, 1)
    # without the pause, the young collections free all but the last few (3,840)
    assert len(freed) > 2000
