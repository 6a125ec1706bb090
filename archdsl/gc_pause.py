"""Pausing the cyclic garbage collector while a compiler stage builds objects."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def no_gc_pauses():
    """Compiling makes many small objects and frees few; the cyclic collector would
    rescan them again and again (a third of the time of a 10,000-layer spec).
    Reference counting still frees everything; the collector resumes after, with
    what the stage made moved to the oldest generation unscanned: the young
    collections would otherwise scan each of those live objects twice (0.17 s of a
    10,000-layer compile). A process that froze objects itself keeps its freeze."""
    enabled = gc.isenabled()
    if enabled:  # the outermost pause
        # the host's young garbage first: what survives, and what the stage makes,
        # is all the freeze below moves (its own cycles would wait for a full
        # collection, which a long-running host such as the LSP may never reach)
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()  # every tracked object to the permanent generation...
                gc.unfreeze()  # ...and back, into the oldest one (both list splices)
            gc.enable()
