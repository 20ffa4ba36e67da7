"""Tests of coopconc.greenlet: Greenlet's life (start, result, errors, kill, links), spawn,
joinall/wait/iwait, kill/killall. Orders are also checked against gevent by the parity
scenarios; these tests pin down what gevent programs cannot print (stderr, reprs, errors)."""

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coopconc
from coopconc import Greenlet, GreenletExit, Timeout, now, sleep, virtual_clock
from coopconc.hub import get_hub


def returns(x):
    return x


def raises(msg):
    raise RuntimeError(msg)


def naps(seconds, value=None):
    sleep(seconds)
    return value


# ---------------------------------------------------------------------------------------------
# Creating and starting


def test_spawn_of_a_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match=r"Greenlet\(run=3\): the function to run must be callable"):
        coopconc.spawn(3)
    with pytest.raises(TypeError, match=r"spawn_raw\(function=None\)"):
        coopconc.spawn_raw(None)
    with pytest.raises(TypeError, match=r"Greenlet.spawn_later\(1\): give the function"):
        Greenlet.spawn_later(1)


def test_spawned_greenlets_start_on_the_next_turn_in_spawn_order():
    seen = []
    gs = [coopconc.spawn(seen.append, i) for i in range(4)]
    assert seen == []
    assert all(g.started and not g.ready() for g in gs)
    sleep(0)
    assert seen == [0, 1, 2, 3]


def test_subclass_overriding_run():
    class Doubler(Greenlet):
        def __init__(self, x):
            super().__init__()
            self.x = x

        def _run(self):
            return self.x * 2

    g = Doubler.spawn(21)
    assert isinstance(g, Doubler)
    assert g.get() == 42
    assert "_run()" in repr(g)


def test_start_later_and_spawn_later_under_the_virtual_clock():
    seen = []
    with virtual_clock():
        g = Greenlet(lambda: seen.append(("g", now())))
        g.start_later(2)
        h = coopconc.spawn_later(1, lambda: seen.append(("h", now())))
        coopconc.joinall([g, h])
    assert seen == [("h", 1.0), ("g", 2.0)]


def test_states_through_a_life():
    with virtual_clock():
        g = Greenlet(naps, 1, "done")
        g.name = "napper"
        assert repr(g) == "<Greenlet \"napper\" naps(1, 'done') not started>"
        assert not g.started and not g.ready() and not g.dead
        g.start()
        assert g.started and "pending start" in repr(g)
        sleep(0)
        assert "blocked on sleep" in repr(g)
        g.join()
        assert g.ready() and g.successful() and g.dead and not g.started
        assert g.value == "done"
        assert "dead: returned 'done'" in repr(g)


def test_minimal_ident_and_default_names_are_small_and_distinct():
    a, b = Greenlet(returns), Greenlet(returns)
    assert a.minimal_ident != b.minimal_ident
    assert a.name == f"Greenlet-{a.minimal_ident}"


# ---------------------------------------------------------------------------------------------
# Errors stay in the greenlet


def test_an_exception_is_kept_printed_and_the_parent_continues(capsys):
    g = coopconc.spawn(raises, "boom")
    g.name = "fragile"
    g.join()  # join does not raise
    assert not g.successful() and g.ready()
    assert isinstance(g.exception, RuntimeError)
    assert g.exc_info[0] is RuntimeError
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err
    assert 'Greenlet "fragile"' in err and "failed with RuntimeError" in err
    with pytest.raises(RuntimeError, match="boom") as info:
        g.get()
    assert "raises" in str(info.traceback[-1])  # the traceback reaches into the greenlet
    assert "dead: raised RuntimeError" in repr(g)


def test_greenlet_exit_is_success_not_an_error(capsys):
    def quits():
        raise GreenletExit("bye")

    g = coopconc.spawn(quits)
    g.join()
    assert g.successful() and isinstance(g.value, GreenletExit)
    assert capsys.readouterr().err == ""


def test_system_exit_in_a_greenlet_is_raised_in_main():
    def exits():
        sys.exit(4)

    g = coopconc.spawn(exits)
    with pytest.raises(SystemExit) as info:
        sleep(0.01)
    assert info.value.code == 4
    sleep(0)
    assert g.dead


def test_joinall_raise_error_raises_the_first_error():
    with virtual_clock():
        slow = coopconc.spawn(naps, 5)
        bad = coopconc.spawn_later(1, raises, "first")
        with pytest.raises(RuntimeError, match="first"):
            coopconc.joinall([slow, bad], raise_error=True)
        assert now() == 1.0 and not slow.ready()
        slow.kill()


# ---------------------------------------------------------------------------------------------
# Kill


def test_kill_before_start_never_runs_but_links_fire():
    seen = []
    g = coopconc.spawn(seen.append, "ran")
    g.link(lambda source: seen.append("link"))
    g.kill()
    assert g.dead and g.ready() and g.successful()
    assert isinstance(g.value, GreenletExit)
    sleep(0)
    sleep(0)
    assert seen == ["link"]


def test_kill_before_start_with_an_exception_makes_it_failed():
    g = Greenlet(returns, 1)
    g.kill(KeyError("k"))
    assert not g.successful() and isinstance(g.exception, KeyError)


