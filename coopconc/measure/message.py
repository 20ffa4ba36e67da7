"""Moving a message from a producer to its consumer, at a size of your choice.

Between processes the bytes are copied (through the kernel for a pipe; into and out of a shared
block for shared memory, with one notification per batch -- real code also needs its own
synchronisation). Within one process only a reference moves, so the size hardly matters there;
between processes it does, and which of pipe and shared memory wins depends on it (notebook 01
measures the turn).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable

from coopconc.measure.common import (
    CHANNELS,
    MESSAGE_N,
    best,
    count,
    is_quick,
    kinds_of,
    repeats,
    row,
)


def _read_exact(fd: int, size: int) -> bytes:
    data = os.read(fd, size)
    while len(data) < size:  # a pipe read may return less than asked for
        more = os.read(fd, size - len(data))
        if not more:
            raise EOFError("the pipe closed in the middle of a message")
        data += more
    return data


def _message_pipe(n: int, message: bytes) -> float:
    data_r, data_w = os.pipe()
    ack_r, ack_w = os.pipe()
    size = len(message)
    pid = os.fork()
    if pid == 0:  # the consumer: read n messages, then say so
        try:
            os.close(data_w)
            for _ in range(n):
                _read_exact(data_r, size)
            os.write(ack_w, b"k")
        finally:
            os._exit(0)
    os.close(data_r)
    os.close(ack_w)
    try:
        t0 = time.perf_counter()
        for _ in range(n):
            os.write(data_w, message)  # blocks while the pipe is full
        os.read(ack_r, 1)
        return time.perf_counter() - t0
    finally:
        os.close(data_w)
        os.close(ack_r)
        os.waitpid(pid, 0)


def _message_shared_memory(n: int, message: bytes) -> float:
    from multiprocessing import shared_memory

    size = len(message)
    block = shared_memory.SharedMemory(create=True, size=n * size)
    block.buf[:] = bytes(n * size)  # touch every page first (untimed): a reused buffer is mapped
    go_r, go_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the producer: on "go", write n messages into the block, then say "done"
        try:
            buf = block.buf
            os.read(go_r, 1)
            for i in range(n):
                buf[i * size : (i + 1) * size] = message
            os.write(done_w, b"d")
        finally:
            os._exit(0)
    try:
        buf = block.buf
        t0 = time.perf_counter()
        os.write(go_w, b"g")
        os.read(done_r, 1)  # one notification for the whole batch: no kernel per message
        for i in range(n):
            bytes(buf[i * size : (i + 1) * size])  # the consumer copies each message out
        elapsed = time.perf_counter() - t0
        del buf
        return elapsed
    finally:
        os.waitpid(pid, 0)
        for fd in (go_r, go_w, done_r, done_w):
            os.close(fd)
        block.close()
        block.unlink()


def _message_thread_queue(n: int, message: bytes) -> float:
    q = queue.Queue()
    finished = threading.Event()

    def consumer():
        get = q.get
        for _ in range(n):
            get()
        finished.set()

    t = threading.Thread(target=consumer, name="consumer")
    t.start()
    t0 = time.perf_counter()
    put = q.put
    for _ in range(n):
        put(message)
    finished.wait()
    elapsed = time.perf_counter() - t0
    t.join()
    return elapsed


def _message_greenlet_queue(n: int, message: bytes) -> float:
    import coopconc
    from coopconc.queue import Queue

    q = Queue()

    def producer():
        put = q.put
        for _ in range(n):
            put(message)

    def consumer():
        get = q.get
        for _ in range(n):
            get()

    t0 = time.perf_counter()
    coopconc.joinall([coopconc.spawn(consumer), coopconc.spawn(producer)])
    return time.perf_counter() - t0


def _consumer_generator():
    while True:
        yield


def _message_generator(n: int, message: bytes) -> float:
    gen = _consumer_generator()
    next(gen)
    send = gen.send
    t0 = time.perf_counter()
    for _ in range(n):
        send(message)
    return time.perf_counter() - t0


_MESSAGE = {
    "pipe": _message_pipe,
    "shared_memory": _message_shared_memory,
    "queue.Queue": _message_thread_queue,
    "coopconc.Queue": _message_greenlet_queue,
    "generator": _message_generator,
}


def message_cost(
    channels: Iterable[str] | None = None,
    n: int | None = None,
    size: int = 256,
    quick: bool | None = None,
    repeat: int | None = None,
) -> list[dict]:
    """Seconds to move one ``size``-byte message from a producer to its consumer.

    One row per channel; the row's ``"kind"`` is the channel name, ``"how"`` says what it is
    and ``"size"`` is the message size in bytes.
    """
    channels = kinds_of(channels, CHANNELS, "message_cost", "channels", "channel")
    size = count(size, "size", "message_cost")
    quick = is_quick(quick)
    repeat = repeats(repeat, quick, "message_cost")
    units = MESSAGE_N[1 if quick else 0] if n is None else count(n, "n", "message_cost")
    message = b"m" * size
    rows = []
    for channel in channels:
        seconds = best(repeat, _MESSAGE[channel], units, message)
        rows.append(
            row(
                "message",
                channel,
                units,
                seconds,
                seconds / units,
                how=CHANNELS[channel],
                size=size,
            )
        )
    return rows
