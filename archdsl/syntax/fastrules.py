"""Which of grammars/arch.lark's rules the fast parser follows, checked against
the grammar as it is now.

Each entry is a rule as the grammar writes it, with the alternatives fastparse.py
reads (spaces and comments aside). When a followed alternative is no longer in
the grammar, that rule is *stale*: the fast parser gives up where it meets it
(and on every expression, if it is an expression rule), so a spec parses with
lark as before, only slower. New alternatives beside followed ones change
nothing: they add syntax, and the fast parser gives up on syntax it does not
know. tests/test_fastparse.py fails while a rule is stale, to have the fast
parser brought up to date.
"""

from __future__ import annotations

import re

FOLLOWED: dict[str, tuple[str, ...]] = {
    "start": ("(_item | _NL)*",),
    "_item": ("import_all", "import_names", "block", "builder", "model", "variant"),
    "import_all": ('"import" STRING',),
    "import_names": ('"from" STRING "import" NAME ("," NAME)*',),
    "block": ('"block" NAME params body',),
    "builder": ('"builder" NAME params "=" _NL? expr',),
    "model": ('"model" NAME [params] [extends] body',),
    "variant": ('"model" NAME [params] "=" NAME "(" args ")"',),
    "extends": ('"extends" DOTTED "(" args ")"',),
    "params": ('"(" [param ("," param)* ","?] ")"',),
    "param": ('NAME [":" type] ["=" expr]',),
    "type": ('type_term ("|" type_term)*',),
    "type_term": ('NAME ["[" type ("," type)* "]"]', '"None" -> none_type'),
    "body": ('"{" _sep* (_stmt _sep+)* _stmt? "}"',),
    "_sep": ("_NL", '";"'),
    "_stmt": (
        "assign",
        "if_stmt",
        "for_stmt",
        "call_stmt",
        "forward",
        "outputs",
        "input_decl",
        "at_stmt",
        "weights_stmt",
        "freeze_stmt",
        "init_stmt",
    ),  # fmt: skip
    "init_stmt": ('"init" "{" _sep* (init_rule _sep+)* init_rule? "}"',),
    "init_rule": ('init_target ("," init_target)* ":" expr ("," expr)*',),
    "init_target": ("NAME", "STRING"),
    "assign": ('(NAME | DOTTED) "=" expr',),
    "call_stmt": ('(NAME | DOTTED) "(" args ")"',),
    "for_stmt": ('"for" targets "in" expr body',),
    "targets": ('_target ("," _target)*',),
    "_target": ("NAME", '"(" targets ")"'),
    "if_stmt": ('"if" expr body ["else" (body | if_stmt)]',),
    "outputs": ('"outputs" "(" args ")"',),
    "input_decl": ('"input" NAME ":" shape',),
    "at_stmt": ('"at" (NAME | DOTTED) "(" NAME ")" "=" expr',),
    "weights_stmt": ('"weights" "(" args ")"',),
    "freeze_stmt": ('"freeze" "(" args ")"',),
    "forward": ('"forward" "(" [fparam ("," fparam)* ","?] ")" ("=" fvalues | fbody)',),
    "fparam": ('NAME [":" shape]',),
    "shape": ('"[" dim ("," dim)* "]"',),
    "dim": ("NAME", "INT"),
    "fbody": ('"{" _sep* (_fstmt _sep+)* _fstmt? "}"',),
    "_fstmt": ("fassign", "faugassign", "freturn", "fif", "ffor", "fcall"),
    "ffor": ('"for" NAME ("," NAME)* "in" expr fbody',),
    "fcall": ('DOTTED "(" args ")"',),
    "fassign": ('NAME ("," NAME)* "=" fvalues',),
    "fvalues": ('expr ("," expr)*',),
    "faugassign": ("NAME AUG_OP expr",),
    "freturn": ('"return" expr ("," expr)*',),
    "fif": ('"if" expr fbody ["else" (fbody | fif)]',),
    # expressions: stale, and the fast parser gives up on every spec
    "?expr": ('or_expr "if" or_expr "else" expr -> ifexp', "or_expr"),
    "?or_expr": ('or_expr "or" and_expr -> or_', "and_expr"),
    "?and_expr": ('and_expr "and" not_expr -> and_', "not_expr"),
    "?not_expr": ('"not" not_expr -> not_', "comparison"),
    "?comparison": ("arith COMP_OP arith -> compare", "arith"),
    "?arith": ("arith ADD_OP term -> binop", "term"),
    "?term": ("term (STAR | MUL_OP) factor -> binop", "factor"),
    "?factor": ("ADD_OP factor -> unary", "power"),
    "?power": ('postfix "**" factor -> pow_', "postfix"),
    "?postfix": (
        'postfix "(" args ")" -> call',
        'postfix "[" subscripts "]" -> subscript',
        'postfix "." NAME -> attribute',
        "atom",
    ),  # fmt: skip
    "subscripts": ('_subscript ("," _subscript)* ","?',),
    "_subscript": ("expr", "slice", "ellipsis"),
    "ellipsis": ("ELLIPSIS",),
    "slice": ('[expr] ":" [expr] [":" [expr]]',),
    "?atom": (
        "NAME -> name",
        "DOTTED -> dotted",
        "INT -> int_",
        "FLOAT -> float_",
        "STRING -> string",
        "FSTRING -> fstring",
        '"True" -> true',
        '"False" -> false',
        '"None" -> none',
        '"[" [expr ("," expr)* ","?] "]" -> list_',
        '"[" expr _comp_clauses "]" -> listcomp',
        '"{" [dict_item ("," dict_item)* ","?] "}" -> dict_',
        '"{" dict_item _comp_clauses "}" -> dictcomp',
        '"(" expr ")"',
        '"(" expr "," [expr ("," expr)* ","?] ")" -> tuple_',
    ),  # fmt: skip
    "_comp_clauses": ("comp_for (comp_for | comp_if)*",),
    "comp_for": ('"for" targets "in" or_expr',),
    "comp_if": ('"if" or_expr',),
    "dict_item": ('expr ":" expr',),
    "args": ('[arg ("," arg)* ","?]',),
    "?arg": ("expr", 'NAME "=" expr -> kwarg', "STAR expr -> splat"),
}

