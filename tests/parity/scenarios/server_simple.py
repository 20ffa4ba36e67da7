"""The source's "simple server": a telnet-style line server and a few clients, one program.

The server greets each client, echoes its lines back with a prefix, and says bye on "quit".
Three clients talk to it at the same time; what each one heard is printed in client order.
"""

import gevent
from gevent import socket
from gevent.server import StreamServer

served = []


def handle(sock, address):
    sock.sendall(b"Welcome! Type a line, or quit to leave.\r\n")
    lines = sock.makefile("rb")
    while True:
        line = lines.readline()
        if not line:
            break
        if line.strip().lower() == b"quit":
            sock.sendall(b"bye\r\n")
            break
        sock.sendall(b"echo: " + line)
    lines.close()
    served.append(address[0])


server = StreamServer(("127.0.0.1", 0), handle)
server.start()
print("server started:", server.started, "on", server.server_host)


def client(name, words):
    sock = socket.create_connection(("127.0.0.1", server.server_port))
    replies = sock.makefile("rb")
    heard = [replies.readline()]
    for word in words:
        sock.sendall(word.encode() + b"\r\n")
        heard.append(replies.readline())
        gevent.sleep(0.001)
    sock.sendall(b"quit\r\n")
    heard.append(replies.readline())
    heard.append(replies.readline())  # b"": the server closed the connection
    replies.close()
    sock.close()
    return name, heard


clients = [
    gevent.spawn(client, "alice", ["hello", "how are you?"]),
    gevent.spawn(client, "bob", ["ping"]),
    gevent.spawn(client, "carol", ["one", "two", "three"]),
]
gevent.joinall(clients, raise_error=True)
for g in clients:
    name, heard = g.value
    print(name)
    for line in heard:
        print("   ", line)
gevent.sleep(0.01)
print("connections served:", len(served), "from", sorted(set(served)))
server.stop()
print("server started:", server.started, "closed:", server.closed)
