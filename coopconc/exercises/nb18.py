"""Checkers for notebook 18 (ZeroMQ): ``check("18.1", ask_all)``, ``check("18.2", green_recv)``.

18.1 ``ask_all(ctx, address, requests)``: one REQ socket per request, all in flight at once.
     The checker's ROUTER server holds the requests back until it has seen all of them (or
     until 0.3 s pass without a new one), so it observes how many were in flight together.
18.2 ``green_recv(sock)``: a cooperative recv for a *plain* pyzmq socket, built from
     ``wait_read(zmq.FD)``, ``zmq.EVENTS`` and ``recv(NOBLOCK)``. The checker watches that other
     greenlets run while it waits, that it does not spin the CPU, and that it takes every
     message of a burst (the edge-triggered fd: it must not sleep while messages wait).
"""

from __future__ import annotations

import time

import zmq as _plain_zmq

import coopconc
import coopconc.zmq as zmq

REQUESTS = [b"alpha", b"beta", b"gamma", b"delta"]


def _router_server(router, total: int, record: dict) -> None:
    """Answer ``total`` REQ requests (body upper-cased), holding them back while more come."""
    answered = 0
    while answered < total:
        pending = []
        while len(pending) < total - answered:
            try:
                with coopconc.Timeout(0.3):
                    pending.append(router.recv_multipart())
            except coopconc.Timeout:
                if pending:
                    break
        record["most"] = max(record["most"], len(pending))
        for identity, empty, body in pending:
            router.send_multipart([identity, empty, body.upper()])
        answered += len(pending)


def check_ask_all(ask_all) -> str:
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    address = f"tcp://127.0.0.1:{router.bind_to_random_port('tcp://127.0.0.1')}"
    record = {"most": 0}
    server = coopconc.spawn(_router_server, router, len(REQUESTS), record)
    try:
        with coopconc.Timeout(
            5, AssertionError("no answer within 5 s: did every request get its reply?")
        ):
            got = ask_all(ctx, address, list(REQUESTS))
    except zmq.ZMQError as exc:
        if exc.errno == zmq.EFSM:
            raise AssertionError(
                "ZMQError EFSM: a REQ socket must alternate send and recv, so greenlets cannot "
                "share one; give each request its own REQ socket"
            ) from None
        raise
    finally:
        server.kill()
        router.close(0)
        ctx.destroy(0)
    expected = [r.upper() for r in REQUESTS]
    if got != expected:
        raise AssertionError(
            f"ask_all returned {got!r}; expected the replies in the order of the requests: "
            f"{expected!r}"
        )
    if record["most"] < len(REQUESTS):
        raise AssertionError(
            f"the replies are right, but at most {record['most']} request(s) were in flight at "
            "once: the requests went one after the other; spawn one greenlet per request"
        )
    return (
        f"all {len(REQUESTS)} requests were in flight at once, and the replies came back in order"
    )


class _CountingSocket(_plain_zmq.Socket):
    """A plain pyzmq socket that counts the times it is asked for a message or for EVENTS."""

    calls = 0

    def recv(self, *args, **kwargs):
        self.calls += 1
        return super().recv(*args, **kwargs)

    def get(self, option):
        if option == _plain_zmq.EVENTS:
            self.calls += 1
        return super().get(option)

    getsockopt = get


def _plain_pair():
    """A plain (blocking) pyzmq PULL/PUSH pair over tcp 127.0.0.1, connection made."""
    ctx = _plain_zmq.Context()
    pull = ctx.socket(_plain_zmq.PULL, socket_class=_CountingSocket)
    pull.setsockopt(_plain_zmq.RCVTIMEO, 1000)  # a blocking recv in the answer gives up
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(_plain_zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"warm-up")
    pull.recv()
    return ctx, pull, push


def _call(green_recv, pull, limit: float, what: str):
    try:
        with coopconc.Timeout(limit):
            return green_recv(pull)
    except coopconc.Timeout:
        raise AssertionError(what) from None
    except _plain_zmq.Again:
        raise AssertionError(
            "your recv blocked the whole thread until RCVTIMEO gave up (no other greenlet ran): "
            "use recv(zmq.NOBLOCK), and wait with wait_read on the zmq.FD when it says Again"
        ) from None


def check_green_recv(green_recv) -> str:
    ctx, pull, push = _plain_pair()
    helpers = []
    try:
        # 1. it waits cooperatively, without spinning (asking again and again)
        ticks = []

        def ticker():
            for i in range(10):
                ticks.append(i)
                coopconc.sleep(0.01)

        def send_later():
            coopconc.sleep(0.15)
            push.send(b"later")

        helpers += [coopconc.spawn(ticker), coopconc.spawn(send_later)]
        pull.calls = 0
        got = _call(
            green_recv,
            pull,
            2,
            "no message within 2 s, though one arrived after 0.15 s: the fd rings only when "
            "the state changes from what libzmq last saw; ask zmq.EVENTS (or try "
            "recv(NOBLOCK)) before you wait_read on it",
        )
        if got != b"later":
            raise AssertionError(f"green_recv returned {got!r}; expected the message b'later'")
        if len(ticks) < 5:
            raise AssertionError(
                f"other greenlets ran only {len(ticks)} times while green_recv waited: it blocked"
            )
        if pull.calls > 30:
            raise AssertionError(
                f"green_recv asked the socket {pull.calls} times during one 0.15 s wait: it "
                "spins; sleep in wait_read on the zmq.FD instead of polling"
            )
        # 2. a burst that arrived while nobody looked: every message, no sleeping on a silent fd
        if pull.getsockopt(_plain_zmq.EVENTS) != 0:
            raise AssertionError("green_recv returned, but left a message behind it")
        for i in range(50):
            push.send(b"%d" % i)
        time.sleep(0.2)  # busy: the burst arrives while the hub does not run
        for i in range(50):
            got = _call(
                green_recv,
                pull,
                1,
                f"message {i} of a burst of 50 never came back, though it was waiting: the fd "
                "rang once for the whole burst; ask zmq.EVENTS (or try recv(NOBLOCK)) before "
                "every wait_read",
            )
            if got != b"%d" % i:
                raise AssertionError(f"message {i} of the burst came back as {got!r}")
    finally:
        coopconc.killall(helpers)  # a wrong answer that returned early leaves them waiting
        pull.close(0)
        push.close(0)
        ctx.term()
    return "waits without blocking or spinning, and takes every message of a burst"


CHECKS = {"18.1": check_ask_all, "18.2": check_green_recv}
