"""Group and Pool: membership, join/kill, the size limit, mapping, and the slot accounting."""

import heapq
import queue
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopconc
from coopconc.exceptions import LoopExit
from coopconc.hub import Waiter, get_hub
from coopconc.pool import Group, IMap, IMapUnordered, Pool, PoolFull


def free_slots(pool: Pool) -> int:
    """How many greenlets a bounded pool admits now without waiting -- measured by adding
    never-started greenlets until it refuses one, then discarding them."""
    probes = []
    while True:
        probe = coopconc.Greenlet(print)
        try:
            pool.add(probe, blocking=False)
        except PoolFull:
            break
        probes.append(probe)
    for probe in probes:
        pool.discard(probe)
    return len(probes)


def waiting(pool: Pool) -> int:
    """How many greenlets wait for a slot, as the pool's repr says."""
    return int(re.search(r"waiting=(\d+)", repr(pool)).group(1))


# ---------------------------------------------------------------------------------------------
# Construction and bad arguments


@pytest.mark.parametrize("size", [0, -1, -5])
def test_pool_size_must_be_positive(size):
    with pytest.raises(ValueError, match=rf"Pool\(size={size}\): size must be None"):
        Pool(size)


@pytest.mark.parametrize("size", [1.5, "3", True])
def test_pool_size_must_be_an_int(size):
    with pytest.raises(TypeError, match="size must be an int or None"):
        Pool(size)


def test_group_takes_at_most_one_iterable():
    with pytest.raises(TypeError, match="at most one iterable"):
        Group([], [])


def test_add_refuses_what_is_not_a_greenlet():
    with pytest.raises(TypeError, match=r"Group.add\(greenlet=42\): expected a greenlet"):
        Group().add(42)
    with pytest.raises(TypeError, match="Pool.add"):
        Pool(2).add(print)


def test_mapping_methods_refuse_a_function_that_is_not_callable():
    pool = Pool(2)
    for method in (pool.map, pool.map_async):
        with pytest.raises(TypeError, match="func must be callable"):
            method(3, [1])
    for method in (pool.imap, pool.imap_unordered):
        with pytest.raises(TypeError, match="func must be callable"):
            method(None, [1])
    with pytest.raises(TypeError, match=r"Pool.apply\(func=1\)"):
        pool.apply(1)
    with pytest.raises(TypeError, match="apply_async"):
        pool.apply_async("x")


def test_imap_needs_an_iterable_and_a_sane_maxsize():
    with pytest.raises(TypeError, match="at least one iterable"):
        Group().imap(abs)
    with pytest.raises(ValueError, match=r"imap_unordered\(maxsize=-1\)"):
        Group().imap_unordered(abs, [1], maxsize=-1)
    with pytest.raises(ValueError, match="maxsize"):
        Group().imap(abs, [1], maxsize=2.5)


def test_pool_full_is_a_queue_full():
    assert issubclass(PoolFull, queue.Full)


# ---------------------------------------------------------------------------------------------
# Group: membership


def test_members_are_tracked_until_they_finish():
    group = Group()
    assert len(group) == 0 and not group
    g = group.spawn(coopconc.sleep, 0)
    assert isinstance(g, coopconc.Greenlet)
    assert g in group and len(group) == 1 and list(group) == [g] and group
    g.join()
    coopconc.sleep(0)  # the link that removes it runs in the hub, right after it dies
    assert g not in group and len(group) == 0


def test_add_and_start_and_discard():
    group = Group()
    g = coopconc.Greenlet(coopconc.sleep, 0)
    group.add(g)
    assert g in group and not g.started
    group.discard(g)
    assert g not in group
    group.start(g)
    assert g in group and g.started
    group.join()
    assert not group


def test_discard_keeps_the_greenlet_running_but_untracked():
    group = Group()
    g = group.spawn(coopconc.sleep, 0.01)
    group.discard(g)
    assert group.join(timeout=0) is True  # empty at once
    g.join()
    assert g.dead


def test_group_made_from_greenlets_tracks_them():
    with coopconc.virtual_clock():
        gs = [coopconc.spawn(coopconc.sleep, s) for s in (1, 2)]
        group = Group(gs)
        assert len(group) == 2
        assert group.join() is True  # (gevent's Group(list).join() returns at once: fixed here)
        assert coopconc.now() == 2.0


