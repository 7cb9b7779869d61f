"""FRR 8.4 prefix-lists: which way of feeding the same entries avoids the quadratic cost?

    sudo .venv/bin/python bench/prefix_lists.py [--sizes 500 1000] [--reps 1]

For each size N, one list `ip prefix-list L seq i permit 198.18.x.y/32` (i = 1..N) is fed to a
freshly started, empty FRR instance (zebra, bgpd, staticd, bfdd; namespace and pathspace
`ipl<pid>`, always removed) in each of these ways, and the wall time until vtysh returns is
printed, with the daemons' CPU time:

- every daemon, one `vtysh -f` (what frr-reload.py and a plain batch do);
- every daemon, entries in descending seq;
- every daemon, `vtysh -f` in chunks of 100 lines;
- bgpd alone (`vtysh -d bgpd -f`), one file;
- bgpd alone, chunks of 100 lines (what IncrementalApplier does).

Each run checks afterwards that bgpd holds N entries and that `show running-config` lists them.
Why it is quadratic: every new entry is checked for duplicates against every entry of its list
(`plist_is_dup` in FRR's lib/filter_nb.c walks the list in the YANG tree), in every daemon the
line is sent to; FRR >= 9.1 no longer has the cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from frrnode.frr.instance import FrrInstance
from frrnode.frr.vtysh import Vtysh

CHUNK = 100


def entries(n: int, descending: bool = False) -> list[str]:
    lines = [f"ip prefix-list L seq {i + 1} permit 198.18.{i // 250}.{i % 250}/32" for i in range(n)]
    return lines[::-1] if descending else lines


def chunks(lines: list[str]) -> list[list[str]]:
    return [lines[i : i + CHUNK] for i in range(0, len(lines), CHUNK)]


def feed(vtysh: Vtysh, lines: list[str], daemon: str | None = None, chunked: bool = False) -> None:
    for part in chunks(lines) if chunked else [lines]:
        vtysh.configure(part, daemon=daemon)


def variants(n: int) -> dict[str, Callable[[Vtysh], None]]:
    return {
        "every daemon, one vtysh -f": lambda v: feed(v, entries(n)),
        "every daemon, descending seq": lambda v: feed(v, entries(n, descending=True)),
        "every daemon, chunks of 100": lambda v: feed(v, entries(n), chunked=True),
        "bgpd alone, one vtysh -d bgpd -f": lambda v: feed(v, entries(n), daemon="bgpd"),
        "bgpd alone, chunks of 100": lambda v: feed(v, entries(n), daemon="bgpd", chunked=True),
    }


def daemon_cpu(frr: FrrInstance) -> float:
    total = 0.0
    for pid in frr.pids().values():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 1000])
    ap.add_argument("--reps", type=int, default=1)
    args = ap.parse_args(argv)
    name = f"ipl{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    frr = FrrInstance(name, name, timeout=900)
    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        for _ in range(args.reps):
            for n in args.sizes:
                for label, way in variants(n).items():
                    frr.stop()
                    frr.start("")
                    cpu = daemon_cpu(frr)
                    start = time.perf_counter()
                    way(frr.vtysh)
                    seconds = time.perf_counter() - start
                    used = daemon_cpu(frr) - cpu
                    # One section per daemon and list (`BGP: ip prefix-list L: N entries`).
                    shown = frr.vtysh.run("show ip prefix-list")
                    bgp = shown.partition("BGP: ip prefix-list L:")[2]
                    held = sum(1 for line in bgp.splitlines()[1:] if line.startswith("   seq "))
                    running = frr.vtysh.running_config().count("ip prefix-list L seq ")
                    if held != n or running != n:
                        raise SystemExit(f"{label}: bgpd holds {held}, running config shows {running} of {n}")
                    results.setdefault((label, n), []).append((seconds, used))
                    print(f"  {n:>6} {label:<36} {seconds:7.2f} s  daemons' CPU {used:6.2f} s", flush=True)
    finally:
        frr.cleanup()
        subprocess.run(["ip", "netns", "del", name], check=False)

    print(f"\n{'way of feeding':<36} " + " ".join(f"{n:>9}" for n in args.sizes) + "  vs first")
    base = {n: min(s for s, _ in results[(next(iter(variants(n))), n)]) for n in args.sizes}
    for label in variants(args.sizes[0]):
        best = {n: min(s for s, _ in results[(label, n)]) for n in args.sizes}
        speedup = base[args.sizes[-1]] / best[args.sizes[-1]]
        print(f"{label:<36} " + " ".join(f"{best[n]:8.2f}s" for n in args.sizes) + f"  {speedup:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
