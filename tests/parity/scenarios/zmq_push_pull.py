"""PUSH/PULL fan-out: 300 tasks to three workers, each task done exactly once."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
ventilator = ctx.socket(zmq.PUSH)
port = ventilator.bind_to_random_port("tcp://127.0.0.1")
sink = ctx.socket(zmq.PULL)
sink_port = sink.bind_to_random_port("tcp://127.0.0.1")
N = 300


def worker(index):
    tasks = ctx.socket(zmq.PULL)
    tasks.connect(f"tcp://127.0.0.1:{port}")
    results = ctx.socket(zmq.PUSH)
    results.connect(f"tcp://127.0.0.1:{sink_port}")
    try:
        while True:
            task = tasks.recv_json()
            gevent.sleep(0)  # some work
            results.send_json({"task": task, "worker": index})
    finally:
        tasks.close(0)
        results.close(0)


workers = [gevent.spawn(worker, i) for i in range(3)]
gevent.sleep(0.2)  # let the workers connect (PUSH only deals to connected peers)
for task in range(N):
    ventilator.send_json(task)
done = [sink.recv_json() for _ in range(N)]
tasks = sorted(d["task"] for d in done)
print("results:", len(done))
print("every task exactly once:", tasks == list(range(N)))
print("nothing more arrives:", sink.poll(100) == 0)
gevent.killall(workers)
ventilator.close(0)
sink.close(0)
ctx.term()
