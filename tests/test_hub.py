"""Tests of coopconc.hub: the loop, the virtual clock, the waiting path, file descriptors,
threads, the deadlock report and Hub.destroy."""

import gc
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopconc
from coopconc.exceptions import BlockingSwitchOutError, ConcurrentObjectUseError, LoopExit
from coopconc.hub import (
    READ,
    WRITE,
    RealClock,
    VirtualClock,
    Waiter,
    get_hub,
    now,
    sleep,
    virtual_clock,
    wait_read,
    wait_readwrite,
    wait_write,
    where,
)

# ---------------------------------------------------------------------------------------------
# The virtual clock


def test_virtual_sleep_returns_at_once_with_the_time_moved():
    started = time.monotonic()
    with virtual_clock():
        sleep(3)
        assert now() == 3.0
        sleep(0.5)
        assert now() == 3.5
    assert time.monotonic() - started < 2  # generous: it took no real three seconds


def test_virtual_clock_can_start_anywhere():
    with virtual_clock(start=100) as clock:
        assert isinstance(clock, VirtualClock)
        sleep(1)
        assert now() == 101.0
        assert "101" in repr(clock)


def test_many_timers_fire_in_deadline_order_and_time_matches():
    seen = []

    def nap(seconds):
        sleep(seconds)
        seen.append((seconds, now()))

    delays = [5, 1, 4, 2, 3, 0.5, 2.5]
    with virtual_clock():
        coopconc.joinall([coopconc.spawn(nap, d) for d in delays])
    assert seen == [(d, float(d)) for d in sorted(delays)]


def test_nested_virtual_clocks_restore_the_outer_clock_and_then_real_time():
    hub = get_hub()
    assert isinstance(hub.clock, RealClock)
    with virtual_clock():
        sleep(2)
        with virtual_clock(start=50):
            sleep(1)
            assert now() == 51.0
        assert now() == 2.0  # the outer virtual clock is back, where it was
        sleep(1)
        assert now() == 3.0
    assert isinstance(hub.clock, RealClock)
    assert abs(now() - time.monotonic()) < 1


def test_pending_timers_keep_their_remaining_time_across_a_clock_change():
    woke = []

    def nap():
        sleep(10)
        woke.append(now())

    with virtual_clock():
        g = coopconc.spawn(nap)
        sleep(4)  # g has 6 virtual seconds left
        with virtual_clock(start=1000):
            g.join()
            assert woke == [1006.0]


def test_run_with_the_virtual_clock():
    def main(a, b=0):
        sleep(7)
        return a + b, now()

    assert coopconc.run(main, 1, b=2, clock="virtual") == (3, 7.0)
    assert isinstance(get_hub().clock, RealClock)
    assert coopconc.run(lambda: "plain") == "plain"


def test_run_rejects_an_unknown_clock():
    with pytest.raises(ValueError, match=r"run\(clock='fake'\): clock must be 'real' or 'virtual'"):
        coopconc.run(print, clock="fake")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=25))
def test_wake_order_matches_a_sorted_model(delays):
    """Greenlets sleeping random virtual times wake in (delay, spawn order) order."""
    woke = []

    def nap(i, d):
        sleep(d / 4)
        woke.append(i)

    with virtual_clock():
        coopconc.joinall([coopconc.spawn(nap, i, d) for i, d in enumerate(delays)])
        # the model: a stable sort by delay, where a zero sleep is just sleep(0)
        assert woke == sorted(range(len(delays)), key=lambda i: delays[i])
        assert now() == max(delays) / 4


# ---------------------------------------------------------------------------------------------
# The loop: callbacks, sleep(0), idle


def test_callbacks_run_first_in_first_out():
    hub = get_hub()
    seen = []
    for i in range(5):
        hub.run_callback(seen.append, i)
    sleep(0)
    assert seen == [0, 1, 2, 3, 4]


def test_an_error_in_a_callback_is_printed_and_the_loop_goes_on(capsys):
    hub = get_hub()
    seen = []
    hub.run_callback(lambda: 1 / 0)
    hub.run_callback(seen.append, "after")
    sleep(0)
    assert seen == ["after"]
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_sleep_inside_the_hub_is_refused():
    hub = get_hub()
    errors = []

    def in_hub():
        try:
            sleep(1)
        except BlockingSwitchOutError as e:
            errors.append(str(e))

    hub.run_callback(in_hub)
    sleep(0)
    assert errors and "cannot sleep inside the hub" in errors[0]


