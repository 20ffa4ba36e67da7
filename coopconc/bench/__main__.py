"""``python -m coopconc.bench``: time coopconc against gevent and print the table."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from coopconc.bench import Lib, load_all


def run_one(name: str, libname: str, repeat: int, scale: float) -> float:
    """In this process: run one benchmark on one library; return the best seconds per op."""
    bench = load_all()[name]
    n = max(1, int(bench.n * scale))
    lib = Lib(libname)
    best = min(bench.fn(lib, n) for _ in range(repeat))
    return best / n


def _run_child(name: str, lib: str, scale: float) -> float | None:
    """One measurement (best of two runs) in a fresh interpreter; None if it failed."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "coopconc.bench",
            "--one",
            name,
            lib,
            "--repeat",
            "2",
            "--scale",
            str(scale),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        print(f"  {name} on {lib} failed:\n{out.stderr}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coopconc.bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="rounds; in each, every library runs once (best of 2) in a fresh process; best counts",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every n by this")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--one", nargs=2, metavar=("NAME", "LIB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.scale <= 0:
        parser.error("--repeat must be at least 1 and --scale above 0")

    registry = load_all()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args.repeat, args.scale)))
        return 0
    if args.list:
        for b in registry.values():
            print(f"{b.name:32} n={b.n:<8} libs={','.join(b.libs)}")
        return 0
    unknown = [n for n in args.names if n not in registry]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; see --list for the names")
    names = args.names or list(registry)

    rows = []
    libs = ["coopconc", "gevent", "greenlet"]
    if not args.json:
        print(
            f"{'benchmark':32} {'unit':>9} "
            + " ".join(f"{lib:>10}" for lib in libs)
            + f" {'ratio':>7}"
        )
        print(f"{'':32} {'':>9} " + " ".join(f"{'us/op':>10}" for _ in libs) + f" {'cc/gev':>7}")
    for name in names:
        b = registry[name]
        row = {"benchmark": name, "unit": b.unit, "n": b.n}
        # The libraries take turns, round after round, each run in a fresh process; the best
        # run counts. Taking turns keeps a slow minute of a shared machine from landing on one
        # library only.
        best: dict[str, float | None] = {lib: None for lib in libs}
        failed: set[str] = set()
        for _round in range(args.repeat):
            for lib in libs:
                if lib not in b.libs or lib in failed:
                    continue
                seconds = _run_child(name, lib, args.scale)
                if seconds is None:
                    failed.add(lib)
                elif best[lib] is None or seconds < best[lib]:
                    best[lib] = seconds
        for lib in libs:
            row[lib] = best[lib] * 1e6 if best[lib] is not None else None
        ratio = row["coopconc"] / row["gevent"] if row["coopconc"] and row["gevent"] else None
        row["ratio"] = ratio
        rows.append(row)
        if not args.json:
            cells = " ".join(f"{row[lib]:10.3f}" if row[lib] else f"{'-':>10}" for lib in libs)
            print(
                f"{name:32} {b.unit:>9} {cells} {ratio:7.2f}"
                if ratio
                else f"{name:32} {b.unit:>9} {cells} {'-':>7}",
                flush=True,
            )
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
