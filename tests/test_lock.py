"""Locks and semaphores (coopconc/lock.py): permits, order, timeouts, no leaks, property test."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coopconc
from coopconc.exceptions import LoopExit
from coopconc.lock import BoundedSemaphore, DummySemaphore, Lock, RLock, Semaphore


def test_bounded_semaphore_lets_two_in_at_a_time():
    sem = BoundedSemaphore(2)
    log = []

    def worker(n):
        with sem:
            log.append(f"acquired {n}")
            coopconc.sleep(0)
        log.append(f"released {n}")

    coopconc.joinall([coopconc.spawn(worker, i) for i in range(4)])
    # (the order gevent produces: released permits reach waiters on the hub's next turn)
    assert log == [
        "acquired 0",
        "acquired 1",
        "released 0",
        "released 1",
        "acquired 2",
        "acquired 3",
        "released 2",
        "released 3",
    ]
    assert sem.counter == 2


def test_waiters_get_permits_in_the_order_they_waited():
    sem = Semaphore(0)
    order = []
    gs = [coopconc.spawn(lambda i=i: (sem.acquire(), order.append(i))) for i in range(4)]
    coopconc.sleep(0)
    assert repr(sem) == "<Semaphore counter=0 waiters=4>"
    for _ in range(4):
        sem.release()
    coopconc.joinall(gs)
    assert order == [0, 1, 2, 3]
    assert sem.counter == 0


def test_release_wakes_only_as_many_as_there_are_permits():
    sem = Semaphore(0)
    got = []
    gs = [coopconc.spawn(lambda i=i: (sem.acquire(), got.append(i))) for i in range(3)]
    coopconc.sleep(0)
    sem.release()
    coopconc.sleep(0)
    coopconc.sleep(0)
    assert got == [0] and sem.linkcount() == 2
    coopconc.killall(gs)


def test_acquire_nonblocking_and_timeout():
    sem = Semaphore(1)
    assert sem.acquire() is True
    assert sem.locked() and not sem.ready()
    assert sem.acquire(blocking=False) is False
    with coopconc.virtual_clock():
        assert sem.acquire(timeout=0.5) is False
        assert coopconc.now() == 0.5
    assert sem.linkcount() == 0
    sem.release()
    assert sem.acquire(timeout=0.5) is True


def test_wait_does_not_take_the_permit():
    sem = Semaphore(0)
    with coopconc.virtual_clock():
        assert sem.wait(timeout=1) == 0
        coopconc.spawn_later(1, sem.release)
        assert sem.wait() == 1
    assert sem.counter == 1


def test_waiter_killed_while_waiting_does_not_leak_a_permit():
    sem = BoundedSemaphore(1)
    sem.acquire()
    victim = coopconc.spawn(sem.acquire)
    coopconc.sleep(0)
    victim.kill(block=False)
    sem.release()  # the permit must not go to the dying victim
    coopconc.sleep(0)
    coopconc.sleep(0)
    assert victim.dead and sem.counter == 1 and sem.linkcount() == 0
    assert sem.acquire(blocking=False) is True


def test_waiter_timing_out_does_not_leak_a_permit():
    sem = Semaphore(0)
    with coopconc.virtual_clock():
        g = coopconc.spawn(sem.acquire, timeout=1)
        coopconc.spawn_later(1, sem.release)  # the permit arrives as the timeout fires
        g.join()
        coopconc.sleep(0)
    assert (g.value, sem.counter) in ((True, 0), (False, 1))


def test_over_release_is_refused():
    sem = BoundedSemaphore(2)
    with pytest.raises(ValueError, match=r"BoundedSemaphore.release\(\): released too many"):
        sem.release()
    plain = Semaphore(1)
    assert plain.release() == 2  # a plain Semaphore allows it (resources may be added)


def test_bad_arguments_name_the_call():
    with pytest.raises(ValueError, match=r"Semaphore\(value=-1\): value must be >= 0"):
        Semaphore(-1)
    with pytest.raises(ValueError, match=r"BoundedSemaphore\(value=-2\)"):
        BoundedSemaphore(-2)
    with pytest.raises(TypeError, match=r"Semaphore\(value='2'\)"):
        Semaphore("2")
    sem = Semaphore(0)
    with pytest.raises(TypeError, match=r"Semaphore.acquire\(timeout='1'\)"):
        sem.acquire(timeout="1")


def test_lock_is_a_semaphore_of_one():
    lock = Lock()
    assert repr(lock) == "<Lock unlocked waiters=0>"
    with lock:
        assert lock.locked()
        assert repr(lock) == "<Lock locked waiters=0>"
        assert lock.acquire(blocking=False) is False
    with pytest.raises(RuntimeError, match=r"Lock.release\(\)"):
        lock.release()


def test_rlock_reentrant_and_owned():
    lock = RLock()
    with lock:
        with lock:
            assert lock.locked()
            assert repr(lock) == "<RLock held by main x2 waiters=0>"
    assert not lock.locked()
    with pytest.raises(RuntimeError, match=r"RLock.release\(\): cannot release"):
        lock.release()
    lock.acquire()
    other = coopconc.spawn(lock.acquire, timeout=None, blocking=False)
    assert other.get() is False
    lock.release()
    assert coopconc.spawn(lock.acquire).get() is True


def test_dummy_semaphore_never_blocks():
    d = DummySemaphore(5)
    for _ in range(3):
        assert d.acquire() is True
    d.release()
    with d:
        pass
    assert not d.locked() and d.ready() and d.wait() == 1


def test_blocked_acquire_appears_in_the_deadlock_report():
    sem = BoundedSemaphore(1)
    sem.acquire()
    with pytest.raises(LoopExit, match=r"BoundedSemaphore.acquire on <BoundedSemaphore counter=0"):
        sem.acquire()


workers = st.lists(
    st.tuples(
        st.sampled_from(["spawn", "sleep", "kill"]),
        st.sampled_from([None, 0.25, 1.0]),  # acquire timeout (spawn) / seconds (sleep)
        st.sampled_from([0, 0.25, 0.5]),  # how long a worker holds its permit
        st.integers(0, 30),  # which worker to kill
    ),
    max_size=30,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(1, 3), ops=workers)
def test_semaphore_never_admits_too_many_and_leaks_nothing(size, ops):
    """Workers acquire (with timeouts), hold, release; some are killed anywhere. The model: a
    set of holders that never grows beyond ``size``; at the end every permit is back."""
    sem = BoundedSemaphore(size)
    holders: set = set()
    peak = [0]
    gs = []

    def worker(i, timeout, hold):
        if not sem.acquire(timeout=timeout):
            return "timed out"
        try:
            holders.add(i)
            peak[0] = max(peak[0], len(holders))
            assert sem.counter == size - len(holders)
            coopconc.sleep(hold)
        finally:
            holders.discard(i)
            sem.release()
        return "done"

    with coopconc.virtual_clock():
        for n, (op, seconds, hold, victim) in enumerate(ops):
            if op == "spawn":
                gs.append(coopconc.spawn(worker, n, seconds, hold))
            elif op == "sleep":
                coopconc.sleep(seconds or 0)
            elif gs:
                gs[victim % len(gs)].kill()
        coopconc.joinall(gs)
    assert peak[0] <= size
    assert not holders
    assert sem.counter == size and sem.linkcount() == 0
    for g in gs:
        assert g.successful()
