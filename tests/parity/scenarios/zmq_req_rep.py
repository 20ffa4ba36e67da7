"""ZeroMQ REQ/REP between two greenlets in one process: each blocking call switches."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
server = ctx.socket(zmq.REP)
port = server.bind_to_random_port("tcp://127.0.0.1")
client = ctx.socket(zmq.REQ)
client.connect(f"tcp://127.0.0.1:{port}")


def serve():
    for _ in range(3):
        msg = server.recv()
        print("server got", msg)
        server.send(msg.upper())
    request = server.recv_multipart()
    print("server got parts", request)
    server.send_multipart([b"ok", str(len(request)).encode()])
    print("server got string", repr(server.recv_string()))
    server.send_string("réponse")
    print("server got json", server.recv_json())
    server.send_json({"sum": 6})
    print("server got pyobj", server.recv_pyobj())
    server.send_pyobj({1, 2, 3})


def ask():
    for word in (b"hello", b"green", b"world"):
        print("client sends", word)
        client.send(word)
        print("client got", client.recv())
    client.send_multipart([b"a", b"b", b"c"])
    print("client got parts", client.recv_multipart())
    client.send_string("question")
    print("client got string", repr(client.recv_string()))
    client.send_json([1, 2, 3])
    print("client got json", client.recv_json())
    client.send_pyobj(("tuple", 1))
    print("client got pyobj", sorted(client.recv_pyobj()))


gevent.joinall([gevent.spawn(serve), gevent.spawn(ask)], raise_error=True)
print("socket types:", server.type == zmq.REP, client.type == zmq.REQ)
print(
    "subclasses of pyzmq's:",
    isinstance(server, zmq.Socket),
    issubclass(zmq.Socket, __import__("zmq").Socket),
)
server.close(0)
client.close(0)
ctx.term()
print("done")
