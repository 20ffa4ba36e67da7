"""The source's SocketPool pattern, with fake sockets: one listener per socket, capped by a Pool."""

import gevent
from gevent.pool import Pool


class FakeSocket:
    """Stands in for a connected socket: recv() waits a little, then returns the next message."""

    def __init__(self, name, messages, delay):
        self.name = name
        self.messages = list(messages)
        self.delay = delay

    def recv(self):
        gevent.sleep(self.delay)
        if not self.messages:
            gevent.sleep(3600)  # a quiet connection: nothing more arrives
        return self.messages.pop(0)


class SocketPool:
    def __init__(self, size):
        self.pool = Pool(size)

    def listen(self, sock):
        while True:
            data = sock.recv()
            print(sock.name, "received", data)

    def add_handler(self, sock):
        if self.pool.full():
            raise Exception("At maximum pool size")
        self.pool.spawn(self.listen, sock)

    def shutdown(self):
        self.pool.kill()


sockets = [FakeSocket(f"sock{i}", [f"hello {i}", f"bye {i}"], 0.01 * (i + 1)) for i in range(4)]
sp = SocketPool(3)
for sock in sockets:
    try:
        sp.add_handler(sock)
        print("listening on", sock.name)
    except Exception as e:
        print("refused", sock.name + ":", e)
gevent.sleep(0.1)
print("listeners:", len(sp.pool), "free:", sp.pool.free_count())
sp.shutdown()
print("after shutdown:", len(sp.pool), "free:", sp.pool.free_count())
