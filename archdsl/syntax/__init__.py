"""Parse `.arch` text and lower it to IR."""

from __future__ import annotations

from .. import ir
from ..source import Source
from .lower import lower
from .parser import parse_tree


def parse_source(source: Source) -> ir.Program:
    return lower(parse_tree(source), source)


__all__ = ["parse_source"]
