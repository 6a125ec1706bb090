"""Bounds on the work a call does, for tests that must show a hostile input is
refused before the work it asks for: Python function calls counted, not seconds
on a clock (a busy machine must not fail a run)."""

from __future__ import annotations

import contextlib
import sys
import tracemalloc
from collections.abc import Iterator


class TooMuchWork(AssertionError):
    """More calls than the bound: raised inside the call, so an exponential path
    stops at the bound instead of running to its end."""


@contextlib.contextmanager
def calls_at_most(limit: int) -> Iterator[list[int]]:
    """Fail when the body makes more than `limit` function calls (Python and C);
    yields a one-item list holding the count so far. The body is stopped at the
    bound, and fails after it too: code under test that catches broadly may
    swallow the stop, and would then run on uncounted."""
    count = [0]

    def profile(frame, event, arg):
        if event in ("call", "c_call"):
            count[0] += 1
            if count[0] > limit:
                sys.setprofile(None)
                raise TooMuchWork(f"more than {limit:,} calls")

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield count
    finally:
        sys.setprofile(previous)
    if count[0] > limit:
        raise TooMuchWork(f"more than {limit:,} calls")


@contextlib.contextmanager
def allocates_at_most(megabytes: float) -> Iterator[None]:
    """Fail when the body's memory peaks above `megabytes` (tracemalloc): work
    done by one operation, such as `[0] * 10**9`, makes no calls to count."""
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= megabytes * 1e6, f"allocated {peak / 1e6:.0f} MB at its peak"