def test_idle_waits_until_nothing_else_is_ready():
    seen = []

    def busy():
        for i in range(3):
            seen.append(i)
            sleep(0)

    def lazy():
        coopconc.idle()
        seen.append("idle")

    gs = [coopconc.spawn(lazy), coopconc.spawn(busy)]
    coopconc.joinall(gs)
    assert seen == [0, 1, 2, "idle"]


def test_sleep0_interrupted_does_not_wake_later():
    """An interrupted sleep(0) must not be woken by its stale wake-up while it waits elsewhere."""
    seen = []

    def victim():
        me = coopconc.getcurrent()
        get_hub().run_callback(me.throw, ValueError("interrupt"))  # runs before our wake-up
        try:
            sleep(0)
        except ValueError:
            seen.append("interrupted")
        sleep(0.25)  # the stale sleep(0) wake-up must not cut this short
        seen.append(now())

    with virtual_clock():
        coopconc.spawn(victim).join()
    assert seen == ["interrupted", 0.25]


def test_timed_sleep_interrupted_leaves_no_timer():
    def victim():
        sleep(5)

    with virtual_clock():
        g = coopconc.spawn(victim)
        sleep(1)
        g.kill()
        assert coopconc.wait() is True  # no timer of the sleep is left to wait for
        assert now() == 1.0


# ---------------------------------------------------------------------------------------------
# Waiter


def test_waiter_switched_before_get_keeps_the_value():
    w = Waiter()
    w.switch("early")
    assert w.ready()
    assert w.get() == "early"


def test_waiter_throw_before_get_raises_in_get():
    w = Waiter()
    w.throw(KeyError("k"))
    with pytest.raises(KeyError):
        w.get()


def test_waiter_woken_by_the_hub():
    hub = get_hub()
    w = Waiter()
    hub.run_callback(w.switch, 42)
    assert w.get("test wait") == 42
    assert "idle" in repr(Waiter()) or "fired" in repr(Waiter())


# ---------------------------------------------------------------------------------------------
# The deadlock report


def test_loop_exit_names_every_blocked_greenlet_main_first():
    from coopconc.event import Event

    event = Event()

    def stuck():
        event.wait()

    g = coopconc.spawn(stuck)
    g.name = "stuck-1"
    h = coopconc.spawn(stuck)
    h.name = "stuck-2"
    sleep(0)
    with pytest.raises(LoopExit) as info:
        g.join()
    text = str(info.value)
    lines = text.splitlines()
    assert lines[0].startswith("This operation would block forever")
    blocked = [line for line in lines if line.startswith("  - ")]
    assert len(blocked) == 3
    assert blocked[0].startswith("  - the main greenlet waits in Greenlet.join")
    assert 'greenlet "stuck-1" waits in Event.wait' in blocked[1]
    assert 'greenlet "stuck-2" waits in Event.wait' in blocked[2]
    for line in blocked:
        assert re.search(r"test_hub\.py:\d+ in \w+", line), line


def test_loop_exit_when_main_waits_on_a_waiter_nobody_will_switch():
    with pytest.raises(LoopExit, match="the main greenlet waits in my reason"):
        Waiter().get("my reason")


def test_wait_with_nothing_to_do_returns_true():
    assert coopconc.wait() is True
    assert get_hub().join() is True


def test_wait_with_timeout_returns_false_if_work_is_left():
    with virtual_clock():
        coopconc.spawn(sleep, 10)
        assert coopconc.wait(timeout=1) is False
        assert now() == 1.0
        assert coopconc.wait() is True
        assert now() == 10.0


# ---------------------------------------------------------------------------------------------
# File descriptors


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def test_wait_read_wakes_when_data_arrives(pipe):
    r, w = pipe
    got = []

    def reader():
        wait_read(r)
        got.append(os.read(r, 10))

    g = coopconc.spawn(reader)
    sleep(0)
    assert got == [] and "blocked on wait_read" in repr(g)
    os.write(w, b"hi")
    g.join()
    assert got == [b"hi"]


