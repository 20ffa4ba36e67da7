"""Checkers for notebook 16 (servers): ``check("16.1", greet)``, ``check("16.2", countdown)``.

16.1 ``greet(environ, start_response)``: a WSGI app. ``/hello?name=Ada`` answers 200,
     ``text/html``, a page saying ``Hello, Ada!`` with the name HTML-escaped; any other path
     answers 404. The checker serves it with coopconc.pywsgi and asks over a real socket.
16.2 ``countdown(environ, start_response)``: a WSGI app streaming ``3``, ``2``, ``1``,
     ``liftoff!`` (one line each), about 0.05 s apart. The checker watches the pieces
     arrive one by one, and serves two countdowns at once to see that waiting in one does
     not hold up the other.
"""

from __future__ import annotations

import io
import time

import h11

import coopconc
from coopconc import socket as csocket
from coopconc.pywsgi import WSGIServer

COUNTDOWN = [b"3\n", b"2\n", b"1\n", b"liftoff!\n"]


def _serve(app) -> WSGIServer:
    server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=io.StringIO())
    server.start()
    return server


def _fetch(server: WSGIServer, target: str) -> dict:
    """GET ``target``: status, headers, body and when (seconds) each piece of body arrived."""
    conn = h11.Connection(h11.CLIENT)
    with csocket.create_connection(("127.0.0.1", server.server_port)) as sock:
        sock.settimeout(5)
        request = h11.Request(method="GET", target=target, headers=[("Host", "127.0.0.1")])
        sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
        t0 = time.perf_counter()
        answer = {"status": None, "headers": {}, "pieces": [], "times": []}
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(sock.recv(65536))
            elif type(event) is h11.Response:
                answer["status"] = event.status_code
                answer["headers"] = {k.decode(): v.decode() for k, v in event.headers}
            elif type(event) is h11.Data:
                answer["pieces"].append(bytes(event.data))
                answer["times"].append(time.perf_counter() - t0)
            elif type(event) is h11.EndOfMessage:
                break
    answer["body"] = b"".join(answer["pieces"])
    return answer


def _server_log(server: WSGIServer) -> str:
    """The error the server logged last (the exception line of the traceback)."""
    lines = server.error_log.getvalue().strip().splitlines()
    errors = [line for line in lines if "Error" in line.split(":", 1)[0]]
    return errors[-1] if errors else (lines[-1] if lines else "no error logged")


def _not_answered(server: WSGIServer) -> None:
    """The stub raised NotImplementedError inside the server: say "not answered yet"."""
    if "NotImplementedError" in server.error_log.getvalue():
        raise NotImplementedError


def check_greet(greet) -> str:
    if not callable(greet):
        raise AssertionError(
            "give the WSGI application itself: a function (environ, start_response)"
        )
    server = _serve(greet)
    try:
        hello = _fetch(server, "/hello?name=Ada")
        if hello["status"] == 500:
            _not_answered(server)
            raise AssertionError(
                f"the server answered 500: your app failed ({_server_log(server)}); "
                "remember that a WSGI body is a list of bytes"
            )
        if hello["status"] != 200 or b"Hello, Ada!" not in hello["body"]:
            raise AssertionError(
                f"/hello?name=Ada answered {hello['status']} {hello['body'][:60]!r}; expected "
                "200 and a page containing 'Hello, Ada!' (read the name from QUERY_STRING)"
            )
        if not hello["headers"].get("content-type", "").startswith("text/html"):
            raise AssertionError("the page is HTML: send the header ('Content-Type', 'text/html')")
        evil = _fetch(server, "/hello?name=%3Cb%3Ebold%3C%2Fb%3E")
        if b"<b>" in evil["body"] or b"&lt;b&gt;bold&lt;/b&gt;" not in evil["body"]:
            raise AssertionError(
                f"the name '<b>bold</b>' came back as {evil['body'][:80]!r}: a name is text, "
                "not HTML -- pass it through html.escape() before putting it in the page"
            )
        other = _fetch(server, "/elsewhere")
        if other["status"] != 404:
            raise AssertionError(
                f"/elsewhere answered {other['status']}; only /hello exists: answer '404 Not Found'"
            )
    finally:
        server.stop()
    return "greets by name, escapes HTML, and answers 404 elsewhere"


def check_countdown(countdown) -> str:
    if not callable(countdown):
        raise AssertionError(
            "give the WSGI application itself: a function (environ, start_response)"
        )
    server = _serve(countdown)
    try:
        ticks = []

        def ticker():  # runs only while nobody blocks the whole thread
            while True:
                coopconc.sleep(0.01)
                ticks.append(time.perf_counter())

        watcher = coopconc.spawn(ticker)
        t0 = time.perf_counter()
        jobs = [coopconc.spawn(_fetch, server, "/") for _ in range(2)]
        coopconc.joinall(jobs, timeout=10)
        both = time.perf_counter() - t0
        watcher.kill()
        if not all(job.successful() for job in jobs):
            raise AssertionError("the countdown did not finish within 10 s")
        answer = jobs[0].value
        if answer["status"] == 500:
            _not_answered(server)
        if answer["status"] != 200 or answer["body"] != b"".join(COUNTDOWN):
            raise AssertionError(
                f"the client got {answer['status']} {answer['body'][:60]!r} "
                f"({_server_log(server)}); expected 200 and the lines {b''.join(COUNTDOWN)!r}"
            )
        if both > 0.1 and len(ticks) < both / 0.01 / 3:
            raise AssertionError(
                f"during the {both:.2f} s of the countdowns another greenlet ran only "
                f"{len(ticks)} times: the pause blocked the whole server. Pause with "
                "coopconc.sleep, not time.sleep"
            )
        times = answer["times"]
        if len(answer["pieces"]) < len(COUNTDOWN) or times[-1] - times[0] < 0.1:
            raise AssertionError(
                f"the body arrived in {len(answer['pieces'])} piece(s) within "
                f"{times[-1] - times[0]:.2f} s: it was sent all at once. Yield each line from a "
                "generator and sleep between the yields, so each is sent when it is ready"
            )
        if both > 2 * (times[-1] - times[0]) - 0.03:
            raise AssertionError(
                f"two countdowns at once took {both:.2f} s, one after the other: the pause "
                "blocked the whole server. Pause with coopconc.sleep, not time.sleep"
            )
    finally:
        server.stop()
    return (
        f"{len(COUNTDOWN)} lines arrived one by one over {times[-1] - times[0]:.2f} s, "
        "and two countdowns ran side by side"
    )


CHECKS = {"16.1": check_greet, "16.2": check_countdown}
