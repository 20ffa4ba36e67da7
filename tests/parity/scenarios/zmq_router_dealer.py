"""ROUTER/DEALER: one router answers three dealers that send at the same time."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER)
port = router.bind_to_random_port("tcp://127.0.0.1")


def serve(count):
    for _ in range(count):
        identity, request = router.recv_multipart()
        router.send_multipart([identity, b"re: " + request])


def dealer(name, requests):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, name.encode())
    sock.connect(f"tcp://127.0.0.1:{port}")
    for i in range(requests):
        sock.send(f"{name} #{i}".encode())
    replies = [sock.recv().decode() for _ in range(requests)]
    sock.close(0)
    return replies


names = ["ann", "bob", "cid"]
server = gevent.spawn(serve, 3 * 4)
dealers = [gevent.spawn(dealer, name, 4) for name in names]
gevent.joinall([server, *dealers], raise_error=True)
for name, g in zip(names, dealers):
    print(name, g.value)
router.close(0)
ctx.term()