def test_group_repr_shows_how_many_run():
    group = Group()
    group.spawn(coopconc.sleep, 0)
    assert repr(group) == "<Group running=1>"


def test_raw_greenlet_can_be_added_and_discarded():
    group = Group()
    main = coopconc.getcurrent()
    group.add(main)
    assert main in group
    group.discard(main)
    assert main not in group


# ---------------------------------------------------------------------------------------------
# Group: join and kill


def test_join_returns_false_when_the_timeout_expires():
    with coopconc.virtual_clock():
        group = Group()
        group.spawn(coopconc.sleep, 5)
        assert group.join(timeout=1) is False
        assert coopconc.now() == 1.0
        assert group.join() is True
        assert coopconc.now() == 5.0


def test_join_on_an_empty_group_returns_true_at_once():
    assert Group().join() is True
    assert Group().join(timeout=0.5) is True


def test_join_raise_error_reraises_a_member_exception(capsys):
    group = Group()

    def boom():
        raise KeyError("boom")

    group.spawn(boom)
    group.spawn(coopconc.sleep, 0)
    with pytest.raises(KeyError, match="boom"):
        group.join(raise_error=True)
    assert "KeyError" in capsys.readouterr().err  # the greenlet's own report


def test_join_without_raise_error_ignores_failures(capsys):
    group = Group()
    group.spawn(lambda: 1 / 0)
    assert group.join() is True
    capsys.readouterr()


def test_several_joiners_all_wake():
    group = Group()
    group.spawn(coopconc.sleep, 0.001)
    woke = []
    joiners = [coopconc.spawn(lambda i=i: woke.append((i, group.join()))) for i in range(3)]
    coopconc.joinall(joiners)
    assert woke == [(0, True), (1, True), (2, True)]


def test_kill_kills_every_member_and_waits():
    group = Group()
    gs = [group.spawn(coopconc.sleep, 10) for _ in range(3)]
    coopconc.sleep(0)
    group.kill()
    assert len(group) == 0
    assert all(g.dead and isinstance(g.value, coopconc.GreenletExit) for g in gs)


def test_kill_members_that_never_started():
    group = Group()
    gs = [group.spawn(print, "never") for _ in range(3)]
    group.kill()
    assert all(g.dead for g in gs) and not group


def test_kill_without_blocking_returns_at_once():
    group = Group()
    g = group.spawn(coopconc.sleep, 10)
    coopconc.sleep(0)
    group.kill(block=False)
    assert not g.dead and g in group.dying
    group.join()
    assert g.dead and not group.dying


def test_kill_with_a_custom_exception():
    class Stop(Exception):
        pass

    group = Group()
    g = group.spawn(coopconc.sleep, 10)
    coopconc.sleep(0)
    get_hub().exception_stream = _Sink()
    group.kill(Stop)
    assert isinstance(g.exception, Stop)


class _Sink:
    def write(self, text):
        pass


def test_kill_timeout_gives_up_on_a_greenlet_that_will_not_die():
    def stubborn():
        while True:
            try:
                coopconc.sleep(10)
            except coopconc.GreenletExit:
                pass

    with coopconc.virtual_clock():
        group = Group()
        g = group.spawn(stubborn)
        coopconc.sleep(0)
        group.kill(timeout=1)
        assert coopconc.now() == 1.0 and not g.dead and g in group
        get_hub().exception_stream = _Sink()
        g.kill(ValueError)  # (a way out that stubborn does not swallow)
        assert isinstance(g.exception, ValueError)


def test_killone_kills_only_members():
    group = Group()
    member = group.spawn(coopconc.sleep, 10)
    outsider = coopconc.spawn(coopconc.sleep, 10)
    coopconc.sleep(0)
    group.killone(outsider)
    assert not outsider.dead
    group.killone(member)
    assert member.dead and member not in group
    outsider.kill()


def test_group_is_never_full():
    group = Group()
    for _ in range(100):
        group.spawn(coopconc.sleep, 0)
    assert group.full() is False
    assert group.wait_available() is None
    group.join()


# ---------------------------------------------------------------------------------------------
# Pool: the limit


def test_pool_spawn_waits_while_full():
    with coopconc.virtual_clock():
        pool = Pool(2)
        starts = []

        def job(n):
            starts.append((n, coopconc.now()))
            coopconc.sleep(1)

        for n in range(5):
            pool.spawn(job, n)
        pool.join()
        assert starts == [(0, 0.0), (1, 0.0), (2, 1.0), (3, 1.0), (4, 2.0)]
        assert coopconc.now() == 3.0


