"""Benchmark: IncrementalApplier vs frr-reload.py on one real FRR 8.4.4 instance.

    .venv/bin/python bench/apply.py [--neighbors 4] [--prefixes 1000] [--reps 3] [--remove-reps 2]

Config: frr-k8s shape (rendered with `render_config`): one router, N neighbors, each allowed
to receive all P router prefixes (per-neighbor `-allowed-ipv4` prefix-lists of P entries,
`-out`/`-in` route-maps). Neighbors are 172.30.10.x addresses nobody answers (sessions stay
Active), so FRR's config path is measured, not BGP.

Measured, on the same FRR instance, each a few times (medians printed):
- a one-prefix change (one advertised /32 replaced by another that sorts at the same place,
  i.e. one entry in each of the N lists plus one `network` line), and back;
- removing 2 of the N neighbors (with their lists and route-maps);
for IncrementalApplier, ReloadApplier (frr-reload.py as the agent runs it: dry-run, --test,
--reload, --test) and a bare `frr-reload.py --reload` (the least frr-reload can cost).
After every apply, `frr-reload.py --test` (untimed) checks FRR runs exactly the target.

Needs root, `ip netns` and FRR; creates namespace/pathspace `iab<pid>` and always removes it.
The initial load is the incremental applier's cold start (the whole config as one delta from
an empty FRR, prefix-lists to bgpd alone; a cold frr-reload of 4x1000-entry lists takes ~80 s,
one `vtysh -f` to every daemon ~107 s: FRR 8.4 prefix-lists are quadratic in list size).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from frrnode.frr.incremental import IncrementalApplier
from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import RELOAD_SCRIPT, ReloadApplier, carry_over_host_lines
from frrnode.frr.render import render_config
from frrnode.frr.samples import neighbor
from frrnode.model import Advertise, NodeConfig, Receive, Router, Selector


def prefixes(n: int, changed: int | None = None) -> tuple[str, ...]:
    """n /32s with even last octets; `changed` moves entry `changed` to the odd address next
    to it, which keeps its sort position (so exactly one seq changes in every list)."""
    out = []
    for i in range(n):
        host = 2 * (i % 100) + (1 if i == changed else 0)
        out.append(f"198.18.{i // 100}.{host}/32")
    return tuple(sorted(out))


def node_config(neighbors: int, n_prefixes: int, changed: int | None = None) -> str:
    pfx = prefixes(n_prefixes, changed)
    nbs = tuple(
        sorted(
            (
                neighbor(
                    f"172.30.10.{i + 1}",
                    asn=str(64600 + i),
                    advertise=Advertise(prefixes_v4=pfx),
                    receive=Receive(selectors_v4=(Selector("10.0.0.0/8", le=24),)),
                )
                for i in range(neighbors)
            ),
            key=lambda n: n.id,
        )
    )
    router = Router(asn=64512, router_id="192.0.2.1", prefixes_v4=pfx, neighbors=nbs)
    return render_config(NodeConfig(hostname="bench", routers=(router,)))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--neighbors", type=int, default=4)
    ap.add_argument("--prefixes", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the one-prefix change (each way)")
    ap.add_argument("--remove-reps", type=int, default=2, help="repetitions of the neighbor removal")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    if args.neighbors < 3:
        ap.error("--neighbors must be at least 3 (2 are removed)")

    name = f"iab{os.getpid() % 100000}"
    full = node_config(args.neighbors, args.prefixes)
    one_changed = node_config(args.neighbors, args.prefixes, changed=args.prefixes // 2)
    fewer = node_config(args.neighbors - 2, args.prefixes)
    lines = full.count("\n")
    print(
        f"config: {args.neighbors} neighbors x {args.prefixes} prefixes, {lines} lines; netns {name}",
        flush=True,
    )

    subprocess.run(["ip", "netns", "add", name], check=True)
    frr = FrrInstance(name, name, timeout=900)
    results: dict[str, list[float]] = {}
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        frr.start("")
        vtysh = frr.vtysh
        workdir = Path(tempfile.mkdtemp(prefix="frrnode-bench-"))
        reload = ReloadApplier(vtysh, workdir / "reload", timeout=900)
        check = ReloadApplier(vtysh, workdir / "check", timeout=900)

        def verify(config: str) -> None:
            diff = check.diff(check.write(carry_over_host_lines(config, vtysh.running_config())))
            if diff:
                raise SystemExit(f"FRR did not converge on the target config: {diff[:10]}")

        def bare_reload(config: str) -> None:
            path = check.write(carry_over_host_lines(config, vtysh.running_config()), workdir / "bare.conf")
            cmd = [RELOAD_SCRIPT, "--reload", "--stdout", "-N", name, str(path)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=900)

        def record(key: str, seconds: float) -> None:
            results.setdefault(key, []).append(seconds)
            print(f"  {key:<40} {seconds:8.3f} s", flush=True)

        print("initial load (cold start: one delta from empty, prefix-lists to bgpd) ...", flush=True)
        inc = IncrementalApplier(vtysh, reload)
        record("initial load: incremental cold start", timed(lambda: inc.apply(full)))
        assert inc.last_fallback_reason is None, inc.last_fallback_reason
        verify(full)

        print("one-prefix change ...", flush=True)
        for _ in range(args.reps):
            for target in (one_changed, full):
                t = timed(partial(inc.apply, target))
                assert inc.last_fallback_reason is None, inc.last_fallback_reason
                record("one prefix: incremental", t)
                verify(target)
        for _ in range(args.reps):
            for target in (one_changed, full):
                record("one prefix: ReloadApplier", timed(partial(reload.apply, target)))
                verify(target)
        for _ in range(args.reps):
            for target in (one_changed, full):
                record("one prefix: bare frr-reload --reload", timed(partial(bare_reload, target)))
                verify(target)
        record("no-op: incremental", timed(lambda: inc.apply(full)))
        record("no-op: ReloadApplier", timed(lambda: reload.apply(full)))

        print("remove 2 neighbors ...", flush=True)
        for _ in range(args.remove_reps):
            record("remove 2 neighbors: incremental", timed(lambda: inc.apply(fewer)))
            verify(fewer)
            record("add 2 neighbors back: incremental", timed(lambda: inc.apply(full)))
            verify(full)
        for _ in range(args.remove_reps):
            record("remove 2 neighbors: ReloadApplier", timed(lambda: reload.apply(fewer)))
            verify(fewer)
            # Back to the full config without timing frr-reload's slow re-add: a fresh
            # incremental applier learns "FRR runs `fewer`" through a no-op fallback apply.
            back = IncrementalApplier(vtysh, reload)
            back.apply(fewer)
            record("add 2 neighbors back: incremental", timed(partial(back.apply, full)))
            verify(full)
    finally:
        frr.cleanup()
        subprocess.run(["ip", "netns", "del", name], check=False)

    med = {k: statistics.median(v) for k, v in results.items()}
    print("\nmedians (s):")
    for k, v in med.items():
        print(f"  {k:<40} {v:8.3f}  (n={len(results[k])})")
    ratios = {
        "one prefix: ReloadApplier / incremental": med["one prefix: ReloadApplier"]
        / med["one prefix: incremental"],
        "one prefix: bare frr-reload / incremental": med["one prefix: bare frr-reload --reload"]
        / med["one prefix: incremental"],
        "remove 2 neighbors: ReloadApplier / incremental": med["remove 2 neighbors: ReloadApplier"]
        / med["remove 2 neighbors: incremental"],
    }
    print("ratios (baseline frr-reload.py, same FRR instance, same process):")
    for k, r in ratios.items():
        print(f"  {k:<50} {r:8.1f}x")
    if args.json:
        args.json.write_text(json.dumps({"samples": results, "medians": med, "ratios": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
