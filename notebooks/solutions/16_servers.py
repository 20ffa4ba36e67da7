"""Worked solutions for notebook 16 (servers), for teachers; and plausible wrong answers.

tests/test_exercises.py checks that each solution passes its checker and that the stub,
an empty answer and each wrong answer fail.
"""

import html
import time
from urllib.parse import parse_qs

import coopconc


def greet(environ, start_response):
    """16.1: read the name from the query string, escape it, 404 for other paths."""
    if environ["PATH_INFO"] != "/hello":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    name = parse_qs(environ["QUERY_STRING"]).get("name", ["stranger"])[0]
    page = f"<p>Hello, {html.escape(name)}!</p>\n"
    start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
    return [page.encode("utf-8")]


def countdown(environ, start_response):
    """16.2: a generator: each line is sent when it is yielded; the pause parks one greenlet."""
    start_response("200 OK", [("Content-Type", "text/plain")])

    def lines():
        for line in [b"3\n", b"2\n", b"1\n"]:
            yield line
            coopconc.sleep(0.05)
        yield b"liftoff!\n"

    return lines()


# -- plausible wrong answers ---------------------------------------------------------------


def greet_unescaped(environ, start_response):
    """Forgets html.escape: a name with markup becomes markup."""
    if environ["PATH_INFO"] != "/hello":
        start_response("404 Not Found", [])
        return [b"not found\n"]
    name = parse_qs(environ["QUERY_STRING"]).get("name", ["stranger"])[0]
    start_response("200 OK", [("Content-Type", "text/html")])
    return [f"<p>Hello, {name}!</p>".encode()]


def greet_python2(environ, start_response):
    """The source's Python 2 habit: a str body."""
    name = parse_qs(environ["QUERY_STRING"]).get("name", ["stranger"])[0]
    start_response("200 OK", [("Content-Type", "text/html")])
    return [f"<p>Hello, {html.escape(name)}!</p>"]


def greet_always_200(environ, start_response):
    """Answers every path."""
    name = parse_qs(environ["QUERY_STRING"]).get("name", ["stranger"])[0]
    start_response("200 OK", [("Content-Type", "text/html")])
    return [f"<p>Hello, {html.escape(name)}!</p>".encode()]


def countdown_all_at_once(environ, start_response):
    """Waits, then returns a list: the client gets everything at the end, in one piece."""
    lines = []
    for line in [b"3\n", b"2\n", b"1\n"]:
        lines.append(line)
        coopconc.sleep(0.05)
    lines.append(b"liftoff!\n")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return lines


def countdown_blocking(environ, start_response):
    """Streams, but pauses with time.sleep: the whole server stops during each pause."""
    start_response("200 OK", [("Content-Type", "text/plain")])

    def lines():
        for line in [b"3\n", b"2\n", b"1\n"]:
            yield line
            time.sleep(0.05)
        yield b"liftoff!\n"

    return lines()


SOLUTIONS = {"16.1": greet, "16.2": countdown}
WRONG = {
    "16.1": [greet_unescaped, greet_python2, greet_always_200],
    "16.2": [countdown_all_at_once, countdown_blocking],
}
