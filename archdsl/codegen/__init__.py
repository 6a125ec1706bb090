"""IR (checked) -> one standalone, readable Python module."""

from .module import generate_module

__all__ = ["generate_module"]
