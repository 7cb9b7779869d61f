"""Runs the real agent (directory source, reconciler, FRR appliers, status) against a lab node.

The agent runs in-process on its own event loop thread, so tests can read its state; it drives
the lab node's real FRR through vtysh exactly as `frrnode run` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import subprocess
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import yaml
from lab_helpers import require_lab_prerequisites

from frrnode.agent.runner import Agent
from frrnode.agent.state import AgentState
from frrnode.cli.run import build_agent
from frrnode.frr.vtysh import Vtysh
from frrnode.lab.topology import LabRouter, LabTopology
from frrnode.metallb.resources import Settings as MetalLBSettings
from frrnode.pipeline import Settings

T = TypeVar("T")

FRRCONFIG_HEADER = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: {name}
  namespace: frr-k8s-system
spec:
"""


def frrconfig(name: str, spec: str) -> str:
    """An FRRConfiguration manifest in frr-k8s-system; `spec` is the YAML under `spec:` (any
    consistent indentation)."""
    body = textwrap.indent(textwrap.dedent(spec).strip("\n"), "  ")
    return FRRCONFIG_HEADER.format(name=name) + body + "\n"


NODE_YAML = """\
apiVersion: v1
kind: Node
metadata:
  name: {name}
  labels:
    kubernetes.io/hostname: {name}
"""


def wait_until(
    check: Callable[[], T], timeout: float = 30.0, what: str = "condition", interval: float = 0.2
) -> T:
    """Poll `check` until it returns something truthy; fail with `what` and the last value."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {value!r})")
        time.sleep(interval)
        value = check()
    return value


def vtysh_json(router: LabRouter, command: str) -> Any:
    out = subprocess.run(
        ["vtysh", "-N", router.pathspace, "-c", command],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    return json.loads(out) if out.strip() else {}


def vtysh_config(router: LabRouter, *lines: str) -> None:
    """Configure an external router (e.g. set a password on its side)."""
    args = ["vtysh", "-N", router.pathspace, "-c", "configure terminal"]
    for line in lines:
        args += ["-c", line]
    subprocess.run(args, capture_output=True, text=True, timeout=30, check=True)


def kernel_routes(router: LabRouter, family: int = 4, table: str | None = None) -> set[str]:
    """Destinations of BGP routes in the router namespace's kernel table."""
    cmd = ["ip", "-n", router.namespace, f"-{family}", "-j", "route", "show", "proto", "bgp"]
    if table:
        cmd += ["table", table]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True).stdout
    return {r["dst"] for r in json.loads(out or "[]")}


def bgp_table(router: LabRouter, afi: str = "ipv4") -> dict[str, Any]:
    """The router's BGP table `{prefix: [paths]}`."""
    data = vtysh_json(router, f"show bgp {afi} unicast json")
    routes: dict[str, Any] = data.get("routes", {})
    return routes


def neighbor_info(router: LabRouter, peer: str, vrf: str | None = None) -> dict[str, Any]:
    cmd = f"show bgp vrf {vrf} neighbors {peer} json" if vrf else f"show bgp neighbors {peer} json"
    info: dict[str, Any] = vtysh_json(router, cmd).get(peer, {})
    return info


def established(router: LabRouter, peer: str, vrf: str | None = None) -> bool:
    return neighbor_info(router, peer, vrf).get("bgpState") == "Established"


