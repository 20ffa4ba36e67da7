"""PUB/SUB: three subscribers with topic filters; each gets exactly its topics, in order."""

import gevent
import zmq.green as zmq
from gevent.event import Event

ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
port = pub.bind_to_random_port("tcp://127.0.0.1")
filters = {"weather": [b"weather"], "sport": [b"sport"], "both": [b"weather", b"sport"]}
subs = {}
for name, topics in filters.items():
    sub = ctx.socket(zmq.SUB)
    sub.connect(f"tcp://127.0.0.1:{port}")
    for topic in topics:
        sub.setsockopt(zmq.SUBSCRIBE, topic)
    subs[name] = sub
ready = {name: Event() for name in subs}
received = {name: [] for name in subs}


def listen(name):
    ends = 0
    while ends < len(filters[name]):
        topic, body = subs[name].recv_multipart()
        if body == b"warm-up":  # the subscription has reached the publisher
            ready[name].set()
            continue
        if body == b"end":
            ends += 1
            continue
        received[name].append((topic.decode(), body.decode()))


listeners = [gevent.spawn(listen, name) for name in subs]
# A SUB socket's subscription travels to the publisher after connect ("slow joiner"):
# publish a warm-up on every topic until every subscriber has seen one.
while not all(event.is_set() for event in ready.values()):
    for topic in (b"weather", b"sport"):
        pub.send_multipart([topic, b"warm-up"])
    gevent.sleep(0.01)
for i in range(3):
    pub.send_multipart([b"weather", f"sunny {i}".encode()])
    pub.send_multipart([b"sport", f"goal {i}".encode()])
    pub.send_multipart([b"news", f"ignored {i}".encode()])
for topic in (b"weather", b"sport"):
    pub.send_multipart([topic, b"end"])
gevent.joinall(listeners, raise_error=True)
for name in subs:
    print(name, received[name])
for sock in [pub, *subs.values()]:
    sock.close(0)
ctx.term()
