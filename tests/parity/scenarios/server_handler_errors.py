"""A handler that raises is one client's problem: the server goes on serving the next ones,
whether handlers run in greenlets of their own or in the acceptor itself (spawn=None)."""

import gevent
from gevent import socket
from gevent.server import StreamServer


def handle(sock, address):
    data = sock.recv(100)
    if data == b"boom":
        raise ZeroDivisionError("this handler fails")
    sock.sendall(data.upper())


def ask(port, message):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(message)
        sock.shutdown(socket.SHUT_WR)
        return sock.recv(100)


for spawn in ("default", None, 2):
    server = StreamServer(("127.0.0.1", 0), handle, spawn=spawn)
    server.start()
    with gevent.Timeout(10):
        answers = [ask(server.server_port, m) for m in (b"one", b"boom", b"two", b"three")]
    print("spawn =", repr(spawn), "->", answers)
    server.stop()
