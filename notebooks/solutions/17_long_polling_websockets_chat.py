"""Worked solutions for notebook 17's exercises (for teachers), and plausible wrong answers.

tests/test_exercises.py checks that each solution passes and each wrong answer fails.
"""

import json

from coopconc.queue import Empty


def make_poll_app(queue, timeout):
    def app(environ, start_response):
        try:
            items = [queue.get(timeout=timeout)]
        except Empty:
            items = []
        while True:
            try:
                items.append(queue.get_nowait())
            except Empty:
                break
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(items).encode()]

    return app


def deliver(queue, message):
    dropped = 0
    if queue.full():
        queue.get_nowait()
        dropped = 1
    queue.put_nowait(message)
    return dropped


def shout(ws):
    while (message := ws.receive()) is not None:
        if message == "bye":
            ws.close(1000)
            return
        ws.send(message.upper())


SOLUTIONS = {"17.1": make_poll_app, "17.2": deliver, "17.3": shout}


# -- plausible wrong answers ------------------------------------------------------------


def poll_without_waiting(queue, timeout):
    """Answers at once (get_nowait): a busy loop of requests, not long polling."""

    def app(environ, start_response):
        items = []
        while not queue.empty():
            items.append(queue.get_nowait())
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(items).encode()]

    return app


def poll_only_first(queue, timeout):
    """Waits, but answers one item per poll."""

    def app(environ, start_response):
        try:
            items = [queue.get(timeout=timeout)]
        except Empty:
            items = []
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(items).encode()]

    return app


def poll_forever(queue, timeout):
    """Forgets the timeout: with nothing to say it never answers."""

    def app(environ, start_response):
        items = [queue.get()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(items).encode()]

    return app


def deliver_blocking(queue, message):
    queue.put(message)
    return 0


def deliver_nowait(queue, message):
    queue.put_nowait(message)  # raises Full
    return 0


def deliver_dropping_newest(queue, message):
    if queue.full():
        return 1
    queue.put_nowait(message)
    return 0


def shout_echo(ws):
    while (message := ws.receive()) is not None:
        if message == "bye":
            ws.close(1000)
            return
        ws.send(message)


def shout_never_closes(ws):
    while (message := ws.receive()) is not None:
        ws.send(message.upper())


def shout_going_away(ws):
    while (message := ws.receive()) is not None:
        if message == "bye":
            ws.close(1001)
            return
        ws.send(message.upper())


WRONG = {
    "17.1": [poll_without_waiting, poll_only_first, poll_forever],
    "17.2": [deliver_blocking, deliver_nowait, deliver_dropping_newest],
    "17.3": [shout_echo, shout_never_closes, shout_going_away],
}
