"""The chat room: long polling and websockets, one queue per user and room.

Run it with ``python -m coopconc.examples.chat [--host 127.0.0.1] [--port 8000]`` and open the
address it prints in two browser tabs. It is the chat room of the gevent tutorial the source
follows (a Flask app, rooms ``topic1`` and ``topic2``, users named by a uid in the URL, a queue
per user), ported to Python 3 and fixed.

How it works
    ``Chat`` holds the state: each ``Room`` keeps its last 25 messages and a ``Subscription``
    per user in it; each subscription owns a bounded ``coopconc.queue.Queue`` for long polls
    and one more per open websocket of that user (so two tabs both get everything). Posting
    a message puts the string ``"uid: text"`` into those queues for every subscriber of the
    room -- a loop of ``put_nowait``, no waiting -- and wakes the user's pending long poll.

    Two ways to get the messages out, and the page picks one:

    * websocket, ``/ws/<room>/<uid>``: one greenlet reads what the browser posts
      (``{"message": "..."}``), another takes messages off the user's queue and sends each
      as a JSON text frame. Both park in the hub while there is nothing to do.
    * long polling, ``POST /poll/<uid>``: the request waits (up to 10 s) until one of the
      user's queues has something, then answers everything queued as a JSON list and ends.
      The browser asks again at once. ``POST /put/<room>/<uid>`` posts.

    Each waiting browser costs one parked greenlet and a socket, which is why one process
    holds thousands of them (notebook 17 measures it).

Fixed from the tutorial
    * Users who leave were never unsubscribed, and their unbounded queues grew forever.
      Here queues hold at most ``queue_size`` messages (the oldest is dropped, and counted),
      and a reaper greenlet unsubscribes a user whose subscription had no websocket and no
      poll for ``idle_after`` seconds.
    * It bound all interfaces (``0.0.0.0``): here 127.0.0.1 unless ``--host`` says otherwise.
    * Python 2 (``print`` statements, ``gevent.wsgi``): Python 3 and ``coopconc.pywsgi``.
    * Names and messages were put into the page unescaped: here Jinja escapes the page and
      the JavaScript only ever sets ``textContent``.

Taught in notebook 17 (long polling, websockets and the chat room).
"""

from __future__ import annotations

import argparse
import collections
import json
import signal
import sys

from flask import Flask, abort, redirect, render_template, request, url_for

import coopconc
from coopconc.event import Event
from coopconc.queue import Empty, Queue
from coopconc.websocket import (
    POLICY_VIOLATION,
    UNSUPPORTED_DATA,
    WebSocketError,
    WebSocketMiddleware,
)

__all__ = ["Chat", "create_app", "main", "ROOMS"]

ROOMS = ("topic1", "topic2")
HISTORY = 25  # messages a room page shows when it opens
MAX_TEXT = 2000  # characters in one message; over it: 413
MAX_UID = 40  # characters in a uid; over it: 400


class Subscription:
    """One user in one room: the messages not yet delivered to them.

    ``queue`` holds them for long polls. Each open websocket of the user gets its own
    ``feed`` queue instead (``attach``), so two tabs of one user both see every message;
    while a websocket is open, nothing piles up in ``queue``.
    """

    def __init__(self, room: Room, uid: str, queue_size: int):
        self.room = room
        self.uid = uid
        self.queue_size = queue_size
        self.queue: Queue = Queue(queue_size)
        self.feeds: list[Queue] = []  # one per open websocket
        self.last_seen = coopconc.now()
        self.dropped = 0  # messages lost because a queue was full

    @property
    def websockets(self) -> int:
        return len(self.feeds)

    def deliver(self, message: str) -> None:
        for queue in self.feeds or [self.queue]:
            if queue.full():
                queue.get_nowait()  # drop the oldest: a bounded queue never waits here
                self.dropped += 1
            queue.put_nowait(message)

    def attach(self) -> Queue:
        """A feed for a new websocket; the first one takes what waited since the page opened."""
        feed = Queue(self.queue_size)
        if not self.feeds:
            while not self.queue.empty():
                feed.put_nowait(self.queue.get_nowait())
        self.feeds.append(feed)
        return feed

    def detach(self, feed: Queue) -> None:
        self.feeds.remove(feed)
        self.last_seen = coopconc.now()

    def queued(self) -> int:
        return self.queue.qsize() + sum(feed.qsize() for feed in self.feeds)

    def __repr__(self) -> str:
        return f"<Subscription {self.uid!r} in {self.room.name} queued={self.queued()} websockets={self.websockets}>"


class Room:
    def __init__(self, name: str):
        self.name = name
        self.history: collections.deque[str] = collections.deque(maxlen=HISTORY)
        self.subscribers: dict[str, Subscription] = {}

    def __repr__(self) -> str:
        return f"<Room {self.name} users={len(self.subscribers)} history={len(self.history)}>"