def test_free_count_and_full():
    pool = Pool(3)
    assert pool.free_count() == 3 and not pool.full()
    gs = [pool.spawn(coopconc.sleep, 0.001) for _ in range(3)]
    assert pool.free_count() == 0 and pool.full()
    assert repr(pool) == "<Pool size=3/3 waiting=0>"
    coopconc.joinall(gs)
    coopconc.sleep(0)
    assert pool.free_count() == 3


def test_unbounded_pool():
    pool = Pool()
    gs = [pool.spawn(coopconc.sleep, 0) for _ in range(50)]
    assert pool.free_count() == 1 and not pool.full()  # as gevent: 1 means "room"
    assert pool.wait_available() == 1
    assert repr(pool) == "<Pool size=unbounded waiting=0>"
    coopconc.joinall(gs)


def test_add_without_blocking_raises_pool_full():
    pool = Pool(1)
    pool.spawn(coopconc.sleep, 0.01)
    with pytest.raises(PoolFull, match="full"):
        pool.add(coopconc.Greenlet(print), blocking=False)
    pool.join()
    pool.add(coopconc.Greenlet(print), blocking=False)
    assert len(pool) == 1


def test_add_with_timeout_raises_pool_full_and_keeps_no_slot():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 5)
        with pytest.raises(PoolFull, match="within 1 seconds"):
            pool.add(coopconc.Greenlet(print), timeout=1)
        assert coopconc.now() == 1.0
        assert waiting(pool) == 0
        pool.join()
        assert pool.free_count() == 1 and free_slots(pool) == 1


def test_adding_a_member_twice_takes_one_slot():
    pool = Pool(2)
    g = coopconc.Greenlet(coopconc.sleep, 0)
    pool.add(g)
    pool.add(g)
    assert pool.free_count() == 1 and free_slots(pool) == 1
    g.start()
    pool.join()
    assert free_slots(pool) == 2


def test_discard_gives_the_slot_back_once():
    pool = Pool(1)
    g = pool.spawn(coopconc.sleep, 0.001)
    pool.discard(g)
    assert pool.free_count() == 1
    pool.discard(g)  # not a member any more: no second slot (gevent would over-release)
    assert free_slots(pool) == 1
    g.join()


def test_wait_available_waits_for_a_slot_without_taking_it():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 2)
        assert pool.wait_available(timeout=1) == 0
        assert coopconc.now() == 1.0
        assert pool.wait_available() == 1
        assert coopconc.now() == 2.0
        assert pool.free_count() == 1


def test_waiters_get_slots_in_the_order_they_asked():
    with coopconc.virtual_clock():
        pool = Pool(1)
        order = []

        def producer(name):
            pool.spawn(coopconc.sleep, 1)
            order.append((name, coopconc.now()))

        coopconc.joinall([coopconc.spawn(producer, c) for c in "abcd"])
        assert order == [("a", 0.0), ("b", 1.0), ("c", 2.0), ("d", 3.0)]
        assert repr(pool) == "<Pool size=1/1 waiting=0>"


def test_a_killed_waiter_does_not_leak_a_slot():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 1)
        waiter = coopconc.spawn(pool.spawn, print, "never")
        coopconc.sleep(0)
        assert waiting(pool) == 1
        assert "blocked on Semaphore.acquire" in repr(waiter)
        waiter.kill()
        assert waiting(pool) == 0
        pool.join()
        assert pool.free_count() == 1 and free_slots(pool) == 1
        pool.spawn(coopconc.sleep, 0)
        assert pool.full()
        pool.join()


def test_a_waiter_killed_as_its_slot_frees_does_not_leak_it():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 1)
        waiter = coopconc.spawn(pool.spawn, coopconc.sleep, 1)
        killer = coopconc.spawn_later(1, waiter.kill)
        coopconc.joinall([waiter, killer])
        pool.join()
        assert free_slots(pool) == 1 and pool.free_count() == 1


def test_a_waiter_timing_out_does_not_leak_a_slot():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 2)

        def impatient():
            with coopconc.Timeout(1, False):
                pool.spawn(print, "never")

        coopconc.spawn(impatient).join()
        assert coopconc.now() == 1.0 and waiting(pool) == 0
        pool.join()
        assert free_slots(pool) == 1