def test_wait_read_timeout_raises_the_given_exception(pipe, epoll_watched):
    r, _ = pipe
    with pytest.raises(TimeoutError, match="timed out"):
        wait_read(r, timeout=0.01)
    with pytest.raises(KeyError):
        wait_read(r, timeout=0.01, timeout_exc=KeyError("slow"))
    assert r not in epoll_watched()  # nothing left registered


def test_wait_write_on_an_empty_pipe_returns_at_once(pipe):
    _, w = pipe
    wait_write(w)
    wait_write(w, timeout=1)


def test_wait_readwrite_returns_the_event_that_happened(pipe):
    r, w = pipe
    assert wait_readwrite(w) == WRITE
    os.write(w, b"x")
    assert wait_readwrite(r, timeout=1) == READ


def test_two_readers_on_one_fd_is_an_error(pipe):
    r, _ = pipe
    coopconc.spawn(wait_read, r)
    sleep(0)
    with pytest.raises(ConcurrentObjectUseError, match="already waited on for reading"):
        wait_read(r)


def test_wait_fd_rejects_no_events(pipe):
    r, _ = pipe
    with pytest.raises(ValueError, match="give READ, WRITE or READ | WRITE"):
        get_hub().wait_fd(r, 0)


def test_cancel_wait_wakes_the_waiter_with_the_exception(pipe, epoll_watched):
    r, _ = pipe
    hub = get_hub()
    g = coopconc.spawn(wait_read, r)
    sleep(0)
    hub.cancel_wait(r, OSError(9, "closed by another greenlet"))
    g.join()
    assert isinstance(g.exception, OSError) and g.exception.errno == 9
    assert r not in epoll_watched()
    hub.cancel_wait(r, OSError())  # nobody waits: nothing happens


# ---------------------------------------------------------------------------------------------
# Threads, destroy


def test_run_callback_threadsafe_from_a_real_thread_wakes_the_hub():
    hub = get_hub()
    w = Waiter()
    thread = threading.Thread(target=lambda: hub.run_callback_threadsafe(w.switch, "from thread"))
    hub.ref()  # keep the loop alive while the thread is on its way
    try:
        thread.start()
        assert w.get("a thread's answer") == "from thread"
    finally:
        hub.unref()
        thread.join()


def test_destroy_gives_a_fresh_hub_next_time():
    hub = get_hub()
    sleep(0)
    hub.run_callback(print, "never")
    hub.destroy()
    fresh = get_hub()
    assert fresh is not hub
    assert hub.dead
    sleep(0)  # the fresh hub works
    assert "callbacks=0" in repr(fresh)


def test_hub_repr_and_switch_to_itself():
    hub = get_hub()
    assert repr(hub).startswith("<Hub clock=<RealClock>")
    errors = []
    hub.run_callback(lambda: errors.append(_try_switch(hub)))
    sleep(0)
    assert errors == ["the hub cannot switch to itself"]


def _try_switch(hub):
    try:
        hub.switch()
    except BlockingSwitchOutError as e:
        return str(e)
    return None


def test_waiting_on_a_closed_fd_raises_and_leaves_nothing_registered(epoll_watched):
    import os

    from coopconc.hub import wait_read

    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError):
        wait_read(r, timeout=1)
    assert r not in epoll_watched()
    r2, w2 = os.pipe()  # (very likely the same number again): it can be waited on
    os.write(w2, b"x")
    wait_read(r2, timeout=1)
    os.close(r2)
    os.close(w2)


def test_a_reused_fd_number_is_watched_afresh():
    import os

    import coopconc
    from coopconc.hub import wait_read

    r, w = os.pipe()
    os.write(w, b"x")
    wait_read(r, timeout=1)
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()  # very likely the same numbers
    coopconc.spawn_later(0.01, os.write, w2, b"y")
    wait_read(r2, timeout=5)
    assert os.read(r2, 1) == b"y"
    os.close(r2)
    os.close(w2)


# ---------------------------------------------------------------------------------------------
# Faults (issue 12): interrupts, huge and NaN timeouts, other threads, leaks, the report.
# Each test measures what a user would see: which exception, what the next call does, open
# fds (/proc/self/fd), what epoll watches (/proc/self/fdinfo), memory, seconds.


def _open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


def _signal_main_thread_in(seconds: float, signum: int) -> threading.Timer:
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signum))
    timer.start()
    return timer


