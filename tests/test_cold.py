"""A cold `archdsl check` (issue 15): what it loads, and the cache of lark's
terminals that lets the fast parser run without lark.

The cached Lexicon is held to the one lark's own parser gives for the same
grammar, and the cached rules to fastrules' reading of it; both are worked out
again whenever what they come from changes; a damaged, stale or unwritable
cache only costs time."""

from __future__ import annotations

import ast
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archdsl.syntax.fastlex import Lexicon
from archdsl.syntax.fastrules import lowered_rules
from archdsl.syntax.grammar import grammar_text
from archdsl.syntax.terminals import derive, load

SPECS = Path(__file__).resolve().parents[1] / "specs"

#: What `archdsl check` of a spec the fast parser reads never needs: the heavy
#: packages, and the standard modules archdsl/records.py (dataclasses, which loads
#: inspect) and the CLI's help formatter (shutil, which loads bz2 and lzma) avoid.
HEAVY = ("lark", "pydantic", "pydantic_core", "torch", "dataclasses", "shutil")
#: and the parts of archdsl other commands use (each is imported by its command)
OTHER_COMMANDS = ("archdsl.codegen", "archdsl.fmt", "archdsl.graph", "archdsl.lsp",
                  "archdsl.importer", "archdsl.export", "archdsl.incremental")  # fmt: skip

#: A grammar that differs from the real one by a new kind of top-level item, with
#: a keyword of its own.
SPARE = "spare"


def changed_grammar() -> str:
    text = grammar_text()
    old = "_item: import_all | import_names | block | builder | model | variant"
    assert old in text
    return text.replace(old, old + " | spare") + f'\nspare: "{SPARE}" NAME\n'


def fields(lexicon: Lexicon) -> dict:
    """What a Lexicon holds, comparable (its regex by the pattern it was built from)."""
    held = {
        name: getattr(lexicon, name) for name in Lexicon.FIELDS if name != "pattern"
    }
    return {**held, "regex": lexicon.regex.pattern}


