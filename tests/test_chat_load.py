"""Load: 500 long-polling and 500 websocket clients on one chat server.

The server is ``python -m coopconc.examples.chat`` in its own process; the thousand clients
are greenlets in this one (coopconc sockets, coopconc.examples.clients). Every message must
reach every member of its room exactly once, and after everybody leaves the server has
exactly the file descriptors it had before they came (counted in /proc/<pid>/fd).
"""

from __future__ import annotations

import collections
import json
import os
import time

from chat_support import ChatProcess

import coopconc
from coopconc.examples.clients import HTTPClient, WebSocketClient
from coopconc.lock import Semaphore
from coopconc.socket import create_connection

ROOMS = ("topic1", "topic2")
WEBSOCKET_CLIENTS = 500
POLL_CLIENTS = 500
MESSAGES_PER_ROOM = 10  # half posted with /put, half over websockets


def server_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_500_pollers_and_500_websockets_get_every_message_exactly_once():
    with ChatProcess("--poll-timeout", "1") as chat:
        pid = chat.process.pid
        time.sleep(0.2)
        fds_before = server_fds(pid)
        coopconc.run(lambda: run_clients(chat.port), clock="real")
        deadline = time.monotonic() + 15
        while server_fds(pid) != fds_before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server_fds(pid) == fds_before, (
            f"the server had {fds_before} fds before the clients, {server_fds(pid)} after"
        )
        assert chat.stop() == 0
        assert chat.process.stderr.read() == ""  # no traceback, no refused request


def run_clients(port: int) -> None:
    connecting = Semaphore(50)  # stay within the server's listen backlog
    ready = coopconc.event.Event()
    go = coopconc.event.Event()
    joined = [0]
    total = WEBSOCKET_CLIENTS + POLL_CLIENTS
    expected = {room: [] for room in ROOMS}
    for room in ROOMS:
        for i in range(MESSAGES_PER_ROOM):
            sender = f"poster-{room}" if i % 2 == 0 else f"ws-{room}-0"
            expected[room].append(f"{sender}: message {i} in {room}")
    received: dict[str, list] = {}

    def connect():
        with connecting:
            return create_connection(("127.0.0.1", port), timeout=30)

    def arrived() -> None:
        joined[0] += 1
        if joined[0] == total:
            ready.set()

    def websocket_client(room: str, uid: str) -> None:
        with connecting:
            client = WebSocketClient(
                create_connection(("127.0.0.1", port), timeout=30), f"/ws/{room}/{uid}"
            )
        arrived()
        got = received[uid] = []
        if uid == f"ws-{room}-0":
            go.wait()
            for i in range(1, MESSAGES_PER_ROOM, 2):
                client.send(json.dumps({"message": f"message {i} in {room}"}))
                coopconc.sleep(0.01)  # in order with the /put poster (who posts the even ones)
        while len(got) < MESSAGES_PER_ROOM:
            message = client.receive()
            assert message is not None, f"{uid}: the server closed with {client.close_code}"
            got.append(json.loads(message))
        client.sock.settimeout(1.5)
        try:
            extra = client.receive()
        except TimeoutError:
            extra = None
        assert extra is None, f"{uid} got {extra!r} after all its messages"
        client.close()

    def poll_client(room: str, uid: str) -> None:
        client = HTTPClient(connect())
        status, _page = client.request("GET", f"/{room}/{uid}")  # visiting the page subscribes
        assert status == 200
        arrived()
        got = received[uid] = []
        while len(got) < MESSAGES_PER_ROOM:
            got.extend(client.json("POST", f"/poll/{uid}"))
        got.extend(client.json("POST", f"/poll/{uid}"))  # one more: must be [] (after 1 s)
        client.close()

    def poster(room: str) -> None:
        client = HTTPClient(connect())
        go.wait()
        coopconc.sleep(0.005)
        for i in range(0, MESSAGES_PER_ROOM, 2):
            status, body = client.request(
                "POST", f"/put/{room}/poster-{room}", {"message": f"message {i} in {room}"}
            )
            assert status == 200, body
            coopconc.sleep(0.01)
        client.close()

    clients = []
    for k in range(WEBSOCKET_CLIENTS):
        room = ROOMS[k % 2]
        clients.append(coopconc.spawn(websocket_client, room, f"ws-{room}-{k // 2}"))
    for k in range(POLL_CLIENTS):
        room = ROOMS[k % 2]
        clients.append(coopconc.spawn(poll_client, room, f"poll-{room}-{k // 2}"))
    posters = [coopconc.spawn(poster, room) for room in ROOMS]
    assert ready.wait(60), f"only {joined[0]} of {total} clients joined within 60 s"
    go.set()
    coopconc.joinall(clients + posters, timeout=60, raise_error=True)
    assert all(g.ready() for g in clients), (
        "some clients did not get all their messages within 60 s"
    )

    assert len(received) == total
    for uid, got in received.items():
        room = uid.split("-")[1]
        assert collections.Counter(got) == collections.Counter(expected[room]), f"{uid} got {got}"
