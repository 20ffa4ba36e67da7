"""Benchmarks of coopconc.pool: mapping many small jobs through a bounded Pool (issue: pool)."""

from __future__ import annotations

import time

from coopconc.bench import benchmark


def _trivial(x):
    return x


@benchmark("Pool(100).map 50k items", unit="item", n=50_000)
def pool_map(lib, n):
    """Pool(100).map of a trivial function over n items: spawn, slot hand-off, result, in order."""
    pool = lib.sub("pool").Pool(100)
    items = range(n)
    t0 = time.perf_counter()
    result = pool.map(_trivial, items)
    elapsed = time.perf_counter() - t0
    assert len(result) == n
    return elapsed


@benchmark("Pool(100).imap_unordered 50k items", unit="item", n=50_000)
def pool_imap_unordered(lib, n):
    """Pool(100).imap_unordered of a trivial function, consumed as results arrive."""
    pool = lib.sub("pool").Pool(100)
    t0 = time.perf_counter()
    count = sum(1 for _ in pool.imap_unordered(_trivial, range(n)))
    elapsed = time.perf_counter() - t0
    assert count == n
    return elapsed