class User:
    def __init__(self, uid: str):
        self.uid = uid
        self.subscriptions: dict[str, Subscription] = {}
        self.arrived = Event()  # set when a message lands in one of this user's queues
        self.polling = 0  # long polls waiting right now


class Chat:
    """The rooms, the users and their queues; no HTTP here (``create_app`` adds it)."""

    def __init__(
        self,
        rooms=ROOMS,
        *,
        poll_timeout: float = 10.0,
        idle_after: float = 60.0,
        queue_size: int = 100,
    ):
        self.rooms = {name: Room(name) for name in rooms}
        self.users: dict[str, User] = {}
        self.poll_timeout = poll_timeout
        self.idle_after = idle_after
        self.queue_size = queue_size
        self.closing = False
        self._reaper = None

    # -- joining and leaving -------------------------------------------------------------

    def user(self, uid: str) -> User:
        user = self.users.get(uid)
        if user is None:
            user = self.users[uid] = User(uid)
            if self._reaper is None:
                self._reaper = coopconc.spawn(self._reap_forever)
                self._reaper.name = "chat-reaper"
        return user

    def subscribe(self, room: str, uid: str, fresh: bool = False) -> Subscription:
        """Put ``uid`` in ``room`` (once); ``fresh`` empties its poll queue (the page shows history)."""
        user = self.user(uid)
        sub = user.subscriptions.get(room)
        if sub is None:
            sub = Subscription(self.rooms[room], uid, self.queue_size)
            user.subscriptions[room] = self.rooms[room].subscribers[uid] = sub
        elif fresh:
            while not sub.queue.empty():
                sub.queue.get_nowait()
        sub.last_seen = coopconc.now()
        return sub

    def reap(self) -> int:
        """Unsubscribe whoever had no websocket and no poll for ``idle_after`` s; how many."""
        limit = coopconc.now() - self.idle_after
        gone = 0
        for uid, user in list(self.users.items()):
            if user.polling:
                continue
            for name, sub in list(user.subscriptions.items()):
                if sub.websockets == 0 and sub.last_seen < limit:
                    del user.subscriptions[name]
                    del self.rooms[name].subscribers[uid]
                    gone += 1
            if not user.subscriptions:
                del self.users[uid]
        return gone

    def _reap_forever(self) -> None:
        while not self.closing:
            coopconc.sleep(self.idle_after / 4)
            self.reap()

    # -- messages --------------------------------------------------------------------------

    def post(self, room: str, uid: str, text: str) -> str:
        """Add ``uid: text`` to the room: its history and every subscriber's queue."""
        message = f"{uid}: {text}"
        target = self.rooms[room]
        target.history.append(message)
        for sub in target.subscribers.values():
            sub.deliver(message)
            self.users[sub.uid].arrived.set()
        return message

    def take(self, uid: str) -> list[str]:
        """Everything queued for ``uid`` in every room it joined, without waiting."""
        user = self.users.get(uid)
        if user is None:
            return []
        messages = []
        for sub in user.subscriptions.values():
            sub.last_seen = coopconc.now()
            while True:
                try:
                    messages.append(sub.queue.get_nowait())
                except Empty:
                    break
        return messages

    def poll(self, uid: str, timeout: float | None = None) -> list[str]:
        """Wait (up to ``timeout``, default ``poll_timeout``) for messages; [] if none came."""
        timeout = self.poll_timeout if timeout is None else timeout
        user = self.user(uid)
        user.polling += 1
        deadline = coopconc.now() + timeout
        try:
            while True:
                messages = self.take(uid)
                remaining = deadline - coopconc.now()
                if messages or self.closing or remaining <= 0:
                    return messages
                user.arrived.clear()
                user.arrived.wait(remaining)
        finally:
            user.polling -= 1
            for sub in user.subscriptions.values():
                sub.last_seen = coopconc.now()

    def serve_websocket(self, ws, room: str, uid: str) -> None:
        """Send the room's messages down ``ws`` and post what comes up, until it closes."""
        sub = self.subscribe(room, uid)
        feed = sub.attach()
        writer = coopconc.spawn(self._forward, feed, ws)
        try:
            for frame in ws:
                if not isinstance(frame, str):
                    ws.close(UNSUPPORTED_DATA, 'send text: {"message": "..."}')
                    break
                try:
                    text = json.loads(frame)["message"]
                except (ValueError, TypeError, KeyError):
                    text = None
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    ws.close(
                        POLICY_VIOLATION,
                        f'expected {{"message": "..."}} of at most {MAX_TEXT} characters',
                    )
                    break
                if text.strip():
                    self.post(room, uid, text)
        finally:
            writer.kill()
            sub.detach(feed)

    @staticmethod
    def _forward(feed: Queue, ws) -> None:
        while True:
            message = feed.get()
            try:
                ws.send(json.dumps(message))
            except WebSocketError:
                return

    def shutdown(self) -> None:
        """Answer every pending poll now (with what is queued, or [])."""
        self.closing = True
        for user in self.users.values():
            user.arrived.set()
        if self._reaper is not None:
            self._reaper.kill()

    def stats(self) -> dict:
        subs = [s for r in self.rooms.values() for s in r.subscribers.values()]
        return {
            "users": len(self.users),
            "subscriptions": len(subs),
            "queued": sum(s.queued() for s in subs),
            "dropped": sum(s.dropped for s in subs),
        }

    def __repr__(self) -> str:
        s = self.stats()
        return f"<Chat rooms={list(self.rooms)} users={s['users']} queued={s['queued']}>"


