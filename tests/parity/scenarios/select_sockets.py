"""select and poll over several sockets: whichever becomes readable wakes the caller."""

import gevent
from gevent import select, socket

pairs = [socket.socketpair() for _ in range(3)]
readers = [a for a, _ in pairs]


def write_later(index, delay, data):
    gevent.sleep(delay)
    print("writer", index, "sends", data)
    pairs[index][1].sendall(data)


gevent.spawn(write_later, 2, 0.01, b"two")
gevent.spawn(write_later, 0, 0.05, b"zero")

for _ in range(2):
    r, w, x = select.select(readers, [], [], 5)
    for sock in r:
        print("select: socket", readers.index(sock), "is readable:", sock.recv(100))

print("select with nothing ready, timeout 0.01:", select.select(readers, [], [], 0.01))
print("writable at once:", [pairs.index(p) for p in pairs if select.select([], [p[0]], [], 0)[1]])

p = select.poll()
for sock in readers:
    p.register(sock, select.POLLIN)
gevent.spawn(write_later, 1, 0.01, b"one")
for fd, event in p.poll(5000):
    index = [s.fileno() for s in readers].index(fd)
    print(
        "poll: socket",
        index,
        "POLLIN" if event & select.POLLIN else event,
        readers[index].recv(100),
    )
print("poll with nothing ready:", p.poll(10))

for a, b in pairs:
    a.close()
    b.close()
