"""archdsl: describe neural-network architectures in `.arch` files, get PyTorch."""

from __future__ import annotations

__version__ = "0.1.0"
