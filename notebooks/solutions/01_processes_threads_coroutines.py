"""Worked solutions of notebook 01's exercises, and plausible wrong answers the checker rejects."""

import threading
import time


def native_ids(k):
    ids = []
    barrier = threading.Barrier(k)

    def work():
        ids.append(threading.get_native_id())
        barrier.wait()  # nobody ends before all have reported

    threads = [threading.Thread(target=work) for _ in range(k)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ids


def native_ids_one_at_a_time(k):
    """Wrong: each thread is joined before the next starts; they never live together."""
    ids = []
    for _ in range(k):
        t = threading.Thread(target=lambda: ids.append(threading.get_native_id()))
        t.start()
        t.join()
    return ids


def native_ids_made_up(k):
    """Wrong: numbers that are not thread ids at all."""
    return [threading.get_native_id() + i + 1 for i in range(k)]


def sleep_in_threads(k, seconds):
    started = time.perf_counter()
    threads = [threading.Thread(target=time.sleep, args=(seconds,)) for _ in range(k)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def sleep_in_threads_serial(k, seconds):
    """Wrong: each sleep runs after the previous one."""
    started = time.perf_counter()
    for _ in range(k):
        t = threading.Thread(target=time.sleep, args=(seconds,))
        t.start()
        t.join()
    return time.perf_counter() - started


def sleep_in_threads_claimed(k, seconds):
    """Wrong: returns what the answer should be without starting a thread."""
    return float(seconds)


def bucket(seconds):
    if seconds < 1e-6:
        return "ns"
    if seconds < 1e-3:
        return "us"
    if seconds < 1:
        return "ms"
    return "s"


def bucket_inclusive(seconds):
    """Wrong: puts each bound in the smaller unit."""
    if seconds <= 1e-6:
        return "ns"
    if seconds <= 1e-3:
        return "us"
    if seconds <= 1:
        return "ms"
    return "s"


SOLUTIONS = {"01.1": native_ids, "01.2": sleep_in_threads, "01.3": bucket}
WRONG = {
    "01.1": [native_ids_one_at_a_time, native_ids_made_up],
    "01.2": [sleep_in_threads_serial, sleep_in_threads_claimed],
    "01.3": [bucket_inclusive],
}
