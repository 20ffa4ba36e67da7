"""Event and AsyncResult (coopconc/event.py): waking order, return values, the set/clear race."""

import gc

import pytest

import coopconc
from coopconc.event import AsyncResult, Event
from coopconc.exceptions import LoopExit
from coopconc.timeout import Timeout


def test_set_wakes_every_waiter_in_the_order_they_waited():
    e = Event()
    woke = []

    def waiter(i):
        woke.append((i, e.wait()))

    gs = [coopconc.spawn(waiter, i) for i in range(5)]
    coopconc.sleep(0)
    assert repr(e) == "<Event unset waiters=5>"
    e.set()
    assert woke == []  # set() does not switch: waiters run once we give way
    coopconc.joinall(gs)
    assert woke == [(i, True) for i in range(5)]
    assert repr(e) == "<Event set waiters=0>"


def test_set_then_clear_before_waiters_run_still_wakes_them():
    e = Event()
    results = []
    gs = [coopconc.spawn(lambda: results.append(e.wait())) for _ in range(3)]
    coopconc.sleep(0)
    e.set()
    e.clear()
    coopconc.joinall(gs)
    assert results == [True, True, True]
    assert not e.is_set()


def test_wait_on_set_event_returns_true_at_once_and_flags():
    e = Event()
    assert not e.is_set() and not e.isSet() and not e.ready()
    e.set()
    assert e.wait() is True
    assert e.wait(0) is True
    assert e.is_set() and e.isSet() and e.ready()


def test_wait_timeout_returns_false():
    e = Event()
    with coopconc.virtual_clock():
        assert e.wait(2.5) is False
        assert coopconc.now() == 2.5
    assert e.linkcount() == 0  # the timed-out waiter left no link behind


def test_late_waiter_queues_behind_earlier_waiters():
    # gevent 20.5.1+: wait() on a set Event while a notification is pending runs after the
    # greenlets that were already waiting.
    e = Event()
    order = []

    def early(i):
        e.wait()
        order.append(f"early{i}")

    def late():
        e.wait()
        order.append("late")

    gs = [coopconc.spawn(early, i) for i in range(2)]
    coopconc.sleep(0)
    e.set()
    gs.append(coopconc.spawn(late))
    coopconc.joinall(gs)
    assert order == ["early0", "early1", "late"]


def test_waiter_killed_while_waiting_leaves_no_link():
    e = Event()
    g = coopconc.spawn(e.wait)
    coopconc.sleep(0)
    assert e.linkcount() == 1
    g.kill()
    assert e.linkcount() == 0
    e.set()
    coopconc.sleep(0)


def test_rawlink_called_once_with_the_event_and_unlink():
    e = Event()
    calls = []
    e.rawlink(calls.append)
    gone = []
    e.rawlink(gone.append)
    e.unlink(gone.append)
    e.unlink(gone.append)  # unlinking twice is harmless
    e.set()
    coopconc.sleep(0)
    e.clear()
    e.set()
    coopconc.sleep(0)
    assert calls == [e]
    assert gone == []


def test_rawlink_refuses_non_callable():
    with pytest.raises(TypeError, match="rawlink"):
        Event().rawlink(42)


def test_wait_with_bad_timeout_names_the_call():
    with pytest.raises(TypeError, match=r"Event.wait\(timeout='1'\)"):
        Event().wait("1")
    with pytest.raises(TypeError, match=r"AsyncResult.get\(timeout="):
        AsyncResult().get(timeout=[1])


def test_waiting_forever_is_reported_with_its_reason():
    e = Event()
    with pytest.raises(LoopExit, match=r"Event.wait on <Event unset waiters=1>"):
        e.wait()


def test_a_link_that_raises_is_reported_and_others_still_run(capsys):
    e = Event()
    seen = []

    def bad(_):
        raise RuntimeError("boom")

    e.rawlink(bad)
    e.rawlink(seen.append)
    e.set()
    coopconc.sleep(0)
    assert seen == [e]
    assert "boom" in capsys.readouterr().err


# -- AsyncResult ----------------------------------------------------------------------------


def test_asyncresult_value_handed_to_every_getter():
    r = AsyncResult()
    got = []
    gs = [coopconc.spawn(lambda: got.append(r.get())) for _ in range(3)]
    coopconc.sleep(0)
    assert repr(r) == "<AsyncResult unset waiters=3>"
    r.set(42)
    coopconc.joinall(gs)
    assert got == [42, 42, 42]
    assert r.ready() and r.successful() and r.value == 42 and r.exception is None
    assert r.get() == 42 and r.get_nowait() == 42 and r.wait() == 42
    assert repr(r) == "<AsyncResult value=42 waiters=0>"


def test_asyncresult_exception_raised_by_get_and_wait_returns_none():
    r = AsyncResult()
    err = ValueError("bad")
    caught = []

    def getter():
        try:
            r.get()
        except ValueError as ex:
            caught.append(ex)

    g = coopconc.spawn(getter)
    coopconc.sleep(0)
    r.set_exception(err)
    g.join()
    assert caught == [err]
    assert r.ready() and not r.successful() and r.exception is err and r.value is None
    assert r.wait() is None
    assert r.exc_info[1] is err


def test_asyncresult_unset_get_nowait_and_timeout_raise_timeout():
    r = AsyncResult()
    with pytest.raises(Timeout):
        r.get_nowait()
    with pytest.raises(Timeout):
        r.get(block=False)
    with coopconc.virtual_clock():
        with pytest.raises(Timeout):
            r.get(timeout=1)
        assert r.wait(timeout=1) is None
        assert coopconc.now() == 2.0
    assert r.linkcount() == 0


def test_asyncresult_as_link_target():
    ok, bad = AsyncResult(), AsyncResult()
    coopconc.spawn(lambda: "done").link(ok)
    coopconc.spawn(lambda: 1 / 0).link(bad)
    assert ok.get() == "done"
    with pytest.raises(ZeroDivisionError):
        bad.get()
    assert bad.exc_info[2] is not None  # the greenlet's traceback came along


def test_asyncresult_future_names():
    r = AsyncResult()
    r.set_result(3)
    assert r.result() == 3 and r.done() and not r.cancel() and not r.cancelled()


def test_linkables_do_not_leak_waiters():
    e = Event()
    gs = [coopconc.spawn(e.wait, 1) for _ in range(10)]
    with coopconc.virtual_clock():
        coopconc.joinall(gs)
    assert e.linkcount() == 0
    del gs
    gc.collect()


@pytest.mark.parametrize("kind", ["Event", "AsyncResult"])
def test_set_from_another_os_thread_wakes_every_waiter(kind):
    import threading

    target = Event() if kind == "Event" else AsyncResult()
    woken = []

    def waiter(i):
        target.wait()
        woken.append(i)

    gs = [coopconc.spawn(waiter, i) for i in range(20)]
    coopconc.sleep(0)  # all twenty are parked on it now
    thread = threading.Thread(target=target.set)
    thread.start()
    coopconc.joinall(gs, timeout=5)  # (the timer is all that keeps this hub alive meanwhile)
    thread.join()
    assert len(woken) == 20
