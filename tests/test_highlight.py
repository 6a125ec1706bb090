"""The Pygments lexer: found by name through its entry point, as `pygmentize -l
arch` finds it; no error token in any spec or corpus file that parses; and it
splits text where archdsl's own Lark lexer does, with the same kinds of token."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from conftest import ERRORS, ROOT, SPECS, ZOO_SPECS
from lark import Lark
from lark.exceptions import LarkError

pygments = pytest.importorskip("pygments")
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename  # noqa: E402
from pygments.token import (  # noqa: E402
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    String,
)

from archdsl.highlight import ArchLexer  # noqa: E402
from archdsl.syntax.parser import grammar_text, parser  # noqa: E402

FORMAT = sorted((ROOT / "tests" / "format").glob("*.arch"))


def _parses(path: Path) -> bool:
    try:
        parser().parse(path.read_text(encoding="utf-8"))
    except (LarkError, UnicodeDecodeError):
        return False
    return True


#: Every spec, and every file of the corpora that the grammar accepts.
FILES = SPECS + ZOO_SPECS + [p for p in FORMAT + ERRORS if _parses(p)]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_pygments_finds_the_lexer_by_name_and_file_name():
    assert isinstance(get_lexer_by_name("arch"), ArchLexer)
    assert isinstance(get_lexer_for_filename("unet.arch"), ArchLexer)


def test_pygmentize_highlights_a_spec():
    """`pygmentize -l arch` as a user runs it (the module form of the same script)."""
    done = subprocess.run(
        [sys.executable, "-m", "pygments", "-l", "arch", "-f", "html",
         str(ROOT / "specs" / "unet.arch")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '<span class="kd">block</span>' in done.stdout  # Keyword.Declaration
    assert '<span class="nc">DoubleConv</span>' in done.stdout  # Name.Class
    assert 'class="err"' not in done.stdout


def test_the_corpus_is_large():
    assert len(FILES) > 50  # the specs and most of tests/errors


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_no_error_tokens(path):
    text = path.read_text(encoding="utf-8")
    tokens = list(ArchLexer().get_tokens_unprocessed(text))
    errors = [(offset, value) for offset, kind, value in tokens if kind in Error]
    assert not errors, errors[:5]
    assert "".join(value for _, _, value in tokens) == text


@cache
def _lark_lexer() -> Lark:
    """archdsl's grammar with Lark's standalone lexer: every token, in order."""
    return Lark(grammar_text(), parser="lalr", lexer="basic")


#: What a token of the grammar must be highlighted as, by its terminal.
EXPECTED = {
    "INT": Number,
    "FLOAT": Number,
    "STRING": String,
    "NAME": Name,
    "DOTTED": Name,
}


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_tokens_agree_with_the_grammar(path):
    """Each token Lark's lexer finds (newlines aside) starts a Pygments token of the
    same text; keywords are keywords, names names, numbers numbers."""
    text = path.read_text(encoding="utf-8")
    ours = {
        offset: (kind, value)
        for offset, kind, value in ArchLexer().get_tokens_unprocessed(text)
    }
    for token in _lark_lexer().lex(text):
        if token.type == "_NL":
            continue
        kind, value = ours.get(token.start_pos, (None, None))
        where = f"{path.name}:{token.line}:{token.column} {token.type} {token!s:.30}"
        assert value == str(token), where
        if token.type in EXPECTED:
            expected = EXPECTED[token.type]
            if token.type == "NAME":  # layers and types are names of a kind too
                assert kind in Name or kind in Keyword.Type, where
            else:
                assert kind in expected, where
        elif str(token).isidentifier():  # `block`, `forward`, `and`, `True`
            assert kind in Keyword or kind in Operator.Word, where


def test_comments_are_comments():
    text = (ROOT / "specs" / "unet.arch").read_text()
    tokens = list(ArchLexer().get_tokens(text))
    comments = [value for kind, value in tokens if kind in Comment]
    assert "# centre-pad to x2's height and width" in comments
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) <= len(
        comments
    )
