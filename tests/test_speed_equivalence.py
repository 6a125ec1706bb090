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
