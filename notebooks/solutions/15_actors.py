"""Worked solutions of notebook 15's exercises, and plausible wrong answers the checker rejects."""

import io

import coopconc
from coopconc.actor import Actor, Supervisor


class Counter(Actor):
    def __init__(self):
        Actor.__init__(self)
        self.total = 0

    def receive(self, message):
        kind, value = message
        if kind == "add":
            self.total += value
        elif kind == "get":
            value.set(self.total)


class CounterOnClass(Actor):
    """Wrong: the total lives on the class, shared by every counter."""

    total = 0

    def receive(self, message):
        kind, value = message
        if kind == "add":
            CounterOnClass.total += value
        elif kind == "get":
            value.set(CounterOnClass.total)


class CounterCountsMessages(Actor):
    """Wrong: answers how many numbers it received, not their sum."""

    def __init__(self):
        Actor.__init__(self)
        self.seen = 0

    def receive(self, message):
        kind, value = message
        if kind == "add":
            self.seen += 1
        elif kind == "get":
            value.set(self.seen)


def survive(messages):
    results = []

    class Divider(Actor):
        def receive(self, message):
            results.append(100 // message)

    coopconc.get_hub().exception_stream = io.StringIO()
    supervisor = Supervisor(max_restarts=10)
    actor = supervisor.spawn(Divider, "divider")
    for message in messages:
        actor.send(message)
    while not actor.inbox.empty():  # the inbox moves on to each restarted actor
        coopconc.sleep(0.01)
    supervisor.stop_all(timeout=1)
    return (results, len(supervisor.crashes))


def survive_computed(messages):
    """Wrong: computes the results without any actor."""
    return ([100 // m for m in messages if m], messages.count(0))


def survive_unsupervised(messages):
    """Wrong: no supervisor, so the first 0 ends the actor and later messages are lost."""
    results = []

    class Divider(Actor):
        def receive(self, message):
            results.append(100 // message)

    coopconc.get_hub().exception_stream = io.StringIO()
    actor = Divider()
    actor.start()
    for message in messages:
        actor.send(message)
    coopconc.sleep(0.05)
    crashed = int(actor.ready() and not actor.successful())
    actor.stop(timeout=1)
    return (results, crashed)


SOLUTIONS = {"15.1": Counter, "15.2": survive}
WRONG = {
    "15.1": [CounterOnClass, CounterCountsMessages],
    "15.2": [survive_computed, survive_unsupervised],
}