def load_lexicon(grammar: str, folder: Path) -> Lexicon:
    lexicon, rules = load(grammar, folder)
    assert rules == lowered_rules(grammar)
    return lexicon


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("terminals-*.marshal"))


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """An empty cache directory of the user's (lark's tables go there too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "archdsl"
    folder.mkdir()
    return folder


def check_modules(spec: Path, env: dict) -> tuple[subprocess.CompletedProcess, set]:
    """`archdsl check SPEC` in a fresh process: its result, and which of HEAVY's
    packages and OTHER_COMMANDS' modules it imported."""
    code = (
        "import sys\n"
        "from archdsl.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})"
        f" | {{m for m in sys.modules if m.startswith({OTHER_COMMANDS!r})}}))\n"
        "sys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, "check", str(spec)],
                            capture_output=True, text=True, env=env)  # fmt: skip
    return result, set(ast.literal_eval(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "spec", ["mlp.arch", "unet.arch", "multitask.arch", "zoo/densenet.arch"]
)  # the last two with f-strings and dicts, which the fast parser reads too
def test_check_loads_only_what_it_needs(tmp_path, spec):
    """Once the terminals are cached (the first run reads them from lark), checking
    a spec imports none of HEAVY and no other command's code: a structural
    guarantee that the cold check stays near the interpreter's own start-up."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    first, _ = check_modules(SPECS / spec, env)
    assert first.returncode == 0, first.stderr
    assert cache_files(tmp_path / "archdsl")
    second, loaded = check_modules(SPECS / spec, env)
    assert second.returncode == 0, second.stderr
    assert loaded == set()


def test_check_without_a_usable_cache(tmp_path):
    """A cache directory that cannot be made (XDG_CACHE_HOME under a file): the
    check reads lark's terminals every time, and says the same."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocker / "cache")}
    for _ in range(2):
        result, loaded = check_modules(SPECS / "unet.arch", env)
        assert result.returncode == 0, result.stderr
        assert "ok: 1 spec checked" in result.stdout
        assert "lark" in loaded


def test_cached_lexicon_is_larks(cache):
    grammar = grammar_text()
    fresh = load_lexicon(grammar, cache)  # read from lark, then written
    (written,) = cache_files(cache)
    cached = load_lexicon(grammar, cache)
    assert fields(cached) == fields(fresh) == fields(Lexicon(derive(grammar)))
    assert cache_files(cache) == [written]


def test_changed_grammar_reads_lark_again(cache):
    grammar, changed = grammar_text(), changed_grammar()
    assert SPARE not in load_lexicon(grammar, cache).keywords
    lexicon = load_lexicon(changed, cache)
    assert SPARE in lexicon.keywords
    assert len(cache_files(cache)) == 2  # each grammar keeps its own
    assert fields(load_lexicon(changed, cache)) == fields(lexicon)
    assert SPARE not in load_lexicon(grammar, cache).keywords


def test_stale_entry_is_replaced(cache):
    """A file whose key does not match what the terminals are read from now (as
    after an upgrade of lark or of this package) is read from lark again."""
    grammar = grammar_text()
    load_lexicon(grammar, cache)
    (path,) = cache_files(cache)
    key, stored, rules = marshal.loads(path.read_bytes())
    assert key[-1] == grammar
    wrong = {**stored, "keywords": {SPARE: SPARE}}
    path.write_bytes(marshal.dumps((("an older lark", *key[1:]), wrong, rules)))
    assert SPARE not in load_lexicon(grammar, cache).keywords
    assert marshal.loads(path.read_bytes()) == (key, stored, rules)


@pytest.mark.parametrize(
    "damage",
    [b"", b"\x00garbage", marshal.dumps(("key only",)), marshal.dumps((1, 2))],
    ids=["empty", "garbage", "one-item", "wrong-shape"],
)
def test_damaged_cache_is_read_from_lark(cache, damage):
    grammar = grammar_text()
    load_lexicon(grammar, cache)
    (path,) = cache_files(cache)
    path.write_bytes(damage)
    assert fields(load_lexicon(grammar, cache)) == fields(Lexicon(derive(grammar)))
    assert marshal.loads(path.read_bytes())[0][-1] == grammar  # written again


def test_unwritable_cache_folder(tmp_path):
    """A folder that cannot be written (it is not there): nothing cached, the
    Lexicon is lark's all the same."""
    grammar = grammar_text()
    folder = tmp_path / "missing"
    lexicon = load_lexicon(grammar, folder)
    assert fields(lexicon) == fields(Lexicon(derive(grammar)))
    assert not folder.exists()


@pytest.mark.parametrize("columns", ["30", "72", "140", None, "junk"])
def test_help_as_wide_as_argparse_makes_it(monkeypatch, columns):
    """The CLI's formatter (which does not import shutil) lays help out as
    argparse's own does, for whatever $COLUMNS says."""
    import argparse

    from archdsl.cli import _HelpFormatter, _parser

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    root, commands = _parser("check")
    for parser in (root, commands["check"]):
        assert parser.formatter_class is _HelpFormatter
        ours = parser.format_help(), parser.format_usage()
        parser.formatter_class = argparse.HelpFormatter
        assert (parser.format_help(), parser.format_usage()) == ours


def test_key_follows_the_code_that_derives_it(tmp_path, monkeypatch):
    """An edit of fastlex.py (token_regex) or fastrules.py (FOLLOWED) makes the
    cached scanner and rules stale, as a changed grammar does."""
    from archdsl.syntax import fastlex, fastrules, terminals

    grammar = grammar_text()
    key = terminals._key(grammar)
    for module in (fastlex, fastrules):
        edited = tmp_path / Path(module.__file__).name
        edited.write_text(Path(module.__file__).read_text() + "\n# edited\n")
        with monkeypatch.context() as patch:
            patch.setattr(module, "__file__", str(edited))
            assert terminals._key(grammar) != key
    assert terminals._key(grammar) == key
