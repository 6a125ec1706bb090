"""The fast parser's scanner (a Lexicon: lark's terminals for the grammar) and
the rules it may follow (fastrules.lowered_rules), worked out when the grammar,
lark or the code deriving them changes, and otherwise read from a small cache
file beside lark's own parser cache.

Loading lark and its parser tables was most of a cold `archdsl check` of a small
spec (issue 15), and the fast path needs only the terminals' regexes and the
keyword sets derived from them. So they are written once, as plain data with
`marshal` (in the user's private cache directory, as lark's pickle is), keyed by
everything they are derived from: the grammar's text, the installed lark, and
the text of the modules that derive them (and this package's version, for an
application frozen without its source). A missing, stale, damaged or
unwritable cache only costs the time to work them out again.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from pathlib import Path
from typing import Any

from ..cache import cache_dir
from . import fastlex, fastrules
from .fastlex import Lexicon, token_regex
from .fastrules import lowered_rules

#: Bumped when the cache file's layout changes.
FORMAT = 2


def load(grammar: str, folder: Path | None = None) -> tuple[Lexicon, frozenset[str]]:
    """The Lexicon of `grammar`'s text and the rules the fast parser may follow
    in it: from the cache in `folder` (the user's cache directory by default)
    when made from the same grammar, lark and code; else worked out and cached."""
    folder = folder or cache_dir()
    key = _key(grammar)
    path = None if folder is None else folder / f"terminals-{_crc(grammar)}.marshal"
    if path is not None:
        try:
            stored_key, fields, rules = marshal.loads(path.read_bytes())
            if stored_key == key:
                return Lexicon(fields), frozenset(rules)
        except Exception:  # missing or damaged (any shape): worked out again
            pass
    fields, rules = derive(grammar), lowered_rules(grammar)
    if path is not None:
        _write(path, marshal.dumps((key, fields, rules)))
    return Lexicon(fields), rules


def derive(grammar: str) -> dict[str, Any]:
    """Lexicon's fields, read from lark's parser of `grammar`."""
    from lark.lexer import PatternStr

    from .parser import parser_of

    parser = parser_of(grammar)
    root = parser.parser.lexer.lexer.root_lexer  # (post-lexer connector).lexer
    scanner = root.scanner
    if len(scanner._mres) != 1:  # over 100 terminals: lark splits its regex
        raise ValueError("lark's terminals do not fit one regex")
    kinds = {
        t.name: t.pattern.value if isinstance(t.pattern, PatternStr) else t.name
        for t in scanner.terminals
    }
    # a name that is exactly a keyword is that keyword (lark's UnlessCallback)
    keywords = {}
    lark_type = {kind: name for name, kind in kinds.items()}
    unless = root.callback.get("NAME")
    for terminal in unless.scanner.terminals if unless else ():
        keywords[terminal.pattern.value] = terminal.pattern.value
        lark_type[terminal.pattern.value] = terminal.name
    # Where the parser cannot take a keyword, lark's contextual lexer reads it
    # as a name (`block = Sequential(...)`, `f(model=m)`): the keywords that
    # are names where an expression, a statement or a parameter starts
    starts = _first_terminals(parser)
    spelled = {name: kind for kind, name in lark_type.items()}

    def names_before(*rules: str) -> frozenset[str]:
        taken = {spelled.get(t) for rule in rules for t in starts.get(rule, ())}
        return frozenset(set(keywords) - taken)

    return {
        "pattern": token_regex(scanner._mres[0].pattern).pattern,
        "kinds": kinds,
        "ignore": frozenset(root.ignore_types),
        "lines": frozenset(root.newline_types),
        "keywords": keywords,
        "lark_type": lark_type,
        "names_in_expr": names_before("expr", "arg"),
        "names_in_body": names_before("_stmt", "body"),
        "names_in_fbody": names_before("_fstmt", "fbody"),
        "names_in_params": names_before("param", "params"),
    }


def _first_terminals(parser: Any) -> dict[str, set[str]]:
    """Each rule's FIRST set (the terminals it can start with), for the rules
    where the fast parser reads keywords as names, and everything they reach."""
    first: dict[str, set[str]] = {}
    empty: set[str] = set()
    changed = True
    while changed:
        changed = False
        for rule in parser.rules:
            origin = rule.origin.name
            known = first.setdefault(origin, set())
            size = len(known)
            for symbol in rule.expansion:
                if symbol.is_term:
                    known.add(symbol.name)
                    break
                known |= first.get(symbol.name, set())
                if symbol.name not in empty:
                    break
            else:
                if origin not in empty:
                    empty.add(origin)
                    changed = True
            changed |= len(known) != size
    return first


def _key(grammar: str) -> tuple:
    """Everything the cache is derived from, compared whole on loading: the code
    here, fastlex's (token_regex) and fastrules' (FOLLOWED), lark, the grammar."""
    from .. import __version__

    modules = (sys.modules[__name__], fastlex, fastrules)
    try:
        code = tuple(
            _crc(Path(module.__file__).read_text(encoding="utf-8"))
            for module in modules
        )
    except (OSError, TypeError):  # not files: a zip's loader still has the text
        code = tuple(_crc(_loader_source(module)) for module in modules)
    # the version too: a frozen application has no source (and a zip may lack it)
    return (FORMAT, __version__, Lexicon.FIELDS, code, _lark_stamp(), grammar)


def _loader_source(module: Any) -> str:
    """A module's source as its loader gives it ('' when it has none: frozen)."""
    try:
        return module.__loader__.get_source(module.__name__) or ""
    except (AttributeError, ImportError, OSError):
        return ""


def _lark_stamp() -> tuple:
    """Which lark is installed, found without importing it (which is what the
    cache saves): its package file, with the size and time an upgrade changes."""
    from importlib.util import find_spec

    spec = find_spec("lark")
    origin = spec.origin if spec is not None else None
    try:
        stat = os.stat(origin)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return (str(origin),)
    return (origin, stat.st_size, stat.st_mtime_ns)


def _crc(text: str) -> str:
    return f"{zlib.crc32(text.encode()):08x}"


def _write(path: Path, data: bytes) -> None:
    """Written whole or not at all (another process may be reading it); a cache
    that cannot be written is skipped."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