def _assert_the_hub_works(hub) -> None:
    """What the next Jupyter cell would do: sleep, get, a queue, joinall -- all working."""
    from coopconc.queue import Queue

    assert get_hub() is hub and not hub.dead
    started = time.monotonic()
    sleep(0.05)
    assert time.monotonic() - started >= 0.04  # a real sleep, not an instant return
    assert coopconc.spawn(lambda: 42).get(timeout=5) == 42
    q = Queue()
    coopconc.spawn(q.put, "item")
    assert q.get(timeout=5) == "item"
    gs = [coopconc.spawn(sleep, 0.01) for _ in range(3)]
    assert coopconc.joinall(gs, timeout=5) == gs


def test_ctrl_c_while_the_hub_waits_reaches_main_and_the_hub_lives_on():
    hub = get_hub()
    timer = _signal_main_thread_in(0.1, signal.SIGINT)  # Jupyter's "interrupt kernel"
    try:
        with pytest.raises(KeyboardInterrupt):
            sleep(10)  # the hub is in epoll_wait when the signal arrives
    finally:
        timer.join()
    _assert_the_hub_works(hub)


def test_sys_exit_in_a_signal_handler_reaches_main_and_the_hub_lives_on():
    hub = get_hub()
    previous = signal.signal(signal.SIGUSR1, lambda *args: sys.exit(3))
    timer = _signal_main_thread_in(0.1, signal.SIGUSR1)
    try:
        with pytest.raises(SystemExit) as caught:
            coopconc.spawn(sleep, 10).join()
        assert caught.value.code == 3
    finally:
        timer.join()
        signal.signal(signal.SIGUSR1, previous)
    _assert_the_hub_works(hub)


def _send_soon(sock, delay: float = 0.1) -> threading.Timer:
    timer = threading.Timer(delay, sock.send, (b"x",))
    timer.start()
    return timer


@pytest.mark.parametrize("seconds", [float("inf"), 1e10], ids=["inf", "1e10"])
def test_a_huge_sleep_waits_while_io_goes_on(seconds):
    from coopconc import socket as csocket

    a, b = csocket.socketpair()
    plain_b = socket.socket(fileno=b.detach())
    sleeper = coopconc.spawn(sleep, seconds)
    sleep(0)
    timer = _send_soon(plain_b)
    try:
        assert a.recv(1) == b"x"  # the hub waited in epoll with the huge timer first in line
    finally:
        timer.join()
        a.close()
        plain_b.close()
    assert not sleeper.dead  # still sleeping, as asked
    sleeper.kill()
    assert sleeper.dead


def test_a_thirty_day_socket_timeout_waits():
    from coopconc import socket as csocket

    a, b = csocket.socketpair()
    plain_b = socket.socket(fileno=b.detach())
    a.settimeout(30 * 86400)
    timer = _send_soon(plain_b)
    try:
        assert a.recv(1) == b"x"
    finally:
        timer.join()
        a.close()
        plain_b.close()


def test_a_virtual_clock_never_jumps_to_infinity():
    with virtual_clock():
        sleeper = coopconc.spawn(sleep, float("inf"))
        sleep(5)
        assert now() == 5.0
        with pytest.raises(LoopExit, match="waits in sleep"):
            sleeper.join()  # nothing but an infinite sleep is left: that is a deadlock
        assert now() == 5.0


_NAN_SCRIPT = r"""
import math, os, socket, time
import coopconc
from coopconc.event import AsyncResult, Event
from coopconc.hub import get_hub, wait_read
from coopconc import socket as csocket

nan = float("nan")
r, w = os.pipe()
calls = {
    "sleep": lambda: coopconc.sleep(nan),
    "Timeout": lambda: coopconc.Timeout(nan),
    "with_timeout": lambda: coopconc.with_timeout(nan, coopconc.sleep, 0),
    "settimeout": lambda: csocket.socket().settimeout(nan),
    "Event.wait": lambda: Event().wait(nan),
    "AsyncResult.get": lambda: AsyncResult().get(timeout=nan),
    "Greenlet.join": lambda: coopconc.spawn(coopconc.sleep, 1).join(timeout=nan),
    "joinall": lambda: coopconc.joinall([coopconc.spawn(coopconc.sleep, 1)], timeout=nan),
    "wait_read": lambda: wait_read(r, timeout=nan),
    "hub.timer": lambda: get_hub().timer(nan),
}
for name, call in calls.items():
    try:
        call()
    except ValueError as exc:
        print(name, "refused", "nan" in str(exc))
    else:
        print(name, "accepted")
cpu = time.process_time()
coopconc.sleep(0.3)
print("cpu", time.process_time() - cpu < 0.15)
"""


