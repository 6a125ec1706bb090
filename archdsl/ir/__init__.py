"""The archdsl IR: what the parser lowers to and every later stage reads."""

from .nodes import *  # noqa: F403 - the node types are the package
from .nodes import EXPR_KINDS, Node, Program
from .walk import walk_expr

__all__ = ["EXPR_KINDS", "Node", "Program", "walk_expr"]
