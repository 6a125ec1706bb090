"""Pausing the cyclic garbage collector while a compiler stage builds objects."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def no_gc_pauses():
    """Compiling makes many small objects and frees few; the cyclic collector would
    rescan them again and again (a third of the time of a 10,000-layer spec).
    Reference counting still frees everything; the collector resumes after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
