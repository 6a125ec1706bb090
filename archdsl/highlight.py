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
BUILTIN_NAMES = {*NN_SIGNATURES, *TENSOR_OPS, *BUILTINS}
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


def _rules() -> list:
    """One rule per terminal, in the order Lark's own lexer tries them (priority,
    then the longest possible match), so both split text the same way."""
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
    defining = "|".join(re.escape(word) for word in keywords if word in DEFINES)
    rules: list = [(r"\n", Whitespace)]  # the grammar's _NL: newlines, then comments
    if defining:
        rules.append((rf"({defining})(\s+)([A-Za-z_]\w*)\b", _definition))
    for t in terminals:
        if t.name == "_NL" or _is_word(t):
            continue  # keywords are names, told apart below, as Lark does
        pattern = t.pattern.to_regexp()
        if t.name in ignored and "COMMENT" not in t.name:
            rules.append((pattern, Whitespace))
        elif t.name == "NAME":
            rules.append((pattern, _name_rule(keywords)))
        elif isinstance(t.pattern, PatternStr):
            rules.append(
                (pattern, Punctuation if t.pattern.value in PUNCTUATION else Operator)
            )
        else:
            rules.append((pattern, _kind_of_terminal(t.name)))
    return rules


def _name_rule(keywords: dict):
    def name(lexer, match):
        """A keyword, a layer, op or builtin, a type, or a name the spec defines."""
        word = match.group()
        if word in keywords:
            kind = keywords[word]
        elif word in TYPE_NAMES:  # `int` too, which is also a builtin
            kind = Keyword.Type
        elif word in BUILTIN_NAMES:
            kind = Name.Builtin
        else:
            kind = Name
        yield match.start(), kind, word

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
