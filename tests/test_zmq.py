"""Tests of coopconc/zmq.py: real ZeroMQ sockets over tcp://127.0.0.1, in one process.

The patterns (REQ/REP, PUB/SUB, PUSH/PULL, ROUTER/DEALER, Poller, the busy receiver, timeouts,
NOBLOCK, closing under a waiter) also run against zmq.green in tests/parity/scenarios/zmq_*.py.
Here: what only coopconc does or promises (several waiters on one socket, RCVTIMEO/SNDTIMEO, the
wait reason, the edge-triggered rule checked against a recv that ignores it, fds and bad input).
"""

import gc
import os
import time

import pytest
import zmq as real_zmq

import coopconc
import coopconc.zmq as zmq
from coopconc.hub import READ, get_hub, wait_read, waiting_reason


def open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture
def ctx():
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


def pair(ctx, bind_type, connect_type):
    """(bound, connected) sockets over tcp on 127.0.0.1, a random port."""
    bound = ctx.socket(bind_type)
    port = bound.bind_to_random_port("tcp://127.0.0.1")
    connected = ctx.socket(connect_type)
    connected.connect(f"tcp://127.0.0.1:{port}")
    return bound, connected


# ---------------------------------------------------------------------------------------------
# the module's shape


def test_every_name_of_zmq_is_there_and_the_classes_are_pyzmqs_own():
    missing = [n for n in real_zmq.__all__ if not hasattr(zmq, n)]
    assert missing == []
    assert zmq.REQ == real_zmq.REQ and zmq.NOBLOCK == real_zmq.NOBLOCK
    assert zmq.Again is real_zmq.Again and zmq.ZMQError is real_zmq.ZMQError
    assert issubclass(zmq.Socket, real_zmq.Socket)
    assert issubclass(zmq.Context, real_zmq.Context)
    assert issubclass(zmq.Poller, real_zmq.Poller)


def test_context_makes_green_sockets_and_instance_is_its_own(ctx):
    sock = ctx.socket(zmq.PAIR)
    assert type(sock) is zmq.Socket
    assert "coopconc.zmq.Socket(zmq.PAIR)" in repr(sock)
    shared = zmq.Context.instance()
    assert type(shared) is zmq.Context
    assert shared is zmq.Context.instance()
    assert shared is not real_zmq.Context.instance()
    sock.close()


def test_proxy_refuses_with_advice():
    with pytest.raises(NotImplementedError, match="Poller"):
        zmq.proxy(None, None)


# ---------------------------------------------------------------------------------------------
# cooperative waiting


def test_req_rep_between_two_greenlets_switches_on_every_wait(ctx):
    rep, req = pair(ctx, zmq.REP, zmq.REQ)
    log = []

    def server():
        for _ in range(3):
            msg = rep.recv()
            log.append(("server", msg))
            rep.send(msg[::-1])

    def client():
        for word in (b"abc", b"xyz", b"123"):
            req.send(word)
            log.append(("client", req.recv()))

    coopconc.joinall([coopconc.spawn(server), coopconc.spawn(client)], raise_error=True)
    assert log == [
        ("server", b"abc"),
        ("client", b"cba"),
        ("server", b"xyz"),
        ("client", b"zyx"),
        ("server", b"123"),
        ("client", b"321"),
    ]