def test_deadlock_report_names_the_pools_semaphore_and_the_line():
    pool = Pool(1)
    waiter = Waiter()
    pool.spawn(waiter.get, "forever")
    with pytest.raises(LoopExit) as report:
        pool.spawn(print, "never")
    assert "main greenlet waits in Semaphore.acquire on <Semaphore counter=0" in str(report.value)
    assert f"test_pool.py:{report.tb.tb_lineno} in " in str(report.value)


# ---------------------------------------------------------------------------------------------
# Mapping


def _sleepy(seconds):
    coopconc.sleep(seconds)
    return seconds


def test_map_keeps_input_order():
    with coopconc.virtual_clock():
        assert Pool(2).map(_sleepy, [3, 1, 2]) == [3, 1, 2]
        assert coopconc.now() == 3.0  # 3 and 1 at once; 2 starts at 1, ends at 3


def test_map_of_nothing():
    assert Group().map(abs, []) == []


def test_imap_keeps_input_order_and_imap_unordered_completion_order():
    with coopconc.virtual_clock():
        imap = Group().imap(_sleepy, [3, 1, 2])
        assert isinstance(imap, IMap)
        assert list(imap) == [3, 1, 2]
        unordered = Group().imap_unordered(_sleepy, [3, 1, 2])
        assert isinstance(unordered, IMapUnordered)
        assert list(unordered) == [1, 2, 3]
        assert iter(unordered) is unordered


def test_imap_over_several_iterables():
    assert list(Pool(2).imap(pow, [2, 3, 4], [2, 2, 2])) == [4, 9, 16]
    assert sorted(Pool(2).imap_unordered(pow, [2, 3], [3, 3])) == [8, 27]


def test_imap_with_maxsize_holds_back_new_tasks():
    with coopconc.virtual_clock():
        started = []

        def job(n):
            started.append(n)
            return n

        results = Group().imap_unordered(job, range(10), maxsize=2)
        coopconc.sleep(1)  # the reader is not reading: at most 2 results pile up
        assert started == [0, 1]
        assert list(results) == list(range(10))


def test_imap_reraises_a_task_failure(capsys):
    def fails(x):
        if x == 1:
            raise ValueError(x)
        return x

    it = Pool(2).imap(fails, range(3))
    assert next(it) == 0
    with pytest.raises(ValueError):
        next(it)
    capsys.readouterr()


def test_imap_reraises_a_failure_of_the_input_iterable(capsys):
    def inputs():
        yield 1
        raise OSError("input broke")

    it = Group().imap_unordered(abs, inputs())
    with pytest.raises(OSError, match="input broke"):
        list(it)
    capsys.readouterr()


def test_map_async_and_its_callback():
    got = []
    g = Pool(2).map_async(abs, [-1, -2, -3], callback=got.append)
    assert g.get() == [1, 2, 3]
    assert got == [[1, 2, 3]]


def test_apply_apply_cb_and_apply_async():
    pool = Pool(2)
    assert pool.apply(max, (3, 9)) == 9
    assert pool.apply(dict, kwds={"a": 1}) == {"a": 1}
    got = []
    assert pool.apply_cb(sum, ([1, 2],), callback=got.append) == 3
    g = pool.apply_async(min, (4, 2), callback=got.append)
    assert g in pool and g.get() == 2
    coopconc.sleep(0)
    coopconc.sleep(0)
    assert got == [3, 2]


def test_apply_async_on_a_full_pool_does_not_wait():
    with coopconc.virtual_clock():
        pool = Pool(1)
        pool.spawn(coopconc.sleep, 1)
        g = pool.apply_async(_sleepy, (2,))
        assert coopconc.now() == 0.0 and g not in pool
        assert g.get() == 2
        assert coopconc.now() == 3.0


def test_apply_from_inside_a_member_runs_in_place():
    pool = Pool(1)

    def outer():
        return pool.apply(abs, (-5,)) + 1  # waiting for a slot here would wait forever

    assert pool.spawn(outer).get() == 6


def test_apply_reraises():
    with pytest.raises(ZeroDivisionError):
        Group().apply(lambda: 1 / 0)


