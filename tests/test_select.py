"""Tests of coopconc/select.py: select and poll on real socketpairs and pipes."""

import os
import select as stdselect

import pytest

import coopconc
from coopconc import select as cselect
from coopconc import socket as csocket
from coopconc.exceptions import ConcurrentObjectUseError


@pytest.fixture
def pairs():
    made = [csocket.socketpair() for _ in range(4)]
    yield made
    for a, b in made:
        a.close()
        b.close()


def no_fd_waited_on(pairs, epoll_watched) -> bool:
    ours = {s.fileno() for pair in pairs for s in pair}
    return not ours & epoll_watched()


def test_names():
    assert cselect.error is OSError
    assert cselect.POLLIN == stdselect.POLLIN
    assert cselect.epoll is stdselect.epoll
    assert {"select", "poll", "error"} <= set(cselect.__all__)


def test_ready_at_once_gives_the_stdlib_answer(pairs):
    (a, b), (c, d) = pairs[:2]
    b.sendall(b"x")
    assert cselect.select([a, c], [], [], 10) == stdselect.select([a, c], [], [], 10)
    r, w, x = cselect.select([a, c], [c], [])
    assert (r, w, x) == ([a], [c], [])
    assert cselect.select([c], [], [], 0) == ([], [], [])


def test_ready_at_once_still_lets_others_run(pairs):
    a, b = pairs[0]
    b.sendall(b"x")
    ran = []
    coopconc.spawn(ran.append, "other")
    cselect.select([a], [], [], 0)
    assert ran == ["other"]


def test_waits_cooperatively_for_one(pairs, epoll_watched):
    a, b = pairs[0]
    order = []

    def writer():
        order.append("writer runs while select waits")
        b.sendall(b"x")

    coopconc.spawn(writer)
    assert cselect.select([a], [], []) == ([a], [], [])
    assert order == ["writer runs while select waits"]
    assert no_fd_waited_on(pairs, epoll_watched)


def test_waits_for_any_of_many(pairs, epoll_watched):
    readers = [a for a, _ in pairs]
    writers = [b for _, b in pairs]

    coopconc.spawn_later(0.001, writers[2].sendall, b"x")
    r, w, x = cselect.select(readers, [], [], 10)
    assert (r, w, x) == ([readers[2]], [], [])
    assert no_fd_waited_on(pairs, epoll_watched)  # every helper greenlet has unregistered its fd


def test_several_ready_together_are_all_reported_in_the_given_order(pairs):
    readers = [a for a, _ in pairs]

    def write_two():
        pairs[3][1].sendall(b"x")
        pairs[1][1].sendall(b"y")

    coopconc.spawn(write_two)
    r, _, _ = cselect.select(readers, [], [], 10)
    assert r == [readers[1], readers[3]]


def test_timeout_returns_empty_lists(pairs, epoll_watched):
    readers = [a for a, _ in pairs]
    with coopconc.virtual_clock():
        assert cselect.select(readers, [], [], 5) == ([], [], [])
        assert coopconc.now() == pytest.approx(5)
        assert cselect.select(readers[:1], [], [], 2) == ([], [], [])
        assert coopconc.now() == pytest.approx(7)
    assert no_fd_waited_on(pairs, epoll_watched)


def test_empty_lists_is_a_sleep():
    with coopconc.virtual_clock():
        assert cselect.select([], [], [], 3) == ([], [], [])
        assert coopconc.now() == 3


def test_same_fd_in_read_and_write_lists(pairs):
    a, b = pairs[0]
    # a socket with room in its buffer is writable at once
    assert cselect.select([a], [a], [], 1) == ([], [a], [])


def test_pipes_and_plain_integers():
    r, w = os.pipe()
    try:
        coopconc.spawn_later(0.001, os.write, w, b"x")
        assert cselect.select([r], [], [], 10) == ([r], [], [])
    finally:
        os.close(r)
        os.close(w)


def test_a_coopconc_timeout_interrupts_select_and_cleans_up(pairs, epoll_watched):
    readers = [a for a, _ in pairs]
    with coopconc.virtual_clock(), pytest.raises(coopconc.Timeout):
        with coopconc.Timeout(1):
            cselect.select(readers, [], [])
    assert no_fd_waited_on(pairs, epoll_watched)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        cselect.select([], [], [], -1)
    with pytest.raises(TypeError):
        cselect.select([object()], [], [], 0)
    s = csocket.socket()
    s.close()
    with pytest.raises(ValueError):
        cselect.select([s], [], [], 0)


def test_bad_timeouts_are_refused_at_the_call_and_leave_nothing_watched(pairs, epoll_watched):
    a, _ = pairs[0]
    p = cselect.poll()
    p.register(a, cselect.POLLIN)
    for call in (lambda t: cselect.select([a], [], [], t), p.poll):
        with pytest.raises(ValueError, match="NaN"):
            call(float("nan"))
        with pytest.raises(TypeError, match=r"\(timeout='1'\)"):
            call("1")
    coopconc.sleep(0)
    assert no_fd_waited_on(pairs, epoll_watched)


def test_huge_timeouts_wait_until_ready(pairs, epoll_watched):
    a, b = pairs[0]
    p = cselect.poll()
    p.register(a, cselect.POLLIN)
    for timeout in (1e10, float("inf")):
        coopconc.spawn_later(0.01, b.sendall, b"x")
        assert cselect.select([a], [], [], timeout) == ([a], [], [])
        assert a.recv(1) == b"x"
        coopconc.spawn_later(0.01, b.sendall, b"x")
        assert p.poll(timeout * 1000) == [(a.fileno(), cselect.POLLIN)]
        assert a.recv(1) == b"x"
    assert no_fd_waited_on(pairs, epoll_watched)


