"""Lines as the parser counts them: only a newline ends one. Python's
`str.splitlines` also ends a line at a form feed (which the grammar reads as a
space) and at the separators a comment may hold; an excerpt taken from such lines
showed the wrong text for every line after."""

import pytest
from lsprotocol import types as lsp

from archdsl import check
from archdsl.errors import ArchError
from archdsl.lsp.server import _word_at

SEPARATORS = ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def spec(separator: str) -> str:
    return (
        f"# a comment{separator}holding a separator\n"
        "model M() {\n"
        "    fc = Linear(4,\x0c 4)\n"
        "    forward(x: [N, 4]) = fc(y)\n"
        "}\n"
    )


@pytest.mark.parametrize("separator", SEPARATORS, ids=ascii)
def test_an_excerpt_is_the_line_the_position_names(separator):
    with pytest.raises(ArchError) as caught:
        check(text=spec(separator))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.span.line, diagnostic.span.column) == (4, 29)
    assert "   4 |     forward(x: [N, 4]) = fc(y)\n" in str(caught.value)


@pytest.mark.parametrize("separator", SEPARATORS, ids=ascii)
def test_the_editor_finds_the_word_on_the_line_it_names(separator):
    word, where = _word_at(spec(separator), lsp.Position(line=3, character=26))
    assert word == "fc"
    assert where.start == lsp.Position(line=3, character=25)


def test_a_windows_line_end_is_not_part_of_the_line():
    text = spec("").replace("\n", "\r\n")
    with pytest.raises(ArchError) as caught:
        check(text=text)
    assert "   4 |     forward(x: [N, 4]) = fc(y)\n" in str(caught.value)


def test_an_old_mac_file_shows_its_first_line_alone():
    """Lone carriage returns end no line for the parser (the error is at the
    first one); the excerpt stops there, as a terminal would overwrite it."""
    text = "model M() {\r    fc = Linear(4, 4)\r    forward(x: [N, 4]) = fc(x)\r}\r"
    with pytest.raises(ArchError) as caught:
        check(text=text)
    rendered = str(caught.value)
    assert "\r" not in rendered
    assert "   1 | model M() {\n" in rendered
    assert "     |            ^\n" in rendered