def test_kill_start_later_stops_its_timer():
    with virtual_clock():
        g = coopconc.spawn_later(5, returns, 1)
        g.kill()
        assert coopconc.wait() is True
        assert now() == 0.0 and g.dead


def test_kill_while_sleeping_runs_finally_and_blocks_until_dead():
    seen = []

    def worker():
        try:
            sleep(10)
        finally:
            seen.append("finally")

    with virtual_clock():
        g = coopconc.spawn(worker)
        sleep(0)
        g.kill()
        assert seen == ["finally"] and g.dead and now() == 0.0


def test_kill_with_timeout_returns_even_if_it_refuses_to_die():
    def stubborn():
        try:
            sleep(10)
        except GreenletExit:
            sleep(5)
            return "survived"

    with virtual_clock():
        g = coopconc.spawn(stubborn)
        sleep(0)
        g.kill(timeout=1)
        assert now() == 1.0 and not g.dead
        assert g.get() == "survived" and now() == 5.0


def test_kill_is_a_no_op_on_a_dead_greenlet():
    g = coopconc.spawn(returns, 7)
    g.join()
    g.kill()
    assert g.value == 7


def test_module_kill_does_not_block():
    with virtual_clock():
        g = coopconc.spawn(naps, 10)
        sleep(0)
        coopconc.kill(g)
        assert not g.dead
        g.join()
        assert g.dead and isinstance(g.value, GreenletExit)
        h = coopconc.spawn(naps, 10)
        sleep(0)
        coopconc.kill(h, block=True)  # coopconc's extra: wait like Greenlet.kill
        assert h.dead


def test_killall_kills_started_and_unstarted_ones():
    with virtual_clock():
        gs = [coopconc.spawn(naps, 10) for _ in range(3)]
        sleep(0)
        gs.append(coopconc.spawn(naps, 10))
        coopconc.killall(gs)
        assert all(g.dead for g in gs) and now() == 0.0


# ---------------------------------------------------------------------------------------------
# Waiting: join, get, joinall, wait, iwait


def test_get_non_blocking_and_with_timeout():
    with virtual_clock():
        g = coopconc.spawn(naps, 2, "v")
        with pytest.raises(Timeout):
            g.get(block=False)
        with pytest.raises(Timeout):
            g.get(timeout=1)
        assert now() == 1.0
        g.join(timeout=0.5)  # returns None on timeout
        assert now() == 1.5
        assert g.get() == "v" and now() == 2.0


def test_joinall_count_and_timeout():
    with virtual_clock():
        gs = [coopconc.spawn(naps, s, s) for s in (3, 1, 2)]
        assert [g.value for g in coopconc.joinall(gs, count=2)] == [1, 2]
        assert now() == 2.0
        more = [coopconc.spawn(naps, s, s) for s in (10, 1)]
        assert [g.value for g in coopconc.joinall(more, timeout=5)] == [1]
        assert now() == 7.0
        coopconc.killall(gs + more)


def test_iwait_as_context_manager_unlinks_the_rest():
    with virtual_clock():
        gs = [coopconc.spawn(naps, s, s) for s in (2, 1)]
        with coopconc.iwait(gs) as it:
            first = next(it)
        assert first.value == 1
        assert not gs[0].has_links()
        gs[0].join()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=15))
def test_joinall_returns_greenlets_in_finishing_order(delays):
    with virtual_clock():
        gs = [coopconc.spawn(naps, d, i) for i, d in enumerate(delays)]
        done = coopconc.joinall(gs)
    assert [g.value for g in done] == sorted(range(len(delays)), key=lambda i: delays[i])


def test_joinall_in_the_hub_is_refused():
    errors = []
    g = coopconc.spawn(naps, 1)

    def in_hub():
        try:
            coopconc.joinall([g])
        except Exception as e:  # we want to see what it is
            errors.append(type(e).__name__)

    with virtual_clock():
        get_hub().run_callback(in_hub)
        g.join()
    assert errors == ["BlockingSwitchOutError"]


# ---------------------------------------------------------------------------------------------
# Links


def test_link_value_and_link_exception_are_selective():
    seen = []
    good = coopconc.spawn(returns, 1)
    bad = coopconc.spawn(raises, "x")
    for g in (good, bad):
        g.link_value(lambda s: seen.append(("value", s is good)))
        g.link_exception(lambda s: seen.append(("error", s is bad)))
    coopconc.joinall([good, bad])
    sleep(0)
    assert sorted(seen) == [("error", True), ("value", True)]


def test_rawlink_runs_in_the_hub_and_unlink_removes():
    seen = []
    g = coopconc.spawn(returns, 1)
    g.rawlink(lambda s: seen.append(coopconc.getcurrent() is get_hub()))
    cb = seen.append
    g.rawlink(cb)
    g.unlink(cb)
    g.join()
    sleep(0)
    assert seen == [True]
    with pytest.raises(TypeError, match="rawlink"):
        g.rawlink("not callable")


def test_greenlet_as_context_manager_joins_it():
    with virtual_clock():
        with coopconc.spawn(naps, 1, "x") as g:
            pass
        assert g.value == "x" and now() == 1.0
