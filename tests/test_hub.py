"""Tests of coopconc.hub: the loop, the virtual clock, the waiting path, file descriptors,
threads, the deadlock report and Hub.destroy."""

import os
import re
import threading
import time

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
        assert get_hub()._timer_refs == 0
        assert coopconc.wait() is True
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


def test_wait_read_timeout_raises_the_given_exception(pipe):
    r, _ = pipe
    with pytest.raises(TimeoutError, match="timed out"):
        wait_read(r, timeout=0.01)
    with pytest.raises(KeyError):
        wait_read(r, timeout=0.01, timeout_exc=KeyError("slow"))
    assert r not in get_hub()._io  # nothing left registered


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


def test_cancel_wait_wakes_the_waiter_with_the_exception(pipe):
    r, _ = pipe
    hub = get_hub()
    g = coopconc.spawn(wait_read, r)
    sleep(0)
    hub.cancel_wait(r, OSError(9, "closed by another greenlet"))
    g.join()
    assert isinstance(g.exception, OSError) and g.exception.errno == 9
    assert r not in hub._io
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


def test_waiting_on_a_closed_fd_raises_and_leaves_nothing_registered():
    import os

    from coopconc.hub import get_hub, wait_read

    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError):
        wait_read(r, timeout=1)
    hub = get_hub()
    assert r not in hub._io and r not in hub._registered


def test_a_reused_fd_number_is_watched_afresh():
    import os

    import coopconc
    from coopconc.hub import get_hub, wait_read

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
    assert not get_hub()._registered
