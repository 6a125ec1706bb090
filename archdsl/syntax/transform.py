"""lower.py's methods run over lark's parse tree (the tree path, and an
f-string's fields), apart from lower.py so that the fast path, which calls the
same methods directly, does not import lark."""

from __future__ import annotations

from typing import Any

from lark import Transformer, Tree


class _Rules(Transformer):
    """lark's Transformer calling each rule's method of `lowerer` as (meta,
    children), as it calls `v_args(meta=True)` methods; a rule without one stays
    a Tree, as it does in lark. What a method raises comes out unwrapped (lark
    wraps it in a VisitError only around methods of the Transformer itself)."""

    def __init__(self, lowerer: Any) -> None:
        super().__init__(visit_tokens=False)  # no method is named after a terminal
        self._lowerer = lowerer  # (a rule of the grammar is never named `_...`)

    def __default__(self, data: str, children: list, meta: Any) -> Any:
        method = None if data.startswith("_") else getattr(self._lowerer, data, None)
        if method is None:
            return Tree(data, children, meta)
        return method(meta, children)


def transform(lowerer: Any, tree: Tree) -> Any:
    """`tree` lowered by `lowerer`'s methods, bottom up."""
    return _Rules(lowerer).transform(tree)
