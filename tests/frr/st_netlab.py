"""A tiny FRR-in-namespaces lab for the status tests (helper "status").

Follows ../shared/lab/README.md: one bridge namespace, one namespace per FRR instance, daemons
started directly with `-N <ns>` (no watchfrr). Everything it creates carries the prefix given to
`Netlab`, and `close()` removes it all (namespaces, pathspace dirs, our daemons by PID).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DAEMONS = ("zebra", "bgpd", "staticd", "bfdd")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _alive(pid: int) -> bool:
    """Running and not a zombie (PID 1 here reaps daemonized processes late)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class Host:
    ns: str
    ip4: str
    ip6: str
    pids: dict[str, int] = field(default_factory=dict)


class Netlab:
    def __init__(self, prefix: str, subnet4: str = "172.29.0", subnet6: str = "fd00:29:") -> None:
        self.prefix = prefix
        self.subnet4 = subnet4
        self.subnet6 = subnet6
        self.hosts: dict[str, Host] = {}
        self.run_dir = Path("/run") / f"{prefix}-frr"
        self.br = f"{prefix}-br"
        self._namespaces: list[str] = []
        self.run_dir.mkdir(parents=True, exist_ok=True)
        _ip("netns", "add", self.br)
        self._namespaces.append(self.br)
        _ip("-n", self.br, "link", "set", "lo", "up")
        _ip("-n", self.br, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.br, "link", "set", "br0", "up")

    def add_host(self, name: str, index: int) -> Host:
        ns = f"{self.prefix}-{name}"
        _ip("netns", "add", ns)
        self._namespaces.append(ns)
        _ip("-n", ns, "link", "set", "lo", "up")
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "sh",
                "-c",
                "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad;"
                "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad;"
                "echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
            ],
            check=True,
        )
        port = f"p{index}-{self.prefix}"[:15]
        _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", port, "netns", self.br)
        _ip("-n", self.br, "link", "set", port, "master", "br0", "up")
        host = Host(ns, f"{self.subnet4}.{index}", f"{self.subnet6}:{index}")
        _ip("-n", ns, "addr", "add", f"{host.ip4}/24", "dev", "eth0")
        _ip("-n", ns, "addr", "add", f"{host.ip6}/64", "dev", "eth0", "nodad")
        _ip("-n", ns, "link", "set", "eth0", "up")
        self.hosts[name] = host
        return host

    def port_of(self, name: str) -> str:
        index = list(self.hosts).index(name) + 1
        return f"p{index}-{self.prefix}"[:15]

    def link(self, name: str, up: bool) -> None:
        """Set a host's bridge port up/down (cuts the wire without touching FRR)."""
        _ip("-n", self.br, "link", "set", self.port_of(name), "up" if up else "down")

    def start_frr(self, name: str, config: str) -> None:
        host = self.hosts[name]
        ns = host.ns
        etc, var = Path("/etc/frr") / ns, Path("/var/run/frr") / ns
        log_dir = self.run_dir / ns
        for d in (etc, var, log_dir):
            d.mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "frr", "frr")
        (etc / "vtysh.conf").write_text("service integrated-vtysh-config\n")
        (etc / "frr.conf").write_text(config)
        shutil.chown(etc / "frr.conf", "frr", "frr")
        for daemon in DAEMONS:
            self.start_daemon(name, daemon)
        done = subprocess.run(["vtysh", "-N", ns, "-b"], capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"vtysh -b failed in {ns}: {done.stdout}{done.stderr}")

    def start_daemon(self, name: str, daemon: str) -> None:
        ns = self.hosts[name].ns
        var = Path("/var/run/frr") / ns
        log_dir = self.run_dir / ns
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                ns,
                f"/usr/lib/frr/{daemon}",
                "-d",
                "-N",
                ns,
                "-F",
                "traditional",
                "-A",
                "127.0.0.1",
                "-P",
                "0",
                "--log",
                f"file:{log_dir}/{daemon}.log",
                "--log-level",
                "info",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if daemon == "zebra":
            deadline = time.monotonic() + 10
            while not (var / "zserv.api").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        pidfile = var / f"{daemon}.pid"
        deadline = time.monotonic() + 10
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.hosts[name].pids[daemon] = int(pidfile.read_text().strip())

    def stop_daemon(self, name: str, daemon: str) -> None:
        pid = self.hosts[name].pids.pop(daemon, None)
        if pid is not None:
            _terminate([pid])

    def vtysh(self, name: str, *commands: str) -> str:
        args = ["vtysh", "-N", self.hosts[name].ns]
        for c in commands:
            args += ["-c", c]
        return subprocess.run(args, check=True, capture_output=True, text=True, timeout=30).stdout

    def vtysh_json(self, name: str, command: str) -> Any:
        return json.loads(self.vtysh(name, command))

    def close(self) -> None:
        pids = [pid for h in self.hosts.values() for pid in h.pids.values()]
        # Also any daemon pidfile of our pathspaces (daemons restarted outside start_daemon).
        for h in self.hosts.values():
            for pidfile in (Path("/var/run/frr") / h.ns).glob("*.pid"):
                try:
                    pid = int(pidfile.read_text().strip())
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                except (OSError, ValueError):
                    continue
                if h.ns.encode() in cmdline and pid not in pids:
                    pids.append(pid)
        _terminate(pids)
        for ns in reversed(self._namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for h in self.hosts.values():
            shutil.rmtree(Path("/etc/frr") / h.ns, ignore_errors=True)
            shutil.rmtree(Path("/var/run/frr") / h.ns, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _terminate(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in pids:
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; returns its value or raises TimeoutError with the last one."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
        except Exception as exc:  # state not there yet (vtysh JSON incomplete, etc.)
            last = exc
        if last and not isinstance(last, Exception):
            return last
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met in {timeout}s; last value: {last!r}")
        time.sleep(interval)
