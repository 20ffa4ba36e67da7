"""Worked solutions of notebook 10's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.queue import Empty, Queue


def pipeline(words):
    first, second = Queue(1), Queue()

    def produce():
        for word in words:
            first.put(word)
        first.put(StopIteration)

    def shout():
        for word in first:
            second.put(word.upper())
        second.put(StopIteration)

    coopconc.joinall([coopconc.spawn(produce), coopconc.spawn(shout)])
    return list(second)


def pipeline_computed(words):
    """Wrong: no greenlets, no queues."""
    return [w.upper() for w in words]


def pipeline_lowercase(words):
    """Wrong: the second stage forgets to upper-case."""
    first, second = Queue(1), Queue()

    def produce():
        for word in words:
            first.put(word)
        first.put(StopIteration)

    def shout():
        for word in first:
            second.put(word)
        second.put(StopIteration)

    coopconc.joinall([coopconc.spawn(produce), coopconc.spawn(shout)])
    return list(second)


def drain(q):
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except Empty:
            return items


def drain_peek(q):
    """Wrong: reads the items without taking them out."""
    return list(q.queue)


def drain_blocking(q):
    """Wrong: q.get() on an empty queue waits forever (here: LoopExit)."""
    items = []
    for _ in range(3):
        items.append(q.get())
    return items


SOLUTIONS = {"10.1": pipeline, "10.2": drain}
WRONG = {"10.1": [pipeline_computed, pipeline_lowercase], "10.2": [drain_peek, drain_blocking]}
