"""A Pygments lexer for .arch files, built from the grammar's own terminals.

Keywords, operators, punctuation, numbers, strings and comments are whatever
grammars/arch.lark says they are: the rules below are made from the terminals of
the parser archdsl uses (in Lark's own order of precedence), so syntax added to
the grammar is highlighted without touching this file. Only names get more: a
`torch.nn` layer, a tensor op or a build-time builtin is a builtin, a parameter type
a type, and the name after `block`, `builder` or `model` a class or function.

Registered as the `arch` lexer through the `pygments.lexers` entry point, so
`pygmentize -l arch spec.arch` works once archdsl is installed.
"""

from __future__ import annotations

import re
from typing import Any

from lark.lexer import PatternStr, TerminalDef
from pygments.lexer import RegexLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from .check.types import PARAM_TYPES
from .ops import BUILTINS, TENSOR_OPS
from .ops.nn_signatures import NN_SIGNATURES
from .syntax.parser import parser

#: Keywords with a more precise kind than `Keyword`, by the grammar's terminal name.
KEYWORD_KINDS = {
    "BLOCK": Keyword.Declaration,
    "BUILDER": Keyword.Declaration,
    "MODEL": Keyword.Declaration,
    "IMPORT": Keyword.Namespace,
    "FROM": Keyword.Namespace,
    "TRUE": Keyword.Constant,
    "FALSE": Keyword.Constant,
    "NONE": Keyword.Constant,
    "AND": Operator.Word,
    "OR": Operator.Word,
    "NOT": Operator.Word,
    "IN": Operator.Word,
}

#: What a definition's name is, after its keyword.
DEFINES = {"block": Name.Class, "model": Name.Class, "builder": Name.Function}

#: Regex terminals by name; one the grammar adds later is classed by its name.
TERMINAL_KINDS = {
    "COMMENT": Comment.Single,
    "STRING": String,
    "FLOAT": Number.Float,
    "INT": Number.Integer,
    "DOTTED": Name,
    "NAME": Name,
}

PUNCTUATION = set("()[]{},;:.")
BUILTIN_NAMES = {*NN_SIGNATURES, *TENSOR_OPS, *BUILTINS, "partial"}  # check/partials.py
TYPE_NAMES = {*PARAM_TYPES, "list", "tuple"}


def _kind_of_terminal(name: str):
    if name in TERMINAL_KINDS:
        return TERMINAL_KINDS[name]
    if "STRING" in name:
        return String
    if "INT" in name or "FLOAT" in name or "NUMBER" in name:
        return Number
    if "COMMENT" in name:
        return Comment
    return Operator


#: In `terminal_rules`, the rule for names (keywords, builtins and the rest).
NAME_RULE = "name"


def terminal_rules() -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The grammar's keywords (word -> token type), and one (regex, token type) per
    other terminal, in the order Lark's own lexer tries them (priority, then the
    longest possible match) so that both split text the same way. NAME's rule has
    the kind NAME_RULE: see `name_kind`. The TextMate grammar for VS Code is made
    from these too (tools/gen_textmate.py)."""
    lark = parser()
    ignored = set(lark.lexer_conf.ignore)
    terminals: list[TerminalDef] = sorted(
        lark.terminals,
        key=lambda t: (
            -t.priority,
            -t.pattern.max_width,
            -len(t.pattern.value),
            t.name,
        ),
    )  # lark/lexer.py sorts so, then tries them in turn (an `re` alternation)
    keywords = {
        t.pattern.value: KEYWORD_KINDS.get(t.name, Keyword)
        for t in terminals
        if _is_word(t)
    }
    rules: list[tuple[str, Any]] = []
    for t in terminals:
        if t.name == "_NL" or _is_word(t):
            continue  # keywords are names, told apart by name_kind, as Lark does
        pattern = t.pattern.to_regexp()
        if t.name in ignored and "COMMENT" not in t.name:
            rules.append((pattern, Whitespace))
        elif t.name == "NAME":
            rules.append((pattern, NAME_RULE))
        elif isinstance(t.pattern, PatternStr):
            symbol = t.pattern.value
            rules.append((pattern, Punctuation if symbol in PUNCTUATION else Operator))
        else:
            rules.append((pattern, _kind_of_terminal(t.name)))
    return keywords, rules


def name_kind(word: str, keywords: dict[str, Any]) -> Any:
    """A keyword, a layer, op or builtin, a type, or a name the spec defines."""
    if word in keywords:
        return keywords[word]
    if word in TYPE_NAMES:  # `int` too, which is also a builtin
        return Keyword.Type
    if word in BUILTIN_NAMES:
        return Name.Builtin
    return Name


def _rules() -> list:
    keywords, terminals = terminal_rules()
    defining = "|".join(re.escape(word) for word in keywords if word in DEFINES)
    rules: list = [(r"\n", Whitespace)]  # the grammar's _NL: newlines, then comments
    if defining:
        rules.append((rf"({defining})(\s+)([A-Za-z_]\w*)\b", _definition))
    for pattern, kind in terminals:
        rules.append((pattern, _name_rule(keywords) if kind == NAME_RULE else kind))
    return rules


def _name_rule(keywords: dict):
    def name(lexer, match):
        word = match.group()
        yield match.start(), name_kind(word, keywords), word

    return name


def _is_word(terminal: TerminalDef) -> bool:
    pattern = terminal.pattern
    return isinstance(pattern, PatternStr) and pattern.value.isidentifier()


def _definition(lexer, match):
    keyword, space, name = match.groups()
    yield match.start(1), Keyword.Declaration, keyword
    yield match.start(2), Whitespace, space
    yield match.start(3), DEFINES[keyword], name


class ArchLexer(RegexLexer):
    """The .arch architecture language of archdsl."""

    name = "Arch"
    aliases = ["arch", "archdsl"]
    filenames = ["*.arch"]
    mimetypes = ["text/x-arch"]
    url = "https://pypi.org/project/archdsl/"

    tokens = {"root": _rules()}
