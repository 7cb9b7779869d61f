"""Cost of reading FRR state for status/metrics: batched vs one vtysh process per command.

Run as root: `.venv/bin/python bench/status_read.py [N]`. Brings up the status test topology
(tests/frr/st_topology.py) in `stbench-*` namespaces, then times
- N `prefix-counts` commands one vtysh process each, vs `state.json_many` (batched);
- `state.read_snapshot` (what the agent does every poll).
Prints JSON with the times and the ratio; the lab is always torn down.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "frr"))

import st_topology as topo  # noqa: E402
from st_netlab import Netlab, wait_for  # noqa: E402

from frrnode.frr import state  # noqa: E402
from frrnode.frr.vtysh import Vtysh  # noqa: E402


def _time(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(n: int) -> None:
    lab = Netlab("stbench")
    try:
        for i, name in enumerate(("node", "r1"), start=1):
            lab.add_host(name, i)
        lab.start_frr("node", topo.node_config())
        lab.start_frr(
            "r1",
            topo.router_config(
                64513, "172.29.0.2", "172.29.0.1", topo.R1_V4, topo.R1_V6, password=topo.R1_PASSWORD, bfd=True
            ),
        )
        vt = Vtysh(lab.hosts["node"].ns)
        wait_for(lambda: any(s.established and s.received for s in state.read_sessions(vt)), timeout=60)
        cmd = "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 prefix-counts json"
        one_by_one = _time(lambda: [vt.json(cmd) for _ in range(n)])
        batched = _time(lambda: state.json_many(vt, [cmd] * n))
        snapshot = _time(lambda: state.read_snapshot(vt), repeat=5)
        print(
            json.dumps(
                {
                    "commands": n,
                    "one_process_per_command_s": round(one_by_one, 3),
                    "batched_s": round(batched, 3),
                    "speedup": round(one_by_one / batched, 1),
                    "read_snapshot_s": round(snapshot, 3),
                },
                indent=2,
            )
        )
    finally:
        lab.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
