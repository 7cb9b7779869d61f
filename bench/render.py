"""Renderer cost versus config size: is `render_config` linear in the output size?

Run: `.venv/bin/python bench/render.py [--repeat 5]`. Renders `frrnode.frr.samples.scaled_node`
configs of growing size (templates compiled beforehand) and prints, per size, the best time
of `--repeat` runs, the cost per output line, and that cost as a ratio to the smallest size.
Ratios near (or below) 1.0 mean linear scaling; the absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import time

from frrnode.frr.render import render_config
from frrnode.frr.samples import scaled_node

SIZES = ((10, 20), (100, 20), (1000, 20), (100, 200), (500, 200))


def best_of(repeat: int, neighbors: int, prefixes: int) -> tuple[float, int]:
    node = scaled_node(neighbors, prefixes)
    best = float("inf")
    lines = 0
    for _ in range(repeat):
        start = time.perf_counter()
        text = render_config(node)
        best = min(best, time.perf_counter() - start)
        lines = text.count("\n")
    return best, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    render_config(scaled_node(1, 1))  # compile the templates outside the measurement
    base: float | None = None
    print(f"{'neighbors':>9} {'prefixes':>8} {'lines':>8} {'best s':>8} {'us/line':>8} {'ratio':>6}")
    for neighbors, prefixes in SIZES:
        seconds, lines = best_of(args.repeat, neighbors, prefixes)
        per_line = seconds / lines
        base = base or per_line
        cost = f"{seconds:>8.3f} {per_line * 1e6:>8.2f} {per_line / base:>6.2f}"
        print(f"{neighbors:>9} {prefixes:>8} {lines:>8} {cost}")


if __name__ == "__main__":
    main()
