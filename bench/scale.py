"""Issue 10's table: every figure at 3,000 nodes / 6,000 configs ("big") and 30 / 60 ("small").

    sudo .venv/bin/python bench/scale.py [--reps 3] [--idle 60] [--no-agent] [--json out.json]

Sets from `bench/scale_data.py` (written to a temporary directory; node-0001's rendered
config is identical in both). Measured for each set, runs of the two sets interleaved,
medians printed with the big/small ratio:

- `frrnode validate DIR` and `frrnode render DIR --node node-0001`: wall time and peak RSS of
  the command (a fresh process each time, as a user runs it);
- the agent (`frrnode run` in a subprocess, against a throwaway FRR instance in its own
  network namespace and pathspace `isc<pid>`, restarted empty before each set): start ->
  first apply; an edit to another node's manifest -> pass done (and FRR not called); an edit
  to node-0001's own manifest -> applied (both renamed into place, as kubelet and editors
  write: a file written in place waits 1 s to settle); a plain `touch` of a file -> pass done; then the
  agent's RSS, and its CPU time over `--idle` seconds without edits (own CPU, not vtysh's).
  "Pass done" and "applied" are read from the agent's /metrics (`frrnode_reconciles_total`,
  `frrnode_apply_duration_seconds_count`), polled every 10 ms; a `touch` that starts no pass
  at all (nothing changed) is reported as such.

Needs root, `ip netns` and FRR for the agent part (`--no-agent` skips it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_data import config_path, generate, write_config

from frrnode.frr.instance import FrrInstance

FRRNODE = str(Path(sys.executable).parent / "frrnode")
NODE = "node-0001"
SETS = {"big": 3000, "small": 30}


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode})")
    return seconds, usage.ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AgentRun:
    """`frrnode run` on a copy of a set, with its metrics read over HTTP."""

    def __init__(self, directory: Path, name: str, work: Path):
        self.directory = directory
        self.port = free_port()
        cmd = [
            FRRNODE, "run", "--config-dir", str(directory), "--node", NODE, "--hostname", NODE,
            "--frr-pathspace", name, "--frr-netns", name, "--status-dir", str(work / "status"),
            "--workdir", str(work / "agent"), "--metrics-address", f"127.0.0.1:{self.port}",
        ]  # fmt: skip
        self.log = (work / "agent.log").open("w")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#") and "{" not in line:
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def counts(self) -> tuple[float, float]:
        m = self.metrics()
        return m.get("frrnode_reconciles_total", -1), m.get("frrnode_apply_duration_seconds_count", -1)

    def wait(self, cond: Callable[[tuple[float, float]], bool], timeout: float) -> float | None:
        """Seconds until `cond(counts)` holds (from the call), None on timeout."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the agent exited ({self.proc.returncode}); see {self.log.name}")
            if cond(self.counts()):
                return time.perf_counter() - start
            time.sleep(0.01)
        return None

    def settle(self, quiet: float = 1.0) -> None:
        """Wait until no pass has run for `quiet` seconds."""
        last, since = self.counts(), time.perf_counter()
        while time.perf_counter() - since < quiet:
            time.sleep(0.05)
            now = self.counts()
            if now != last:
                last, since = now, time.perf_counter()

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def agent_figures(
    source: Path, name: str, frr: FrrInstance, reps: int, idle: float
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}

    def record(key: str, value: float | None) -> None:
        out.setdefault(key, [])
        if value is not None:
            out[key].append(value)
        shown = "no pass (nothing changed)" if value is None else f"{value:8.3f}"
        print(f"    {key:<36} {shown}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="frrnode-scale-"))
    directory = work / "manifests"
    try:
        shutil.copytree(source, directory)
        frr.stop()
        frr.start("")
        agent = AgentRun(directory, name, work)
        try:
            first = agent.wait(lambda c: c[1] >= 1, timeout=300)
            record("agent start -> first apply (s)", first)
            agent.settle()
            for rep in range(1, reps + 1):
                passes, applies = agent.counts()
                write_config(directory, 2, "a", edit=rep)
                t = agent.wait(lambda c, p=passes: c[0] > p, timeout=60)
                record("edit other node -> pass done (s)", t)
                agent.settle()
                if agent.counts()[1] != applies:
                    raise SystemExit("an edit to another node's manifest reached FRR")

                passes, applies = agent.counts()
                write_config(directory, 1, "a", edit=rep)
                record(
                    "edit own manifest -> applied (s)", agent.wait(lambda c, a=applies: c[1] > a, timeout=60)
                )
                agent.settle()

                passes, _ = agent.counts()
                os.utime(config_path(directory, 3, "b"))
                record("touch -> pass done (s)", agent.wait(lambda c, p=passes: c[0] > p, timeout=20))
                agent.settle()
            time.sleep(5)
            record("steady-state RSS (MiB)", agent.rss_mib())
            cpu, wall = agent.cpu_seconds(), time.perf_counter()
            time.sleep(idle)
            record(
                f"idle CPU over {idle:.0f} s (% of a core)",
                100 * (agent.cpu_seconds() - cpu) / (time.perf_counter() - wall),
            )
        finally:
            agent.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement")
    ap.add_argument("--no-agent", action="store_true", help="only validate and render (no root/FRR needed)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="frrnode-scale-sets-"))
    results: dict[str, dict[str, list[float]]] = {s: {} for s in SETS}
    name = f"isc{os.getpid() % 100000}"
    netns_made = False
    frr: FrrInstance | None = None
    try:
        for label, nodes in SETS.items():
            generate(root / label, nodes)
        print(f"sets in {root}: " + ", ".join(f"{k} = {n} nodes / {2 * n} configs" for k, n in SETS.items()))
        for rep in range(args.reps):
            for label in SETS:
                d = str(root / label)
                for key, cmd in (
                    ("validate", [FRRNODE, "validate", d]),
                    ("render --node", [FRRNODE, "render", d, "--node", NODE]),
                ):
                    seconds, rss = run_measured(cmd)
                    results[label].setdefault(f"{key} (s)", []).append(seconds)
                    results[label].setdefault(f"{key} peak RSS (MiB)", []).append(rss)
                    print(f"  {rep + 1} {label:<5} {key:<14} {seconds:7.2f} s {rss:6.0f} MiB", flush=True)
        if not args.no_agent:
            subprocess.run(["ip", "netns", "add", name], check=True)
            netns_made = True
            subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
            frr = FrrInstance(name, name, timeout=120)
            for label in ("small", "big"):
                print(f"  agent on {label} ({name})", flush=True)
                results[label].update(agent_figures(root / label, name, frr, args.reps, args.idle))
    finally:
        if frr is not None:
            frr.cleanup()
        if netns_made:
            subprocess.run(["ip", "netns", "del", name], check=False)
        shutil.rmtree(root, ignore_errors=True)

    print(f"\n{'figure (median)':<42} {'big':>10} {'small':>10} {'big/small':>10}")
    table: dict[str, dict[str, float | None]] = {}
    for key in results["big"]:
        big, small = results["big"].get(key, []), results["small"].get(key, [])
        b = statistics.median(big) if big else None
        s = statistics.median(small) if small else None
        ratio = b / s if b is not None and s else None
        table[key] = {"big": b, "small": s, "ratio": ratio}
        show = [f"{v:10.3f}" if v is not None else f"{'-':>10}" for v in (b, s)]
        print(f"{key:<42} {show[0]} {show[1]} {f'{ratio:9.1f}x' if ratio else '-':>10}")
    if args.json:
        args.json.write_text(json.dumps({"samples": results, "table": table}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