def test_nan_timeouts_are_refused_at_the_call_and_nothing_spins():
    out = subprocess.run(
        [sys.executable, "-c", _NAN_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,  # (on the old code the first NaN wedged every timer: it never ended)
        check=False,
    )
    lines = out.stdout.split("\n")
    for name in ["sleep", "Timeout", "with_timeout", "settimeout", "Event.wait"]:
        assert f"{name} refused True" in lines, out.stdout + out.stderr
    for name in ["AsyncResult.get", "Greenlet.join", "joinall", "wait_read", "hub.timer"]:
        assert f"{name} refused True" in lines, out.stdout + out.stderr
    assert "cpu True" in lines  # a 0.3 s sleep afterwards takes no CPU: no timer spins


def test_a_wait_fd_with_a_bad_timeout_registers_nothing(pipe, epoll_watched):
    r, _ = pipe
    with pytest.raises(TypeError) as caught:
        wait_read(r, timeout="soon")
    assert r not in epoll_watched()
    assert "wait_read(timeout='soon')" in str(caught.value)
    with pytest.raises(TimeoutError):  # and the fd is free to be waited on again
        wait_read(r, timeout=0.01)
    assert r not in epoll_watched()


def test_concurrent_first_threadsafe_calls_make_one_wake_up():
    from coopconc.hub import Hub

    before = _open_fds()
    for _ in range(20):
        hub = Hub()
        start = threading.Barrier(8)

        def call(hub=hub, start=start):
            start.wait()
            hub.run_callback_threadsafe(print, "never run")

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        hub.destroy()
    assert _open_fds() == before  # each hub made one wake-up, and destroy closed it


def test_a_hub_with_only_a_timer_sees_a_threadsafe_callback_at_once():
    hub = get_hub()
    waiter = Waiter()
    sent = []
    timer = threading.Timer(
        0.1, lambda: (sent.append(time.monotonic()), hub.run_callback_threadsafe(waiter.switch))
    )
    with coopconc.Timeout(5, False):  # the only thing in the hub: a 5-second timer
        timer.start()
        waiter.get("the thread's callback")
    woken = time.monotonic()
    timer.join()
    assert woken - sent[0] < 2.5  # generous: it is ~0 s, and 5 s if the hub slept through it


def test_the_hub_keeps_no_argument_of_its_last_callback_alive():
    class Big:
        pass

    big = Big()
    ref = weakref.ref(big)
    get_hub().run_callback(lambda obj: None, big)
    del big
    sleep(0.01)  # the callback runs, then the hub waits and a timer wakes us: no other callback
    assert ref() is None


def test_killed_greenlets_do_not_stay_in_memory():
    import tracemalloc

    def hold():
        data = bytearray(10_000_000)  # lives in the frame, reachable from the kill's traceback
        sleep(60)
        return len(data)

    tracemalloc.start()
    try:
        gs = [coopconc.spawn(hold) for _ in range(4)]
        sleep(0)
        assert tracemalloc.get_traced_memory()[0] >= 40_000_000
        coopconc.killall(gs, block=False)
        del gs
        sleep(0.01)  # the kill is the last callback before the hub waits for our timer
        gc.collect()  # (a killed greenlet's traceback and frames form a cycle)
        assert tracemalloc.get_traced_memory()[0] < 10_000_000
    finally:
        tracemalloc.stop()


def test_destroy_then_a_thread_pool_job_finishing_leaves_no_fd():
    from coopconc.threadpool import get_threadpool

    before = _open_fds()
    hub = get_hub()
    done = threading.Event()
    get_threadpool().spawn(lambda: (time.sleep(0.1), done.set()))
    hub.destroy()
    assert done.wait(5)
    time.sleep(0.1)  # (the worker hands its result to the destroyed hub just after)
    assert _open_fds() == before


def test_where_names_a_students_file_even_with_greenlet_in_its_name(tmp_path, monkeypatch):
    from coopconc.event import Event

    (tmp_path / "my_greenlet_homework.py").write_text("def wait_for(event):\n    event.wait()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_greenlet_homework

    event = Event()
    g = coopconc.spawn(my_greenlet_homework.wait_for, event)
    sleep(0)
    assert where(g).endswith("my_greenlet_homework.py:2 in wait_for")
    event.set()
    g.join()


def test_the_deadlock_report_lists_only_this_hubs_greenlets():
    from coopconc.event import Event

    parked = threading.Event()
    release = threading.Event()

    def other_thread():
        g = coopconc.spawn(Event().wait)
        g.name = "in-another-thread"
        sleep(0)  # parked in this thread's own hub
        parked.set()
        release.wait(10)  # the thread (and its hub) stays; the greenlet stays parked

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        assert parked.wait(10)
        mine = coopconc.spawn(Event().wait)
        mine.name = "in-this-thread"
        with pytest.raises(LoopExit) as caught:
            mine.join()
        assert 'greenlet "in-this-thread" waits in Event.wait' in str(caught.value)
        assert "in-another-thread" not in str(caught.value)
    finally:
        release.set()
        thread.join()


def test_a_finished_threads_hub_gives_its_fds_back():
    sleep(0.01)  # this thread's hub has made its poller already
    before = _open_fds()

    def use_a_hub():
        sleep(0.01)  # makes this thread's hub, and its poller (epoll + wake-up fd)

    for _ in range(5):
        thread = threading.Thread(target=use_a_hub)
        thread.start()
        thread.join()
    assert _open_fds() == before


def test_the_process_exits_while_other_threads_wake_the_hub():
    # Threads that call run_callback_threadsafe in a loop hold the hub's poller lock most of
    # the time; at interpreter exit they are frozen wherever they are, and the hub's clean-up at
    # the main thread's end must not wait for that lock forever.
    program = textwrap.dedent(
        """
        import threading
        import coopconc
        from coopconc.hub import get_hub

        hub = get_hub()
        coopconc.sleep(0)

        def hammer():
            while True:
                hub.run_callback_threadsafe(int)

        for _ in range(4):
            threading.Thread(target=hammer, daemon=True).start()
        coopconc.sleep(0.05)
        print("main done")
        """
    )
    hung = 0
    for _ in range(8):
        try:
            done = subprocess.run(
                [sys.executable, "-c", program], capture_output=True, text=True, timeout=20
            )
        except subprocess.TimeoutExpired:
            hung += 1
            continue
        assert done.stdout == "main done\n", done.stderr
    assert hung == 0, f"{hung} of 8 processes never exited"


def test_waiting_fds_lists_the_fds_greenlets_wait_on_and_forgets_them_after():
    from coopconc import socket as csocket

    a, b = csocket.socketpair()
    c, d = csocket.socketpair()
    try:
        readers = [coopconc.spawn(a.recv, 10), coopconc.spawn(c.recv, 10)]
        sleep(0)
        assert get_hub().waiting_fds() == sorted([a.fileno(), c.fileno()])
        b.sendall(b"x")
        assert readers[0].get(timeout=5) == b"x"
        assert get_hub().waiting_fds() == [c.fileno()]
        readers[1].kill()
        assert get_hub().waiting_fds() == []
    finally:
        for s in (a, b, c, d):
            s.close()


def test_idle_code_is_on_the_stack_while_the_hub_waits_in_its_poller():
    from coopconc.hub import Hub

    codes_seen = []
    main_ident = threading.get_ident()

    def look():
        time.sleep(0.05)  # (a real OS thread: main is in sleep(0.5) by now)
        frame = sys._current_frames().get(main_ident)
        while frame is not None:
            codes_seen.append(frame.f_code)
            frame = frame.f_back

    watcher = threading.Thread(target=look)
    watcher.start()
    sleep(0.5)
    watcher.join()
    assert Hub.idle_code() in codes_seen
    busy = []  # and not while the hub runs a callback (Hub.run is on the stack then too)

    def in_the_hub():
        frame = sys._getframe()
        while frame is not None:
            busy.append(frame.f_code)
            frame = frame.f_back

    get_hub().run_callback(in_the_hub)
    sleep(0)
    assert busy and Hub.idle_code() not in busy