# ---------------------------------------------------------------------------------------------
# Property tests: the Pool against a reference model, under the virtual clock


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(min_value=1, max_value=4),
    durations=st.lists(st.integers(min_value=0, max_value=4), max_size=12),
)
def test_start_times_match_a_first_come_first_served_model(size, durations):
    """One producer spawns jobs in order; each starts as soon as a slot is free."""
    # The model: each slot is free from some time on; job i takes the earliest free slot,
    # but not before job i-1 started (the producer spawns them one after another).
    free_at = [0] * size
    expected = []
    previous = 0
    for d in durations:
        start = max(previous, heapq.heappop(free_at))
        heapq.heappush(free_at, start + d)
        expected.append(start)
        previous = start

    _fresh_hub()
    with coopconc.virtual_clock():
        pool = Pool(size)
        got = []

        def job(d):
            got.append(coopconc.now())
            if d:
                coopconc.sleep(d)

        for d in durations:
            pool.spawn(job, d)
        pool.join()
        assert got == expected
        assert pool.free_count() == size and free_slots(pool) == size


operations = st.lists(
    st.one_of(
        st.tuples(st.just("spawn"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("spawn_timeout"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("spawn_nowait"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("sleep"), st.integers(min_value=0, max_value=3)),
        st.tuples(st.just("kill"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("producer"), st.integers(min_value=0, max_value=5)),
        st.tuples(st.just("kill_producer"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(min_value=1, max_value=4), ops=operations)
def test_random_spawn_kill_sleep_keeps_the_pool_consistent(size, ops):
    _fresh_hub()
    with coopconc.virtual_clock():
        pool = Pool(size)
        running = set()
        peak = [0]
        outcome = {}  # job id -> "finished" or "killed"
        jobs = []
        producers = []

        def job(ident, d):
            running.add(ident)
            peak[0] = max(peak[0], len(running))
            assert len(running) <= size
            try:
                coopconc.sleep(d)
                outcome[ident] = "finished"
            except coopconc.GreenletExit:
                outcome[ident] = "killed"
                raise
            finally:
                running.discard(ident)

        def check():
            assert pool.free_count() == size - len(pool) >= 0
            assert len(running) <= len(pool) <= size

        def spawn(d, **kw):
            ident = len(jobs)
            g = coopconc.Greenlet(job, ident, d)
            jobs.append(g)
            pool.start(g, **kw)  # may wait, raise PoolFull, or be killed while waiting
            added.add(ident)

        added = set()
        for op, arg in ops:
            if op == "spawn":
                spawn(arg)
            elif op == "spawn_timeout":
                try:
                    spawn(arg, timeout=1)
                except PoolFull:
                    pass
            elif op == "spawn_nowait":
                try:
                    spawn(arg, blocking=False)
                except PoolFull:
                    pass
            elif op == "sleep":
                coopconc.sleep(arg)
            elif op == "kill" and jobs:
                jobs[arg % len(jobs)].kill()
            elif op == "producer":
                producers.append(coopconc.spawn(spawn, arg))
            elif op == "kill_producer" and producers:
                producers[arg % len(producers)].kill()
            check()

        coopconc.joinall(producers)
        pool.join()
        check()
        assert peak[0] <= size
        assert len(pool) == 0 and free_slots(pool) == size and waiting(pool) == 0
        # Every job that got into the pool either finished or was killed (before or after
        # it started); a job that never got in never ran.
        for ident, g in enumerate(jobs):
            if ident in added:
                assert g.dead
                killed_before_start = isinstance(g.value, coopconc.GreenletExit)
                assert outcome.get(ident) in ("finished", "killed") or killed_before_start
            else:
                assert ident not in outcome


def _fresh_hub():
    """Each hypothesis example gets a hub of its own (the fixture runs once per test)."""
    from coopconc.hub import get_hub_if_exists

    hub = get_hub_if_exists()
    if hub is not None:
        hub.destroy()


def test_spawn_goes_through_an_overridden_add_and_uses_greenlet_class():
    added = []

    class Named(coopconc.Greenlet):
        pass

    class CountingPool(Pool):
        def add(self, greenlet, blocking=True, timeout=None):
            added.append(greenlet)
            Pool.add(self, greenlet, blocking, timeout)

    pool = CountingPool(2, greenlet_class=Named)
    g = pool.spawn(abs, -1)
    assert added == [g] and isinstance(g, Named) and g.get() == 1
    plain = Pool(2, greenlet_class=Named)
    assert isinstance(plain.spawn(abs, 1), Named)
    plain.join()
