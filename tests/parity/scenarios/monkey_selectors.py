"""patch_all makes the stdlib's selectors cooperative: socketserver's serve_forever and
multiprocessing.connection.wait wait in the hub while other greenlets run."""

from gevent import monkey

monkey.patch_all()

import selectors  # noqa: E402
import socketserver  # noqa: E402
import time  # noqa: E402
from multiprocessing import Pipe  # noqa: E402
from multiprocessing.connection import wait  # noqa: E402

import gevent  # noqa: E402
from gevent import socket  # noqa: E402

ticks = []


def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.005)


gevent.spawn(ticker)

# 1. a plain selector waits cooperatively
a, b = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(a, selectors.EVENT_READ, "a")
gevent.spawn_later(0.05, b.sendall, b"x")
before = len(ticks)
events = sel.select(timeout=5)
print(
    "selector:",
    [(key.data, mask) for key, mask in events],
    "| ticked meanwhile:",
    len(ticks) > before,
)
sel.close()


# 2. socketserver (http.server's base) in a greenlet
class Upper(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        time.sleep(0.03)  # patched: the other greenlets run meanwhile
        self.wfile.write(line.upper())


server = socketserver.TCPServer(("127.0.0.1", 0), Upper)
serving = gevent.spawn(server.serve_forever, 0.01)


def client(line):
    with socket.create_connection(server.server_address) as sock:
        sock.sendall(line + b"\n")
        return sock.makefile("rb").readline()


before = len(ticks)
replies = [g.get(timeout=5) for g in [gevent.spawn(client, w) for w in (b"alpha", b"beta")]]
print("socketserver:", replies, "| ticked meanwhile:", len(ticks) > before)
server.shutdown()
serving.join(timeout=5)
server.server_close()
print("serve_forever ended:", serving.dead)

# 3. multiprocessing.connection.wait
reader, writer = Pipe(duplex=False)
gevent.spawn_later(0.05, writer.send, "hello")
before = len(ticks)
ready = wait([reader], timeout=5)
print("wait:", ready == [reader], reader.recv(), "| ticked meanwhile:", len(ticks) > before)
