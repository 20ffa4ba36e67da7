"""What a cooperative socket raises and returns, in the cases a program must handle."""

import struct

import gevent
from gevent import socket

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(10)
address = listener.getsockname()


def recv_or_error(sock, n):
    try:
        return sock.recv(n)
    except OSError as e:
        return e


def connected_pair():
    client = socket.create_connection(address)
    conn, _ = listener.accept()
    return client, conn


# 1. the peer sends a little and hangs up: recv returns the data, then b""
client, conn = connected_pair()
client.sendall(b"last words")
client.close()
print("1.", conn.recv(100), conn.recv(100))
conn.close()

# 2. the peer resets the connection
client, conn = connected_pair()
client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
reader = gevent.spawn(recv_or_error, conn, 100)
gevent.sleep(0.01)
client.close()
e = reader.get()
print("2.", type(e).__name__, e.errno == 104)
conn.close()

# 3. a timeout
a, b = socket.socketpair()
a.settimeout(0.05)
try:
    a.recv(10)
except socket.timeout as e:
    print("3.", type(e).__name__, e)
print("   timeout is", a.gettimeout(), "blocking:", a.getblocking())

# 4. another greenlet closes the socket we are blocked on
a.settimeout(None)
blocked = gevent.spawn(recv_or_error, a, 10)
gevent.sleep(0.01)
a.close()
e = blocked.get()
print("4.", type(e).__name__, e.errno, e.strerror)

# 5. a closed socket used again
try:
    a.recv(10)
except OSError as e:
    print("5.", type(e).__name__, e.errno)

# 6. writing to a peer that is gone
b2, c2 = socket.socketpair()
c2.close()
try:
    b2.sendall(b"anyone?")
except OSError as e:
    print("6.", type(e).__name__)

# 7. nobody listening
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
try:
    socket.create_connection(probe.getsockname())
except OSError as e:
    print("7.", type(e).__name__)
print("   connect_ex:", socket.socket().connect_ex(probe.getsockname()) == 111)

for s in (b, b2, probe, listener):
    s.close()