class RunningAgent:
    """The agent on a lab node, with a manifests directory the test writes into."""

    def __init__(
        self,
        topo: LabTopology,
        workdir: Path,
        node_name: str = "node-a",
        always_block: tuple[str, ...] = (),
        applier: str = "incremental",
        debounce: float = 0.1,
        poll_interval: float = 1.0,
        metrics_address: str | None = None,
        resync: float = 30.0,
        verify_interval: float = 60.0,
        frr: LabRouter | None = None,
        metallb: MetalLBSettings | None = None,
    ):
        """`frr`: the lab node whose FRR the agent drives (default: the lab's node); `metallb`:
        run MetalLB's stage on the manifests too (as `frrnode run` does by default)."""
        self.topo = topo
        self.node = frr or topo.node
        self.config_dir = workdir / "manifests"
        self.status_dir = workdir / "status"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "node.yaml").write_text(NODE_YAML.format(name=node_name))
        settings = Settings(node_name=node_name, hostname=None, always_block=always_block)
        self.agent: Agent = build_agent(
            self.config_dir,
            settings,
            Vtysh(self.node.pathspace),
            workdir / "frr",
            applier_kind=applier,
            debounce=debounce,
            status_dir=self.status_dir,
            metrics_address=metrics_address,
            poll_interval=poll_interval,
            resync=resync,
            verify_interval=verify_interval,
            metallb=metallb,
        )
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="agent", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.agent.run(self._stop))
        except BaseException as exc:  # surfaced by stop() and by wait helpers
            self._error = exc

    def start(self) -> RunningAgent:
        """Start the agent and wait for its first pass, so later writes are seen as changes."""
        self._thread.start()
        wait_until(lambda: self.state.reconciles >= 1, what="the agent's first reconcile")
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)
        if self._error is not None:
            raise self._error

    @property
    def state(self) -> AgentState:
        if self._error is not None:
            raise AssertionError(f"agent crashed: {self._error!r}")
        return self.agent.state

    @property
    def metrics_url(self) -> str:
        """Base URL of the agent's /metrics, /livez, /readyz (`metrics_address` may use port 0)."""
        for service in self.agent.services:
            port = getattr(service, "port", None)
            if port:
                return f"http://127.0.0.1:{port}"
        raise AssertionError("the agent has no metrics server (pass metrics_address)")

    def write(self, name: str, text: str) -> None:
        """Write a manifest atomically, as a deployment tool would."""
        tmp = self.config_dir / f".{name}.tmp"
        tmp.write_text(text)
        tmp.rename(self.config_dir / name)

    def remove(self, name: str) -> None:
        (self.config_dir / name).unlink(missing_ok=True)

    def wait_applied(self, timeout: float = 30.0, since: int | None = None) -> AgentState:
        """Wait until a reconcile after `since` (reconcile count) has settled without error."""
        start = self.state.reconciles if since is None else since

        def settled() -> bool:
            s = self.state
            return (
                s.reconciles > start
                and s.last_conversion is not None
                and s.last_conversion.ok
                # Not None == None: before the first apply, desired_config is still unset
                # for a moment after the conversion succeeded.
                and s.applied_config is not None
                and s.desired_config == s.applied_config
            )

        wait_until(settled, timeout, "the agent to apply the configuration")
        return self.state

    def wait_rejected(self, timeout: float = 30.0, since: int | None = None) -> AgentState:
        start = self.state.reconciles if since is None else since

        def rejected() -> bool:
            s = self.state
            return s.reconciles > start and s.last_conversion is not None and not s.last_conversion.ok

        wait_until(rejected, timeout, "the agent to reject the configuration")
        return self.state

    def apply(self, name: str, text: str, timeout: float = 30.0) -> AgentState:
        """Write a manifest and wait until the agent applied the result."""
        since = self.state.reconciles
        self.write(name, text)
        return self.wait_applied(timeout, since)

    def reject(self, name: str, text: str, timeout: float = 30.0) -> AgentState:
        """Write a manifest that must be refused, and wait for the refusal."""
        since = self.state.reconciles
        self.write(name, text)
        return self.wait_rejected(timeout, since)


def lab_prefix(tag: str, pid: int | None = None) -> str:
    """A lab name unique to this test run (or to the run with process id `pid`) and module
    (`tag` is 1-3 letters)."""
    import os

    return f"{tag}{(pid or os.getpid()) % 100000}"[:10]


def lab_session(tag: str, routers: int = 2, vrf: bool | None = None) -> Iterator[LabTopology]:
    """Body of a module-scoped lab fixture: a fresh lab, always removed (also on failure);
    `vrf` as `manage.up` takes it. Missing root/FRR fails loudly instead of skipping."""
    from frrnode.lab import manage

    require_lab_prerequisites()
    prefix = lab_prefix(tag)
    manage.down(prefix)  # leftovers of a crashed run with the same pid
    try:
        yield manage.up(prefix, routers=routers, vrf=vrf)
    finally:
        manage.down(prefix)


def agent_session(topo: LabTopology, workdir: Path, **kwargs: Any) -> Iterator[RunningAgent]:
    """Body of an agent fixture: on teardown every FRRConfiguration is removed and applied, so the
    next test starts from a node FRR without BGP config (and with the routes withdrawn)."""
    agent = RunningAgent(topo, workdir, **kwargs)
    try:
        agent.start()  # inside: an agent whose first pass times out is stopped too
        yield agent
        for path in agent.config_dir.glob("*.yaml"):
            if path.name != "node.yaml":
                since = agent.state.reconciles
                path.unlink()
                agent.wait_applied(since=since)
    finally:
        agent.stop()


# ---------------------------------------------------------------- what the agent reports


def http_get(url: str) -> tuple[int, str]:
    """Status code and body of GET `url` (an HTTP error is a result, not an exception)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, None if absent."""
    for line in text.splitlines():
        m = re.match(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$", line)
        if not m or m["name"] != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m["labels"] or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            return float(m["value"])
    return None


def status_files(status_dir: Path) -> tuple[dict[str, Any], dict[tuple[str, str], dict[str, Any]]]:
    """(FRRNodeState status, {(vrf, peer): BGPSessionState status}) from a status directory."""
    node: dict[str, Any] = {}
    sessions: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(status_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text())
        except FileNotFoundError:  # replaced between glob and read
            continue
        if not isinstance(data, dict):
            continue
        if data.get("kind") == "FRRNodeState":
            node = data.get("status", {})
        elif data.get("kind") == "BGPSessionState":
            st = data.get("status", {})
            sessions[(st.get("vrf", ""), st.get("peer", ""))] = st
    return node, sessions


class Records(logging.Handler):
    """Every log record of the process (the agent runs in a thread of it), formatted (with its
    traceback, if any)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def captured_logs() -> Iterator[Records]:
    """Body of a `logs` fixture: every record at DEBUG and above while the test runs."""
    root = logging.getLogger()
    handler, level = Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
