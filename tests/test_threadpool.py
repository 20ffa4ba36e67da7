"""Tests for coopconc.threadpool: blocking calls in real OS threads, results in the hub."""

import io
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopconc
from coopconc.hub import get_hub
from coopconc.threadpool import ThreadPool, get_threadpool


def test_greenlets_keep_running_while_a_thread_blocks():
    pool = ThreadPool(2)
    ticks = []

    def ticker():
        while True:
            ticks.append(1)
            coopconc.sleep(0.01)

    g = coopconc.spawn(ticker)
    result = pool.spawn(time.sleep, 0.3)
    assert result.get() is None
    g.kill()
    # a blocking time.sleep in the main thread would have allowed exactly one tick
    assert len(ticks) >= 5


def test_value_and_exception_are_handed_back():
    get_hub().exception_stream = io.StringIO()
    pool = ThreadPool(2)
    ok = pool.spawn(lambda a, b=0: a + b, 2, b=3)
    bad = pool.spawn(lambda: 1 / 0)
    assert ok.get() == 5
    assert ok.successful() and ok.value == 5
    with pytest.raises(ZeroDivisionError):
        bad.get()
    assert bad.ready() and not bad.successful()
    assert isinstance(bad.exception, ZeroDivisionError)
    # like gevent, the failure is also printed, naming the pool and the function
    assert "ZeroDivisionError" in get_hub().exception_stream.getvalue()


def test_waiting_main_greenlet_does_not_get_loop_exit():
    # nothing but the job exists: the job's reference keeps the hub's loop alive
    pool = ThreadPool(1)
    assert pool.apply(time.sleep, (0.05,)) is None
    assert pool.apply(max, (3, 7)) == 7


def test_threads_start_on_demand_up_to_maxsize():
    pool = ThreadPool(3)
    assert pool.size == 0
    release = threading.Event()
    results = [pool.spawn(release.wait) for _ in range(3)]
    assert pool.size == 3
    assert len(pool) == 3
    release.set()
    assert [r.get() for r in results] == [True, True, True]
    pool.join()
    assert len(pool) == 0
    pool.kill()
    assert pool.size == 0


def test_spawn_waits_when_the_pool_is_full():
    pool = ThreadPool(1)  # like gevent: maxsize + 1 jobs may be outstanding
    release = threading.Event()
    first = pool.spawn(release.wait)
    second = pool.spawn(release.wait)
    assert pool.full()
    order = []

    def third():
        order.append("third waits")
        pool.spawn(lambda: None).get()
        order.append("third ran")

    g = coopconc.spawn(third)
    coopconc.sleep(0.05)
    assert order == ["third waits"]
    assert "spawners_waiting=1" in repr(pool)
    release.set()
    g.join()
    assert order == ["third waits", "third ran"]
    assert first.get() and second.get()


def test_killed_spawner_passes_its_wake_up_on():
    pool = ThreadPool(0)  # one job may be outstanding, and nothing ever runs it
    pool.spawn(lambda: None)  # it stays queued forever
    waiting = [coopconc.spawn(pool.spawn, lambda: None) for _ in range(2)]
    coopconc.sleep(0)
    assert len(pool._slot_waiters) == 2
    waiting[0].kill()
    assert len(pool._slot_waiters) == 1
    waiting[1].kill()


def test_get_with_timeout_raises_timeout():
    pool = ThreadPool(1)
    release = threading.Event()
    result = pool.spawn(release.wait)
    with pytest.raises(coopconc.Timeout):
        result.get(timeout=0.01)
    with pytest.raises(coopconc.Timeout):
        result.get(block=False)
    release.set()
    assert result.get() is True


def test_map_and_imap_keep_order():
    pool = ThreadPool(4)

    def slow_square(x):
        time.sleep(0.001 * (5 - x % 5))  # later items finish first
        return x * x

    assert pool.map(slow_square, range(12)) == [x * x for x in range(12)]
    assert list(pool.imap(pow, [2, 3], [3, 2])) == [8, 9]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(), max_size=30), st.integers(min_value=1, max_value=4))
def test_map_matches_builtin_map(items, maxsize):
    pool = ThreadPool(maxsize)
    assert pool.map(abs, items) == list(map(abs, items))
    pool.kill()


def test_apply_from_a_worker_thread_runs_inline():
    pool = ThreadPool(1)

    def outer():
        # waiting on the hub's result from inside a worker would deadlock the single thread
        return pool.apply(threading.get_ident)

    inner_ident = pool.apply(outer)
    assert inner_ident != threading.get_ident()


def test_spawn_from_another_thread_is_refused():
    pool = ThreadPool(1)
    errors = []

    def other_thread():
        try:
            pool.spawn(lambda: None)
        except RuntimeError as exc:
            errors.append(str(exc))

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert errors and "another OS thread" in errors[0]


def test_apply_async_callback_runs_in_the_hub():
    pool = ThreadPool(1)
    seen = []
    result = pool.apply_async(max, (1, 9), callback=seen.append)
    assert result.get() == 9
    coopconc.sleep(0)
    assert seen == [9]


def test_get_threadpool_is_one_per_hub():
    pool = get_threadpool()
    assert pool is get_threadpool()
    assert pool.maxsize == 10
    assert pool.hub is get_hub()


def test_bad_maxsize_is_explained():
    with pytest.raises(ValueError, match=r"ThreadPool\(maxsize=-1\): maxsize must be an int"):
        ThreadPool(-1)


def test_repr_shows_state():
    pool = ThreadPool(2)
    assert repr(pool) == "<ThreadPool size=0/2 jobs=0 spawners_waiting=0>"


def test_get_with_a_huge_timeout_waits_for_the_job():
    result = get_threadpool().spawn(time.sleep, 0.1)
    assert result.get(timeout=1e7) is None  # the hub's wait is sliced: no OverflowError


def test_destroying_the_hub_ends_its_pools_threads():
    import os

    def threads():
        return len(os.listdir("/proc/self/task"))

    before = threads()
    pool = get_hub().threadpool
    results = [pool.spawn(time.sleep, 0.01) for _ in range(3)]
    for result in results:
        result.get(timeout=10)
    assert threads() > before
    get_hub().destroy()
    deadline = time.monotonic() + 10
    while threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threads() <= before  # (<=: a thread of an earlier test may have ended meanwhile)