def test_closing_a_watched_socket_from_another_greenlet(pairs):
    (a, b), (c, d) = pairs[:2]

    def close_it():
        c.close()

    coopconc.spawn(close_it)
    with pytest.raises((OSError, ValueError)):  # as the stdlib: the fd is not valid any more
        cselect.select([a, c], [], [], 10)


@pytest.mark.parametrize("how", ["select", "poll", "both"])
def test_several_greenlets_may_wait_on_the_same_socket(pairs, how, epoll_watched):
    a, b = pairs[0]

    def by_select():
        return cselect.select([a], [], [], 10) == ([a], [], [])

    def by_poll():
        p = cselect.poll()
        p.register(a, cselect.POLLIN)
        return p.poll(10_000) == [(a.fileno(), cselect.POLLIN)]

    ways = {"select": [by_select], "poll": [by_poll], "both": [by_select, by_poll]}[how]
    waiting = [coopconc.spawn(ways[i % len(ways)]) for i in range(6)]
    coopconc.sleep(0)  # all six park...
    coopconc.sleep(0)  # ...and the helper they share starts waiting
    assert a.fileno() in epoll_watched()
    b.sendall(b"x")
    coopconc.joinall(waiting, timeout=5)
    assert [g.value for g in waiting] == [True] * 6  # every one of them was woken
    assert no_fd_waited_on(pairs, epoll_watched)


def test_select_on_a_socket_a_recv_already_waits_on_is_refused(pairs, epoll_watched):
    # The documented difference from gevent: a socket's own wait is not shared with select.
    a, b = pairs[0]
    reader = coopconc.spawn(a.recv, 1)
    coopconc.sleep(0)  # the reader waits in recv
    with pytest.raises(ConcurrentObjectUseError, match="already waited on"):
        cselect.select([a], [], [], 5)
    b.sendall(b"x")
    assert reader.get(timeout=5) == b"x"  # the reader was not disturbed
    coopconc.idle()  # (a recv keeps its registration until the end of the hub's turn)
    assert no_fd_waited_on(pairs, epoll_watched)


def test_one_of_two_waiters_timing_out_leaves_the_other_waiting(pairs, epoll_watched):
    a, b = pairs[0]
    impatient = coopconc.spawn(cselect.select, [a], [], [], 0.01)
    patient = coopconc.spawn(cselect.select, [a], [], [], 10)
    impatient.join(timeout=5)
    assert impatient.value == ([], [], [])
    assert a.fileno() in epoll_watched()  # still watched, for the patient one
    b.sendall(b"x")
    assert patient.get(timeout=5) == ([a], [], [])
    assert no_fd_waited_on(pairs, epoll_watched)


def test_many_greenlets_each_selecting_their_own(pairs):
    def one(i):
        a, _ = pairs[i]
        return cselect.select([a], [], [], 10)[0] == [a]

    gs = [coopconc.spawn(one, i) for i in range(4)]
    coopconc.sleep(0)
    for _, b in reversed(pairs):
        b.sendall(b"x")
    coopconc.joinall(gs, timeout=5)
    assert [g.value for g in gs] == [True] * 4


# ---------------------------------------------------------------------------------------------
# poll


def test_poll_register_modify_unregister(pairs):
    (a, b), (c, d) = pairs[:2]
    p = cselect.poll()
    p.register(a, cselect.POLLIN)
    p.register(c.fileno(), cselect.POLLIN)
    assert repr(p) == f"<coopconc.select.poll fds={sorted([a.fileno(), c.fileno()])}>"
    d.sendall(b"x")
    assert p.poll(1000) == [(c.fileno(), cselect.POLLIN)]
    p.modify(a, cselect.POLLIN | cselect.POLLOUT)
    assert sorted(p.poll()) == sorted([(a.fileno(), cselect.POLLOUT), (c.fileno(), cselect.POLLIN)])
    p.unregister(c)
    with pytest.raises(KeyError):
        p.unregister(c)
    with pytest.raises(FileNotFoundError):
        p.modify(c, cselect.POLLIN)
    p.modify(a, cselect.POLLIN)
    assert p.poll(0) == []


def test_poll_waits_cooperatively(pairs, epoll_watched):
    readers = [a for a, _ in pairs]
    p = cselect.poll()
    for r in readers:
        p.register(r, cselect.POLLIN)
    coopconc.spawn_later(0.001, pairs[1][1].sendall, b"x")
    assert p.poll() == [(readers[1].fileno(), cselect.POLLIN)]
    assert no_fd_waited_on(pairs, epoll_watched)


def test_poll_timeout_in_milliseconds(pairs):
    p = cselect.poll()
    p.register(pairs[0][0], cselect.POLLIN)
    with coopconc.virtual_clock():
        assert p.poll(2500) == []
        assert coopconc.now() == pytest.approx(2.5)


def test_poll_reports_the_kernels_revents_like_the_stdlib(pairs):
    a, b = pairs[0]
    b.close()
    ours, theirs = cselect.poll(), stdselect.poll()
    ours.register(a, cselect.POLLIN)
    theirs.register(a, cselect.POLLIN)
    assert ours.poll(1000) == theirs.poll(1000)
    assert ours.poll(1000)[0][1] & cselect.POLLHUP
