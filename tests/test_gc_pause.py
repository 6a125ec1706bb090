"""The collector pause around compiler stages, held to CPython's own collector."""

import gc
import weakref

from archdsl.gc_pause import no_gc_pauses


def test_objects_made_in_a_pause_start_in_the_oldest_generation():
    with no_gc_pauses():
        made = [[] for _ in range(1000)]
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not young & {id(o) for o in made}
    assert any(o is made[0] for o in gc.get_objects(generation=2))


def test_the_collector_runs_again_after_a_pause():
    assert gc.isenabled()
    with no_gc_pauses():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_collector_off():
    with no_gc_pauses():
        with no_gc_pauses():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_host_freeze_is_kept():
    kept = [[]]  # tracked by the collector, frozen below with the rest of the heap
    gc.freeze()
    try:
        with no_gc_pauses():
            pass
        # frozen objects are in no generation (the count itself drops as other
        # frozen objects are freed, so it is no measure)
        assert gc.get_freeze_count() > 0
        assert all(o is not kept for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())


def test_cyclic_garbage_made_in_a_pause_is_still_collected():
    class Cycle:
        pass

    with no_gc_pauses():
        first = Cycle()
        first.other = Cycle()
        first.other.other = first
        alive = weakref.ref(first)
        del first
    assert alive() is not None  # a cycle: reference counting cannot free it
    gc.collect()
    assert alive() is None
