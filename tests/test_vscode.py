"""The VS Code extension (editors/vscode/): its TextMate grammar is the one
tools/gen_textmate.py makes from the language's grammar, VS Code's own TextMate
engine (vscode-textmate) splits every spec where archdsl's Lark lexer does and
scopes each token as its kind, and activating the extension starts `archdsl lsp`
over stdio for .arch files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import cache

import pytest
from conftest import ROOT
from test_highlight import FILES, _id, _lark_lexer

from archdsl.cli import _parser

VSCODE = ROOT / "editors" / "vscode"
NODE = shutil.which("node")
ENGINE = VSCODE / "node_modules" / "vscode-textmate"


def _node(*argv: str) -> str:
    if NODE is None:
        pytest.skip("no node: `apt-get install nodejs`")
    if not ENGINE.is_dir():
        pytest.skip("no editors/vscode/node_modules: `npm ci --prefix editors/vscode`")
    done = subprocess.run(
        [NODE, *argv], cwd=VSCODE, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_textmate_grammar_is_generated_from_the_current_grammar():
    done = subprocess.run(
        [sys.executable, "tools/gen_textmate.py", "--check"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_wires_the_language_its_grammar_and_configuration():
    package = json.loads((VSCODE / "package.json").read_text())
    (language,) = package["contributes"]["languages"]
    (grammar,) = package["contributes"]["grammars"]
    assert ".arch" in language["extensions"]
    assert grammar["language"] == language["id"]
    textmate = json.loads((VSCODE / grammar["path"]).read_text())
    assert textmate["scopeName"] == grammar["scopeName"]
    configuration = json.loads((VSCODE / language["configuration"]).read_text())
    assert configuration["comments"]["lineComment"] == "#"
    assert (VSCODE / package["main"]).is_file()


def test_activating_the_extension_starts_archdsl_lsp_over_stdio():
    started = json.loads(_node("test/activate.js"))
    assert started["running"] and "error" not in started
    assert started["server"]["command"] == "archdsl"
    assert started["server"]["args"] == ["lsp"]
    assert started["server"]["transport"] == 0  # TransportKind.stdio
    assert started["client"]["documentSelector"] == [
        {"scheme": "file", "language": "arch"}
    ]
    _, commands = _parser()
    if "lsp" not in commands:
        pytest.skip("`archdsl lsp` is not registered yet (issue 13, part 3)")


@cache
def _textmate_tokens() -> dict[str, list]:
    """Every file of the corpus tokenized by vscode-textmate, in one node run."""
    return json.loads(_node("test/tokenize.js", *(str(p) for p in FILES)))


#: The scope a token of each kind must carry (a prefix of one of its scopes).
SCOPES = {
    "INT": ("constant.numeric",),
    "FLOAT": ("constant.numeric",),
    "STRING": ("string",),
}
KEYWORD_SCOPES = ("keyword", "storage.type", "constant.language", "support.type")


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_vscode_splits_and_scopes_like_the_grammar(path):
    tokens = _textmate_tokens()[str(path)]
    at = {(line, start): (end, scopes) for line, start, end, scopes in tokens}
    text = path.read_text(encoding="utf-8")
    for token in _lark_lexer().lex(text):
        if token.type == "_NL" or "\n" in token:
            continue
        where = f"{path.name}:{token.line}:{token.column} {token.type} {token!s:.30}"
        end, scopes = at.get((token.line, token.column - 1), (None, []))
        assert end == token.column - 1 + len(token), where
        scoped = " ".join(scopes)
        if token.type in SCOPES:
            assert any(s in scoped for s in SCOPES[token.type]), where
        elif str(token).isidentifier() and token.type != "NAME":  # a keyword
            assert any(s in scoped for s in KEYWORD_SCOPES), where
        elif token.type not in ("NAME", "DOTTED") and not token[0].isalnum():  # `//`
            assert "punctuation" in scoped or "keyword.operator" in scoped, where
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            column = len(line) - len(line.lstrip())
            _, scopes = at[(number, column)]
            assert any("comment" in s for s in scopes), f"{path.name}:{number}"
