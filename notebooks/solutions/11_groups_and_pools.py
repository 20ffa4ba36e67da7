"""Worked solutions of notebook 11's exercises, and plausible wrong answers the checker rejects."""

import coopconc
from coopconc.pool import Group, Pool


def fetch(url, state):
    state["now"] += 1
    state["most"] = max(state["most"], state["now"])
    coopconc.sleep(int(url.rsplit("/", 1)[1]))
    state["now"] -= 1
    return f"<page {url}>"


def crawl(urls, limit):
    state = {"now": 0, "most": 0}
    pages = Pool(limit).map(lambda url: fetch(url, state), urls)
    return (pages, state["most"])


def crawl_serial(urls, limit):
    """Wrong: one fetch at a time."""
    state = {"now": 0, "most": 0}
    pages = [fetch(url, state) for url in urls]
    return (pages, state["most"])


def crawl_in_batches(urls, limit):
    """Wrong: waits for a whole batch of `limit` before starting the next (slots sit idle)."""
    state = {"now": 0, "most": 0}
    pages = []
    for i in range(0, len(urls), limit):
        batch = [coopconc.spawn(fetch, u, state) for u in urls[i : i + limit]]
        coopconc.joinall(batch)
        pages += [g.value for g in batch]
    return (pages, state["most"])


def first_two(durations):
    def nap(i):
        coopconc.sleep(durations[i])
        return i

    group = Group()
    found = []
    for i in group.imap_unordered(nap, range(len(durations))):
        found.append(i)
        if len(found) == 2:
            break
    group.kill()
    return found


def first_two_sorted(durations):
    """Wrong: sorts instead of racing (and returns at once)."""
    return sorted(range(len(durations)), key=lambda i: durations[i])[:2]


def first_two_no_kill(durations):
    """Wrong: stops after two, but leaves the others sleeping."""
    greenlets = [
        coopconc.spawn(lambda i=i: coopconc.sleep(durations[i]) or i) for i in range(len(durations))
    ]
    return [g.value for g in list(coopconc.iwait(greenlets, count=2))]


SOLUTIONS = {"11.1": crawl, "11.2": first_two}
WRONG = {
    "11.1": [crawl_serial, crawl_in_batches],
    "11.2": [first_two_sorted, first_two_no_kill],
}