def test_a_waiting_recv_lets_other_greenlets_run(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    ticks = []

    def ticker():
        for i in range(5):
            ticks.append(i)
            coopconc.sleep(0.01)
        push.send(b"done")

    coopconc.spawn(ticker)
    assert pull.recv() == b"done"
    assert ticks == [0, 1, 2, 3, 4]


def test_the_wait_reason_names_the_operation_and_socket_type(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    g = coopconc.spawn(pull.recv)
    coopconc.sleep(0.01)
    assert waiting_reason(g) == "zmq recv on PULL"
    assert "blocked on zmq recv on PULL" in repr(g)
    assert "waiters=1" in repr(pull)
    push.send(b"x")
    assert g.get(timeout=5) == b"x"
    assert "waiters" not in repr(pull)


def test_several_greenlets_receive_on_one_socket(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    receivers = [coopconc.spawn(pull.recv) for _ in range(5)]
    coopconc.sleep(0.01)
    assert [waiting_reason(g) for g in receivers] == ["zmq recv on PULL"] * 5
    for i in range(5):
        push.send(b"%d" % i)
    got = sorted(g.get(timeout=5) for g in receivers)
    assert got == [b"0", b"1", b"2", b"3", b"4"]


def test_two_senders_on_one_dealer_wait_for_a_peer_then_both_deliver(ctx):
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IMMEDIATE, 1)  # queue nothing until a peer is really there
    dealer.connect(f"tcp://127.0.0.1:{free_port()}")
    address = dealer.getsockopt_string(zmq.LAST_ENDPOINT)
    senders = [coopconc.spawn(dealer.send, b"from %d" % i) for i in range(2)]
    coopconc.sleep(0.05)
    assert [waiting_reason(g) for g in senders] == ["zmq send on DEALER"] * 2
    router = ctx.socket(zmq.ROUTER)
    router.bind(address)
    coopconc.joinall(senders, timeout=5, raise_error=True)
    got = sorted(router.recv_multipart()[1] for _ in range(2))
    assert got == [b"from 0", b"from 1"]


def test_a_reader_and_a_writer_wait_on_one_socket(ctx):
    # The DEALER has no peer yet: its sender waits for POLLOUT while its reader waits for POLLIN.
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.IMMEDIATE, 1)  # queue nothing until a peer is really there
    dealer.connect(f"tcp://127.0.0.1:{free_port()}")
    address = dealer.getsockopt_string(zmq.LAST_ENDPOINT)
    reader = coopconc.spawn(dealer.recv)
    writer = coopconc.spawn(dealer.send, b"ping")
    coopconc.sleep(0.05)
    assert waiting_reason(reader) == "zmq recv on DEALER"
    assert waiting_reason(writer) == "zmq send on DEALER"
    router = ctx.socket(zmq.ROUTER)
    router.bind(address)
    identity, body = router.recv_multipart()
    assert body == b"ping"
    router.send_multipart([identity, b"pong"])
    assert reader.get(timeout=5) == b"pong"
    writer.join(timeout=5)
    assert writer.successful()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# the edge-triggered fd


def naive_recv(sock):
    """A green recv that asks zmq.EVENTS only after the fd rang: it never asks before sleeping."""
    while True:
        get_hub().wait_fd(sock.getsockopt(zmq.FD), READ, 1.0, TimeoutError("missed"))
        if real_zmq.Socket.get(sock, zmq.EVENTS) & zmq.POLLIN:
            return real_zmq.Socket.recv(sock, zmq.NOBLOCK)


def send_burst_while_busy(ctx, n):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    push.send(b"warm-up")
    assert pull.recv() == b"warm-up"  # the connection is up
    assert pull.getsockopt(zmq.EVENTS) == 0  # and libzmq knows the pipe is empty
    for i in range(n):
        push.send(b"%d" % i)
    time.sleep(0.2)  # "busy": the hub does not run while the burst arrives
    return pull, push  # (a dropped push would close, and its disconnection ring the fd)


def test_naive_recv_misses_the_wake_up_after_a_burst(ctx):
    # The check that the test below would catch the bug: the fd rings once for the burst; the
    # naive recv hears it, reads EVENTS (which silences it), takes one message, and sleeps on
    # an fd that will never ring again (here: until a 1 s timeout) with 99 messages waiting.
    pull, _push = send_burst_while_busy(ctx, 100)
    assert naive_recv(pull) == b"0"
    with pytest.raises(TimeoutError, match="missed"):
        naive_recv(pull)
    assert pull.getsockopt(zmq.EVENTS) & zmq.POLLIN  # EVENTS would have told it
    assert pull.recv(zmq.NOBLOCK) == b"1"  # the messages were there all along


def test_recv_checks_events_before_sleeping_so_a_burst_is_all_received(ctx):
    pull, _push = send_burst_while_busy(ctx, 3000)
    with coopconc.Timeout(10):
        got = [pull.recv() for _ in range(3000)]
    assert got == [b"%d" % i for i in range(3000)]


def test_reading_events_yourself_wakes_the_greenlet_waiting_on_the_socket(ctx):
    # Rule 2: whoever reads EVENTS silences the fd, and must pass the news on.
    a, b = pair(ctx, zmq.PAIR, zmq.PAIR)
    waiting = coopconc.spawn(a.recv)
    coopconc.sleep(0.01)
    b.send(b"hello")
    time.sleep(0.2)  # the message arrives and rings a's fd while the hub is not looking
    assert a.getsockopt(zmq.EVENTS) & zmq.POLLIN  # ...and this read silences it again
    assert waiting.get(timeout=5) == b"hello"


def test_a_send_by_one_greenlet_wakes_a_reader_of_the_same_socket(ctx):
    a, b = pair(ctx, zmq.PAIR, zmq.PAIR)
    waiting = coopconc.spawn(a.recv)
    coopconc.sleep(0.01)
    b.send(b"hello")
    time.sleep(0.2)
    a.send(b"meanwhile")  # libzmq processes a's pending commands here, silencing its fd
    assert waiting.get(timeout=5) == b"hello"
    assert b.recv() == b"meanwhile"


# ---------------------------------------------------------------------------------------------
# timeouts, NOBLOCK, closing


def test_rcvtimeo_raises_again_when_it_expires(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    pull.setsockopt(zmq.RCVTIMEO, 50)
    others = []
    coopconc.spawn(others.append, "ran")
    started = time.monotonic()
    with pytest.raises(zmq.Again):
        pull.recv()
    assert 0.04 <= time.monotonic() - started < 5
    assert others == ["ran"]  # it waited cooperatively
    push.send(b"late")
    assert pull.recv() == b"late"  # and the socket still works


def test_rcvtimeo_zero_never_waits(ctx):
    pull, _ = pair(ctx, zmq.PULL, zmq.PUSH)
    pull.setsockopt(zmq.RCVTIMEO, 0)
    others = []
    coopconc.spawn(others.append, "ran")
    with pytest.raises(zmq.Again):
        pull.recv()
    assert others == []


def test_sndtimeo_raises_again_when_no_peer_takes_the_message(ctx):
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.IMMEDIATE, 1)
    push.connect(f"tcp://127.0.0.1:{free_port()}")
    push.setsockopt(zmq.SNDTIMEO, 50)
    started = time.monotonic()
    with pytest.raises(zmq.Again):
        push.send(b"nobody listens")
    assert 0.04 <= time.monotonic() - started < 5


def test_noblock_never_waits_nor_switches(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    others = []
    coopconc.spawn(others.append, "ran")
    with pytest.raises(zmq.Again):
        pull.recv(zmq.NOBLOCK)
    with pytest.raises(zmq.Again):
        pull.recv_multipart(zmq.DONTWAIT)
    assert others == []


def test_a_timeout_cancels_the_wait_and_the_socket_stays_usable(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    with pytest.raises(coopconc.Timeout):
        with coopconc.Timeout(0.05):
            pull.recv()
    # nobody is left parked on the socket: two new greenlets can wait, and both are served
    receivers = [coopconc.spawn(pull.recv) for _ in range(2)]
    coopconc.sleep(0.01)
    push.send(b"a")
    push.send(b"b")
    assert sorted(g.get(timeout=5) for g in receivers) == [b"a", b"b"]


def test_killing_the_waiting_leader_hands_the_socket_to_the_next_waiter(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    first = coopconc.spawn(pull.recv)
    coopconc.sleep(0.01)
    second = coopconc.spawn(pull.recv)
    coopconc.sleep(0.01)
    first.kill()
    push.send(b"for the second")
    assert second.get(timeout=5) == b"for the second"


def test_closing_a_socket_wakes_every_greenlet_waiting_on_it(ctx):
    pull, _ = pair(ctx, zmq.PULL, zmq.PUSH)
    waiters = [coopconc.spawn(pull.recv) for _ in range(3)]
    coopconc.sleep(0.01)
    pull.close()
    coopconc.joinall(waiters, timeout=5)
    for g in waiters:
        assert isinstance(g.exception, zmq.ZMQError)
        assert g.exception.errno == zmq.ENOTSOCK


def test_sockets_that_waited_and_were_dropped_leave_no_fd_open():
    import socket

    a, b = socket.socketpair()  # a first wait, so that the hub's own epoll fd exists already
    b.send(b"x")
    wait_read(a.fileno(), timeout=5)
    a.close()
    b.close()
    before = open_fds()
    context = zmq.Context()
    for _ in range(20):
        pull, _push = pair(context, zmq.PULL, zmq.PUSH)
        with pytest.raises(zmq.Again):
            pull.setsockopt(zmq.RCVTIMEO, 1)
            pull.recv()
        del pull, _push  # dropped without close: pyzmq closes them when collected
    with pytest.warns(ResourceWarning):
        gc.collect()
    context.term()
    coopconc.sleep(0)
    assert open_fds() - before == set()


# ---------------------------------------------------------------------------------------------
# Poller


def test_poller_times_out_cooperatively(ctx):
    pull, _ = pair(ctx, zmq.PULL, zmq.PUSH)
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    others = []
    coopconc.spawn(others.append, "ran")
    started = time.monotonic()
    assert poller.poll(50) == []
    assert 0.04 <= time.monotonic() - started < 5
    assert others == ["ran"]


def test_poller_over_zmq_sockets_and_a_plain_socket(ctx):
    import socket

    a_in, a_out = pair(ctx, zmq.PULL, zmq.PUSH)
    b_in, b_out = pair(ctx, zmq.PULL, zmq.PUSH)
    left, right = socket.socketpair()
    poller = zmq.Poller()
    for item in (a_in, b_in, left):
        poller.register(item, zmq.POLLIN)
    coopconc.spawn_later(0.02, right.send, b"plain")
    assert poller.poll(5000) == [(left.fileno(), zmq.POLLIN)]  # pyzmq gives the fd back
    assert left.recv(10) == b"plain"
    coopconc.spawn_later(0.02, b_out.send, b"zmq")
    assert poller.poll(5000) == [(b_in, zmq.POLLIN)]
    # the helpers are gone: another greenlet may wait on these sockets right away
    waiting = coopconc.spawn(a_in.recv)
    a_out.send(b"a")
    assert waiting.get(timeout=5) == b"a"
    left.close()
    right.close()


def test_poller_and_a_recv_on_the_same_socket(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    receiver = coopconc.spawn(pull.recv)
    coopconc.sleep(0.01)
    polled = coopconc.spawn(pull.poll, 5000)
    coopconc.sleep(0.01)
    push.send(b"one")
    assert receiver.get(timeout=5) == b"one"
    push.send(b"two")
    assert polled.get(timeout=5) == zmq.POLLIN
    assert pull.recv() == b"two"


@pytest.mark.parametrize("bad", [float("nan"), "10"])
def test_poller_rejects_a_bad_timeout(ctx, bad):
    poller = zmq.Poller()
    with pytest.raises((ValueError, TypeError), match="milliseconds"):
        poller.poll(bad)


def test_green_select(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    assert zmq.select([pull], [], [], 0.02) == ([], [], [])
    coopconc.spawn_later(0.02, push.send, b"x")
    assert zmq.select([pull], [], [], 5) == ([pull], [], [])
    assert zmq.select([], [push], [], 0) == ([], [push], [])


def test_waiters_that_time_out_leave_the_others_waiting(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)

    def recv_within(seconds):
        try:
            with coopconc.Timeout(seconds):
                return pull.recv()
        except coopconc.Timeout:
            return "timed out"

    impatient = [coopconc.spawn(recv_within, 0.02), coopconc.spawn(recv_within, 0.04)]
    patient = coopconc.spawn(recv_within, 5)
    coopconc.joinall(impatient, timeout=5)
    assert [g.value for g in impatient] == ["timed out", "timed out"]
    push.send(b"for the patient one")
    assert patient.get(timeout=5) == b"for the patient one"


def test_a_full_queue_makes_send_wait_and_every_message_arrives(ctx):
    # inproc: no kernel buffer between the two, so the high-water marks alone decide
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.RCVHWM, 1)
    pull.bind("inproc://full-queue")
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.SNDHWM, 1)
    push.connect("inproc://full-queue")
    seen_waiting = set()

    def producer():
        for i in range(2000):
            push.send_multipart([b"n", b"%d" % i])

    sender = coopconc.spawn(producer)
    got = []
    with coopconc.Timeout(20):
        while len(got) < 2000:
            seen_waiting.add(waiting_reason(sender))
            got.append(pull.recv_multipart()[1])
            if len(got) % 100 == 0:
                coopconc.sleep(0.001)  # a slow consumer: the sender's queue fills up
    assert got == [b"%d" % i for i in range(2000)]
    assert "zmq send on PUSH" in seen_waiting


def test_recv_into_waits_too(ctx):
    pull, push = pair(ctx, zmq.PULL, zmq.PUSH)
    buffer = bytearray(16)
    coopconc.spawn_later(0.02, push.send, b"into")
    assert pull.recv_into(buffer) == 4
    assert bytes(buffer[:4]) == b"into"


# ---------------------------------------------------------------------------------------------
# faults: a peer that speaks garbage, another OS thread


def test_a_client_sending_garbage_is_dropped_and_the_others_are_still_served(ctx):
    import socket

    router = ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")

    def serve():
        while True:
            identity, body = router.recv_multipart()
            router.send_multipart([identity, body.upper()])

    server = coopconc.spawn(serve)
    garbage = socket.create_connection(("127.0.0.1", port))
    garbage.sendall(b"\xff" * 10 + b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)))
    garbage.settimeout(5)  # (a blocking socket: libzmq's own thread does the handshake)
    try:
        while garbage.recv(4096):  # libzmq answers with its greeting, then hangs up
            pass
    except ConnectionResetError:
        pass  # reset by the server: also a hang-up (a TimeoutError would fail the test)
    garbage.close()
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    dealer.send(b"still served?")
    with coopconc.Timeout(5):
        assert dealer.recv() == b"STILL SERVED?"
    server.kill()


def test_sockets_in_another_os_thread_wait_in_that_threads_hub(ctx):
    import threading

    rep = ctx.socket(zmq.REP)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    served = []

    def server_thread():  # its own hub; two greenlets there, one answering
        ticks = coopconc.spawn(lambda: [coopconc.sleep(0.005) for _ in range(5)])
        for _ in range(3):
            served.append(rep.recv())
            rep.send(b"ok " + served[-1])
        ticks.join()
        rep.close()

    thread = threading.Thread(target=server_thread)
    thread.start()
    req = ctx.socket(zmq.REQ)
    req.connect(f"tcp://127.0.0.1:{port}")
    with coopconc.Timeout(10):
        replies = []
        for word in (b"a", b"b", b"c"):
            req.send(word)
            replies.append(req.recv())
    thread.join(10)
    assert replies == [b"ok a", b"ok b", b"ok c"]
    assert served == [b"a", b"b", b"c"]


def test_the_deadlock_report_lists_greenlets_stuck_on_zmq(ctx):
    # Two greenlets that wait to receive: nothing in this process will ever send. The
    # hub cannot raise LoopExit (a peer in another process could still send: the fds keep the
    # loop alive, as in gevent), but the report it would print names each wait.
    from coopconc.hub.report import blocked_greenlets, loop_exit_message

    rep, _req = pair(ctx, zmq.REP, zmq.REQ)
    pull, _push = pair(ctx, zmq.PULL, zmq.PUSH)
    server = coopconc.spawn(rep.recv)
    worker = coopconc.spawn(pull.recv)
    server.name, worker.name = "server", "worker"
    coopconc.sleep(0.05)
    assert {server, worker} <= set(blocked_greenlets(get_hub()))
    report = loop_exit_message(get_hub())
    assert '"server" waits in zmq recv on REP' in report
    assert '"worker" waits in zmq recv on PULL' in report
    coopconc.killall([server, worker])
