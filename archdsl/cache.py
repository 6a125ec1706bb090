"""The user's own cache directory for archdsl (never a shared temp directory)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path | None:
    """`$XDG_CACHE_HOME/archdsl/...` (or `~/.cache/...`), created private to the
    user; None when it cannot be created, and then callers just skip caching."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    folder = Path(root, "archdsl", *parts)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder
