"""The speed work of issue 15 changes no output: what each shortcut saves is
worked out again the long way and compared, for every spec in the repository.

The shortcuts (a layer call of literal arguments bound once per check, a layer
built from plain values bound once per evaluator, a model's build taking the
block its counting pass built, answers of `accepts` kept by their question)
each rest on a claim that the key they are kept by holds everything the answer
depends on. Here each is switched off, and the diagnostics (text and positions)
and the generated code of every spec are held to those of the full computation.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from archdsl.syntax import fastlex, fastrules, terminals
from archdsl.syntax.grammar import grammar_text


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
