"""Checkers for notebook 17 (long polling, websockets and the chat room).

17.1 a long-polling WSGI app (waits, drains, answers [] on time-out), called as a server would;
17.2 ``deliver``: a bounded queue that never makes the poster wait (drops the oldest);
17.3 ``shout(ws)``: a websocket app served by coopconc.pywsgi, driven by a real client.
"""

from __future__ import annotations

import json

import coopconc
from coopconc.queue import Queue
from coopconc.timeout import Timeout

__all__ = ["CHECKS"]


def _environ() -> dict:
    import io

    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/poll",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
    }


def check_poll_app(make_poll_app) -> str:
    queue = Queue()
    app = make_poll_app(queue, 0.2)
    assert callable(app), (
        f"make_poll_app returned {app!r}; return the WSGI app itself, a function "
        "app(environ, start_response)"
    )

    def one_poll():
        statuses = []
        body = app(_environ(), lambda status, headers, exc_info=None: statuses.append(status))
        data = b"".join(body)
        assert statuses and statuses[0].startswith("200"), (
            f"the app answered with status {statuses or 'none'}; call start_response('200 OK', ...)"
        )
        try:
            return json.loads(data)
        except ValueError:
            raise AssertionError(
                f"the body {data[:80]!r} is not JSON; return [json.dumps(...).encode()]"
            ) from None

    waiting = coopconc.spawn(one_poll)
    coopconc.sleep(0.05)
    assert not waiting.ready(), (
        f"the app answered {waiting.value!r} at once, with nothing queued; it must wait for the "
        "first item (queue.get(timeout=...))"
    )
    queue.put("a")
    queue.put("b")
    with Timeout(2, AssertionError("the app did not answer within 2 s after two items came")):
        got = waiting.get()
    assert got == ["a", "b"], (
        f"two items were queued while the poll waited; it answered {got!r}. After the first "
        "item, take everything else already queued (get_nowait until Empty)"
    )
    start = coopconc.now()
    with Timeout(
        2, AssertionError("with nothing queued the app did not answer within 2 s; use a timeout")
    ):
        got = one_poll()
    waited = coopconc.now() - start
    assert got == [], f"with nothing queued the app answered {got!r}; answer [] when the time is up"
    assert waited >= 0.15, f"with nothing queued the app answered after {waited:.2f} s, not 0.2 s"
    for item in (1, 2, 3):
        queue.put(item)
    start = coopconc.now()
    got = one_poll()
    assert got == [1, 2, 3] and coopconc.now() - start < 0.15, (
        f"with three items queued the app answered {got!r}; it should answer them all at once"
    )
    return "waits for the first item, takes the rest, answers [] when the time is up"


def check_deliver(deliver) -> str:
    queue = Queue(3)
    drops = []
    with Timeout(
        1,
        AssertionError(
            "deliver() waited on a full queue (the poster would stop for everyone): drop the "
            "oldest with get_nowait, then put_nowait"
        ),
    ):
        for i in range(1, 6):
            drops.append(deliver(queue, f"m{i}"))
    kept = [queue.get_nowait() for _ in range(queue.qsize())]
    assert kept == ["m3", "m4", "m5"], (
        f"after m1..m5 into a queue of 3 it holds {kept}; keep the newest three (drop the oldest)"
    )
    assert drops == [0, 0, 0, 1, 1], (
        f"deliver() returned {drops}; return 1 when it dropped one, else 0"
    )
    return "never waits, keeps the newest messages, counts what it dropped"


def check_shout(shout) -> str:
    from coopconc.examples.clients import WebSocketClient
    from coopconc.pywsgi import WSGIServer
    from coopconc.socket import create_connection
    from coopconc.websocket import WebSocketMiddleware

    returned, raised = [], []

    def app(environ, start_response):
        try:
            shout(environ["wsgi.websocket"])
        except BaseException as exc:
            raised.append(exc)
            raise
        returned.append(True)
        return []

    server = WSGIServer(("127.0.0.1", 0), WebSocketMiddleware(app), log=None, error_log=None)
    server.start()
    sock = None
    try:
        sock = create_connection(("127.0.0.1", server.server_port), timeout=2)
        try:
            client = WebSocketClient(sock, "/")
        except ConnectionError:
            sock.close()
            if raised:
                raise raised[0] from None  # the answer's own error (NotImplementedError: the stub)
            raise AssertionError(
                "the websocket was refused: shout() returned before receiving anything; "
                "loop on ws.receive()"
            ) from None
        for text in ["hello", "Mixed Case 1"]:
            client.send(text)
            got = client.receive()
            assert got == text.upper(), (
                f"sent {text!r}, got back {got!r}; send ws.receive()'s text upper-cased"
            )
        client.send("bye")
        got = client.receive()
        if got == "BYE":
            got = client.receive()
        assert got is None and client.close_code is not None, (
            f"after 'bye' the websocket stayed open (got {got!r}); call ws.close(1000) and return"
        )
        assert client.close_code == 1000, (
            f"it closed with code {client.close_code}; use 1000 (normal closure)"
        )
        sock.close()
        coopconc.sleep(0.05)
        assert returned, "shout() did not return after closing; return after ws.close()"
    finally:
        if sock is not None:
            sock.close()  # the server's side of the websocket sees the end too
        server.stop(timeout=1)
        coopconc.sleep(0.05)  # the server's greenlets end on the hub's next turns
    return "upper-cases every message and closes with 1000 on 'bye'"


CHECKS = {"17.1": check_poll_app, "17.2": check_deliver, "17.3": check_shout}