#: Rules every spec goes through: one of them stale stops the fast parser for all.
_EVERYWHERE = {"start", "_item", "body", "_sep", "_stmt", "fbody", "_fstmt", "args"}


def grammar_rules(grammar: str) -> dict[str, set[str]]:
    """Each rule's header (`?atom`) and its alternatives, spaces collapsed."""
    rules: dict[str, list[str]] = {}
    current = None
    for line in grammar.splitlines():
        line = _uncommented(line)
        header = re.match(r"(\??[a-z_][a-z_0-9]*)(\.\d+)?\s*:(.*)", line)
        if header:
            current = header.group(1)
            rules[current] = [header.group(3)]
        elif current and line[:1].isspace() and line.strip():
            rules[current].append(line)
        elif line.strip():
            current = None  # a terminal or a directive
    return {name: set(_alternatives(" ".join(text))) for name, text in rules.items()}


def _uncommented(line: str) -> str:
    """The line without a `//` comment (not one inside a string)."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"' and line[i - 1 : i] != "\\":
            quoted = not quoted
        elif line.startswith("//", i) and not quoted:
            return line[:i]
    return line


def _alternatives(text: str) -> list[str]:
    """Split at `|` outside strings and brackets."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"' and text[i - 1 : i] != "\\":
            quoted = not quoted
        elif quoted:
            continue
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [" ".join(part.split()) for part in parts]


def stale_rules(grammar: str) -> list[str]:
    """The followed rules whose followed alternatives the grammar no longer has."""
    rules = grammar_rules(grammar)
    return [
        name
        for name, alternatives in FOLLOWED.items()
        if not set(alternatives) <= rules.get(name, set())
    ]


def lowered_rules(grammar: str) -> frozenset[str]:
    """The rule names the fast parser may lower now: every followed rule's name and
    aliases, less those whose alternatives changed; nothing at all where what
    changed is a pass-through (`"(" expr ")"`, `?arith: term`) or a rule inlined
    into others (`_stmt`), which the fast parser has no name to give up on."""
    rules = grammar_rules(grammar)
    names = set()
    for name, alternatives in FOLLOWED.items():
        present = rules.get(name, set())
        rule = name.lstrip("?")
        for alternative in alternatives:
            alias = alternative.rsplit("-> ", 1)[1] if "-> " in alternative else None
            if alternative in present:
                names.add(alias or rule)
            elif alias is None and (name.startswith(("?", "_")) or name == "start"):
                return frozenset()
            elif alias is None:
                names.discard(rule)
                break
    return frozenset(names)