# -- HTTP: the Flask app -------------------------------------------------------------------


def _checked_uid(uid: str) -> str:
    if not 0 < len(uid) <= MAX_UID or not uid.isprintable():
        abort(400, description=f"a uid is 1 to {MAX_UID} printable characters")
    return uid


def _checked_room(chat: Chat, room: str) -> str:
    if room not in chat.rooms:
        abort(404, description=f"no room {room!r}; the rooms are {', '.join(chat.rooms)}")
    return room


def create_app(chat: Chat | None = None, **chat_options) -> Flask:
    """The chat as a Flask app; ``app.chat`` is its ``Chat``, ``app.websockets`` its middleware."""
    chat = chat if chat is not None else Chat(**chat_options)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a form body over this: 413
    app.chat = chat
    app.websockets = WebSocketMiddleware(app.wsgi_app, max_message_size=16 * 1024)
    app.wsgi_app = app.websockets

    @app.get("/")
    def index():
        uid = request.args.get("uid", "").strip()
        if uid:
            return redirect(url_for("rooms", uid=_checked_uid(uid)))
        return render_template("index.html")

    @app.get("/<uid>")
    def rooms(uid):
        return render_template("rooms.html", uid=_checked_uid(uid), rooms=list(chat.rooms))

    @app.get("/<room>/<uid>")
    def room_page(room, uid):
        room, uid = _checked_room(chat, room), _checked_uid(uid)
        history = list(chat.rooms[room].history)
        chat.subscribe(room, uid, fresh=True)  # no switch in between: nothing is missed
        return render_template("room.html", room=room, uid=uid, history=history)

    @app.post("/put/<room>/<uid>")
    def put(room, uid):
        room, uid = _checked_room(chat, room), _checked_uid(uid)
        text = request.form.get("message", "")
        if not text.strip():
            abort(400, description="the form field 'message' is missing or empty")
        if len(text) > MAX_TEXT:
            abort(
                413,
                description=f"a message is at most {MAX_TEXT} characters, this one has {len(text)}",
            )
        chat.post(room, uid, text)
        return "OK\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    @app.post("/poll/<uid>")
    def poll(uid):
        return app.json.response(chat.poll(_checked_uid(uid)))

    # websocket=True: Werkzeug's router keeps websocket requests apart from plain ones
    # (a plain GET here gets 400, a websocket to any other address too).
    @app.route("/ws/<room>/<uid>", websocket=True)
    def websocket(room, uid):
        room, uid = _checked_room(chat, room), _checked_uid(uid)
        ws = request.environ.get("wsgi.websocket")
        if ws is None:
            abort(400, description="this address speaks websocket only")
        chat.serve_websocket(ws, room, uid)
        return ""

    return app


# -- the command ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    from coopconc.pywsgi import WSGIServer

    parser = argparse.ArgumentParser(
        prog="python -m coopconc.examples.chat", description="The chat room of notebook 17."
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    parser.add_argument("--log", action="store_true", help="print an access log line per request")
    parser.add_argument(
        "--poll-timeout", type=float, default=10.0, help="seconds a long poll waits (default 10)"
    )
    args = parser.parse_args(argv)

    if not 0 < args.poll_timeout <= 3600:
        parser.error(f"--poll-timeout {args.poll_timeout}: give seconds between 0 and 3600")
    app = create_app(poll_timeout=args.poll_timeout)
    server = WSGIServer((args.host, args.port), app, log="default" if args.log else None)
    stop = Event()
    coopconc.signal_handler(signal.SIGTERM, stop.set)
    coopconc.signal_handler(signal.SIGINT, stop.set)
    try:
        server.start()
    except OSError as exc:
        print(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror}; try another --port",
            file=sys.stderr,
        )
        return 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Chat running on http://{host}:{server.server_port}/ (Ctrl-C to stop)", flush=True)
    stop.wait()
    print("Stopping: closing websockets and pending polls.", flush=True)
    app.chat.shutdown()
    app.websockets.close_all()
    server.stop(timeout=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
