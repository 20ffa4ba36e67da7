"""zmq.Poller and Socket.poll: a timeout with nothing ready, then data arriving later."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
a_in = ctx.socket(zmq.PULL)
a_port = a_in.bind_to_random_port("tcp://127.0.0.1")
b_in = ctx.socket(zmq.PULL)
b_port = b_in.bind_to_random_port("tcp://127.0.0.1")
a_out = ctx.socket(zmq.PUSH)
a_out.connect(f"tcp://127.0.0.1:{a_port}")
b_out = ctx.socket(zmq.PUSH)
b_out.connect(f"tcp://127.0.0.1:{b_port}")

poller = zmq.Poller()
poller.register(a_in, zmq.POLLIN)
poller.register(b_in, zmq.POLLIN)
ticks = []
ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.01)) for _ in range(5)])
print("nothing ready, 100 ms:", poller.poll(100))
ticker.join()
print("the ticker ran while the poller waited:", len(ticks))


def send_later(sock, delay, data):
    gevent.sleep(delay)
    sock.send(data)


gevent.spawn(send_later, b_out, 0.05, b"to b")
ready = dict(poller.poll(5000))
print("b ready:", b_in in ready, "a ready:", a_in in ready)
print("b has:", b_in.recv())
gevent.spawn(send_later, a_out, 0.05, b"to a")
print("a.poll:", a_in.poll(5000) == zmq.POLLIN, a_in.recv())
print("a.poll 50 ms, nothing:", a_in.poll(50))
print("a_out writable:", a_out.poll(0, zmq.POLLOUT) == zmq.POLLOUT)
for sock in (a_in, b_in, a_out, b_out):
    sock.close(0)
ctx.term()
