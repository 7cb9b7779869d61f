"""End to end: what the agent reports about itself and its sessions (issue #4).

The real agent (directory source, reconciler, FRR appliers, status files, metrics server) runs
against a lab node; r1 (AS 64513: 10.100.0.0/24, 10.100.1.0/24, fd00:100::/64, fd00:101::/64) and
r2 (AS 64514) are real FRR routers peering with it. Assertions read the status files the agent
writes, its /metrics, /livez and /readyz, the `frrnode status` / `frrnode routes` commands, and
the node's FRR itself. Status changes are waited for (poll_interval 1 s), never timed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from agent_harness import (
    Records,
    RunningAgent,
    agent_session,
    captured_logs,
    frrconfig,
    http_get,
    lab_session,
    metric,
    vtysh_config,
    vtysh_json,
    wait_until,
)

from frrnode.agent.state import Result
from frrnode.frr.vtysh import Vtysh
from frrnode.lab.topology import LabRouter, LabTopology

pytestmark = pytest.mark.lab

R1, R2 = "172.30.0.2", "172.30.0.3"
NODE_STATE_FILE = "frrnodestate-node-a.yaml"
POLLS = 10.0
"""Timeout for a status change to show: a few poll intervals plus FRR's own reaction."""
DOWN = 15.0
"""Timeout for a session to show as down (NOTIFICATION or BFD: well under a second in FRR)."""


def neighbors(*entries: str, extra: str = "") -> str:
    """A `bgp:` spec of router 64512 with the given neighbor list items (YAML, 4-space indent)."""
    body = "".join(entries)
    return f"bgp:\n{extra}  routers:\n  - asn: 64512\n    neighbors:\n{body}"


def peer(address: str, asn: int, more: str = "") -> str:
    return f"    - address: {address}\n      asn: {asn}\n{more}"


def secret(name: str, password: str) -> str:
    return (
        "apiVersion: v1\nkind: Secret\n"
        f"metadata:\n  name: {name}\n  namespace: frr-k8s-system\n"
        f"type: kubernetes.io/basic-auth\nstringData:\n  password: {password}\n"
    )


# ---------------------------------------------------------------- reading what the agent reports


def node_state(agent: RunningAgent) -> dict[str, Any]:
    path = agent.status_dir / NODE_STATE_FILE
    data: dict[str, Any] = yaml.safe_load(path.read_text()) if path.exists() else {}
    return data.get("status", {}) if data else {}


def session_status(agent: RunningAgent, address: str) -> dict[str, Any] | None:
    """The status of the BGPSessionState file for `address` (default VRF), None if absent."""
    for path in agent.status_dir.glob("bgpsessionstate-*.yaml"):
        try:
            data = yaml.safe_load(path.read_text())
        except FileNotFoundError:  # deleted between glob and read
            continue
        status: dict[str, Any] = data["status"]
        if status["peer"] == address and status["vrf"] == "":
            return status
    return None


def wait_session(
    agent: RunningAgent, address: str, what: str, timeout: float = POLLS + 20, **expected: Any
) -> dict[str, Any]:
    """Wait until the session file of `address` has all `expected` fields (a value may be a
    callable predicate); on timeout the error shows the file's last content."""

    def check() -> dict[str, Any]:
        s = session_status(agent, address) or {}
        if not s:
            return {}
        for key, want in expected.items():
            ok = want(s.get(key)) if callable(want) else s.get(key) == want
            if not ok:
                return {}
        return s

    try:
        return wait_until(check, timeout, f"{address} {what}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; file: {session_status(agent, address)}") from None


def advertised_by(router: LabRouter, neighbor: str) -> set[str]:
    """What `router` sends to `neighbor`, over all unicast families (its own view)."""
    out: set[str] = set()
    for afi in ("ipv4", "ipv6"):
        data = vtysh_json(router, f"show bgp {afi} unicast neighbors {neighbor} advertised-routes json")
        out |= set(data.get("advertisedRoutes", {}))
    return out


def scrape(agent: RunningAgent, *series: tuple[str, dict[str, str]]) -> list[float | None]:
    """Values of several series from one /metrics scrape."""
    code, body = http_get(agent.metrics_url + "/metrics")
    assert code == 200, body
    return [metric(body, name, **labels) for name, labels in series]


def frrnode_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frrnode", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"COLUMNS": "200", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("su")


@pytest.fixture
def logs() -> Iterator[Records]:
    yield from captured_logs()


@pytest.fixture
def agent(topo: LabTopology, tmp_path: Path, logs: Records) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path, poll_interval=1.0, metrics_address="127.0.0.1:0")


# ---------------------------------------------------------------- tests


def test_conflict_keeps_last_good_config_and_names_both_objects(
    topo: LabTopology, agent: RunningAgent
) -> None:
    vtysh = Vtysh(topo.node.pathspace)
    agent.apply("a.yaml", frrconfig("cfg-a", neighbors(peer(R1, 64513))))
    wait_until(
        lambda: (
            node_state(agent).get("lastConversionResult") == "success"
            and f"neighbor {R1} remote-as 64513" in node_state(agent).get("runningConfig", "")
        ),
        POLLS,
        "the good config in the FRRNodeState",
    )
    before = vtysh.running_config()
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 0

    agent.reject("b.yaml", frrconfig("cfg-b", neighbors(peer(R1, 64599))))
    result = (
        wait_until(
            lambda: node_state(agent).get("lastConversionResult", "").startswith("failed"),
            POLLS,
            "the conflict in lastConversionResult",
        )
        and node_state(agent)["lastConversionResult"]
    )
    assert "frr-k8s-system/cfg-a" in result and "frr-k8s-system/cfg-b" in result, result
    assert "conflict" in result
    # Nothing reached FRR: the running config is byte-identical, the status still shows it.
    assert vtysh.running_config() == before
    st = node_state(agent)
    assert f"neighbor {R1} remote-as 64513" in st["runningConfig"]
    assert "64599" not in st["runningConfig"]
    assert st["lastReloadResult"] == "success"
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 1
    assert (metric(body, "frrk8s_k8s_client_update_errors_total") or 0) >= 1

    # Fixing the conflict (cfg-b now talks to r2) clears it and applies both.
    agent.apply("b.yaml", frrconfig("cfg-b", neighbors(peer(R2, 64514))))
    wait_until(
        lambda: (
            node_state(agent).get("lastConversionResult") == "success"
            and f"neighbor {R2} remote-as 64514" in node_state(agent).get("runningConfig", "")
        ),
        POLLS,
        "success and the fixed config in the FRRNodeState",
    )
    assert f"neighbor {R2} remote-as 64514" in vtysh.running_config()
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 0

    # One BGPSessionState per session; removing cfg-b removes r2's (FRR no longer has it).
    wait_until(lambda: session_status(agent, R2), POLLS, "r2's BGPSessionState")
    assert session_status(agent, R1) is not None
    since = agent.state.reconciles
    agent.remove("b.yaml")
    agent.wait_applied(since=since)
    wait_until(lambda: session_status(agent, R2) is None, POLLS, "r2's BGPSessionState to go")
    assert session_status(agent, R1) is not None


BAD_RAW = "router bgp 64512\n  neighbor 1.2.3.4 no-such-keyword\n"


def test_rejected_raw_snippet_names_its_object_and_is_not_retried_until_it_changes(
    topo: LabTopology, agent: RunningAgent, logs: Records
) -> None:
    """FRR refuses a raw line: FRR keeps its config, the status and the log name the object and
    the line, and the same config is not retried (it cannot succeed) until the input changes."""
    vtysh = Vtysh(topo.node.pathspace)
    agent.apply("good.yaml", frrconfig("good", neighbors(peer(R1, 64513))))
    before = vtysh.running_config()
    failures = agent.state.apply_failures

    raw = "raw:\n  rawConfig: |\n" + "".join(f"    {line}\n" for line in BAD_RAW.splitlines())
    agent.write("raw.yaml", frrconfig("bad-raw", raw))
    wait_until(
        lambda: node_state(agent).get("lastReloadResult", "success") != "success",
        POLLS + 20,
        "the reload failure in lastReloadResult",
    )
    result = node_state(agent)["lastReloadResult"]
    # FRR's own complaint about the snippet's line is in the result (upstream's e2e: "ERROR"),
    # with the object and the line of its rawConfig.
    assert "no-such-keyword" in result and "ERROR" in result, result
    assert "FRRConfiguration/frr-k8s-system/bad-raw spec.raw.rawConfig line 2" in result, result
    assert node_state(agent)["lastConversionResult"] == "success"
    assert vtysh.running_config() == before
    assert "1.2.3.4" not in vtysh.running_config()
    errors = [line for line in logs.lines if "FRRConfiguration/frr-k8s-system/bad-raw" in line]
    assert errors and "not retried until it changes" in errors[0], logs.lines[-5:]

    # Not retried: no backoff loop, and an unrelated edit (same FRR config) does not retry it.
    assert agent.state.apply_failures == failures + 1
    time.sleep(3)
    since = agent.state.reconciles
    agent.write("noise.yaml", frrconfig("noise", "bgp: {}"))
    wait_until(lambda: agent.state.reconciles > since, what="the pass for the unrelated edit")
    assert agent.state.apply_failures == failures + 1
    assert not [line for line in logs.lines if "retrying in" in line]

    # Fixing the object retries at once and succeeds.
    fixed = "raw:\n  rawConfig: |\n    router bgp 64512\n      neighbor 172.30.0.3 remote-as 64514\n"
    agent.apply("raw.yaml", frrconfig("bad-raw", fixed))
    wait_until(lambda: node_state(agent).get("lastReloadResult") == "success", POLLS, "success after the fix")
    assert "neighbor 172.30.0.3 remote-as 64514" in vtysh.running_config()
    assert f"neighbor {R1} remote-as 64513" in vtysh.running_config()
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 0


def test_session_state_follows_bgp_and_bfd(topo: LabTopology, agent: RunningAgent) -> None:
    r1, r2 = topo.router("r1"), topo.router("r2")
    profile = "  bfdProfiles:\n  - name: fast\n    receiveInterval: 100\n    transmitInterval: 100\n"
    agent.apply(
        "bfd.yaml",
        frrconfig(
            "bfd",
            neighbors(peer(R1, 64513, "      bfdProfile: fast\n"), peer(R2, 64514), extra=profile),
        ),
    )
    wait_session(agent, R1, "Established with BFD up", bgpStatus="Established", bfdStatus="Up")
    s2 = wait_session(agent, R2, "Established without BFD", bgpStatus="Established")
    assert s2["bfdStatus"] == "N/A"
    assert s2["node"] == "node-a"
    bfd1, bgp1, bgp2 = (
        ("frrk8s_bfd_session_up", {"peer": R1, "vrf": "default"}),
        ("frrk8s_bgp_session_up", {"peer": R1, "vrf": "default"}),
        ("frrk8s_bgp_session_up", {"peer": R2, "vrf": "default"}),
    )
    assert scrape(agent, bfd1, bgp1, bgp2) == [1, 1, 1]
    assert scrape(agent, ("frrk8s_bfd_session_up", {"peer": R2, "vrf": "default"})) == [None]

    # r2 shuts its side: the node's session leaves Established, with the NOTIFICATION's reason.
    vtysh_config(r2, "router bgp 64514", "neighbor 172.30.0.1 shutdown")
    try:
        s2 = wait_session(agent, R2, "not Established", DOWN, bgpStatus=lambda v: v != "Established")
        assert s2["bfdStatus"] == "N/A"
        assert scrape(agent, bgp1, bgp2) == [1, 0]
        assert "Administrative Shutdown" in s2.get("lastError", ""), s2
        assert session_status(agent, R1)["bgpStatus"] == "Established"  # type: ignore[index]
    finally:
        vtysh_config(r2, "router bgp 64514", "no neighbor 172.30.0.1 shutdown")
    wait_session(agent, R2, "Established again", bgpStatus="Established", bfdStatus="N/A")

    # r1's link goes down: BFD notices and takes BGP down (long before the hold time, >= 90 s,
    # could); both come back with the link.
    port = r1.interface("a").bridge_port
    subprocess.run(["ip", "-n", topo.bridge_namespace, "link", "set", port, "down"], check=True, timeout=10)
    try:
        s1 = wait_session(
            agent, R1, "BFD down", DOWN, bfdStatus="Down", bgpStatus=lambda v: v != "Established"
        )
        assert s1["connectionsDropped"] >= 1
        assert scrape(agent, bfd1, bgp1, bgp2) == [0, 0, 1]
    finally:
        subprocess.run(["ip", "-n", topo.bridge_namespace, "link", "set", port, "up"], check=True, timeout=10)
    wait_session(agent, R1, "Established and BFD up again", bgpStatus="Established", bfdStatus="Up")
    assert session_status(agent, R2)["bgpStatus"] == "Established"  # type: ignore[index]
    assert scrape(agent, bfd1, bgp1, bgp2) == [1, 1, 1]


def test_wrong_password_is_not_established(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    vtysh_config(r1, "router bgp 64513", "neighbor 172.30.0.1 password r1SidePassw0rd")
    try:
        agent.apply(
            "pw.yaml", frrconfig("pw", neighbors(peer(R1, 64513, "      password: nodeSideWrong9\n")))
        )
        s = wait_session(agent, R1, "a session file", bgpStatus=lambda v: v is not None)
        # While r1 keeps retrying (connect timer 1 s) and the agent polls, it never establishes.
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            s = session_status(agent, R1) or s
            assert s["bgpStatus"] != "Established", s
            time.sleep(0.2)
        assert s["connectionsEstablished"] == 0
        wrong_error = s.get("lastError")
        # Matching the password on r1 establishes it: the password was the only problem.
        vtysh_config(r1, "router bgp 64513", "neighbor 172.30.0.1 password nodeSideWrong9")
        wait_session(agent, R1, "Established with matching passwords", bgpStatus="Established")
    finally:
        vtysh_config(r1, "router bgp 64513", "no neighbor 172.30.0.1 password")
    # TCP-MD5 mismatches are dropped by the kernel: FRR has no reason to give (lastError absent
    # or a generic one), which is what the file says.
    assert wrong_error is None or isinstance(wrong_error, str)


SECRET_PW = "Zq7frrnodeLeakCheck42"


def test_no_password_in_status_logs_or_metrics(topo: LabTopology, agent: RunningAgent, logs: Records) -> None:
    r1 = topo.router("r1")
    vtysh_config(r1, "router bgp 64513", f"neighbor 172.30.0.1 password {SECRET_PW}")
    try:
        agent.write("secret.yaml", secret("r1-password", SECRET_PW))
        # An unrelated Secret with a short value: redaction is by position, so it alters nothing.
        agent.write("secret-one.yaml", secret("one", '"1"'))  # a YAML string
        agent.apply(
            "pw.yaml",
            frrconfig("pw", neighbors(peer(R1, 64513, "      passwordSecret:\n        name: r1-password\n"))),
        )
        wait_session(agent, R1, "Established with the Secret's password", bgpStatus="Established")
        assert f"password {SECRET_PW}" in Vtysh(topo.node.pathspace).running_config()
        st = node_state(agent)
        assert f"neighbor {R1} password <retracted>" in st["runningConfig"]
        assert "router bgp 64512\n" in st["runningConfig"]

        # A snippet bgpd refuses (no such neighbor): FRR's error echoes the line with the
        # password; the status and the logs must still not show it.
        raw = f"raw:\n  rawConfig: |\n    router bgp 64512\n      neighbor 172.30.0.9 password {SECRET_PW}\n"
        agent.write("raw.yaml", frrconfig("leaky-raw", raw))
        wait_until(
            lambda: node_state(agent).get("lastReloadResult", "success") != "success",
            POLLS + 20,
            "the reload failure",
        )
        assert "172.30.0.9 password <retracted>" in node_state(agent)["lastReloadResult"], node_state(agent)
        since = agent.state.reconciles
        agent.remove("raw.yaml")
        agent.wait_applied(since=since)
        wait_until(lambda: node_state(agent).get("lastReloadResult") == "success", POLLS, "recovery")

        _, metrics_text = http_get(agent.metrics_url + "/metrics")
        assert metric(metrics_text, "frrk8s_bgp_session_up", peer=R1, vrf="default") == 1
    finally:
        vtysh_config(r1, "router bgp 64513", "no neighbor 172.30.0.1 password")

    files = {p.name: p.read_text() for p in agent.status_dir.rglob("*") if p.is_file()}
    assert NODE_STATE_FILE in files and any(n.startswith("bgpsessionstate-") for n in files)
    leaks = [name for name, text in files.items() if SECRET_PW in text]
    assert leaks == [], f"password in status files {leaks}"
    assert logs.lines, "no log lines captured"
    assert [line for line in logs.lines if SECRET_PW in line] == []
    assert [line for line in logs.lines if "<retracted>" in line and "password <retracted>" not in line] == []
    assert SECRET_PW not in metrics_text
    status_cli = frrnode_cli("status", "--status-dir", str(agent.status_dir), "--config")
    assert status_cli.returncode == 0, status_cli.stderr
    assert "<retracted>" in status_cli.stdout and SECRET_PW not in status_cli.stdout


def test_counts_agree_across_status_routes_and_metrics(topo: LabTopology, agent: RunningAgent) -> None:
    r1 = topo.router("r1")
    assert set(r1.prefixes) == {"10.100.0.0/24", "10.100.1.0/24", "fd00:100::/64", "fd00:101::/64"}
    allowed = {"10.100.0.0/24", "fd00:100::/64"}
    more = (
        "      dualStackAddressFamily: true\n"
        "      toReceive:\n        allowed:\n          prefixes:\n"
        "          - prefix: 10.100.0.0/24\n          - prefix: fd00:100::/64\n"
        "      toAdvertise:\n        allowed:\n          prefixes: [192.0.2.10/32]\n"
    )
    spec = neighbors(peer(R1, 64513, more)).replace(
        "  - asn: 64512\n", "  - asn: 64512\n    prefixes: [192.0.2.10/32]\n"
    )
    agent.apply("counts.yaml", frrconfig("counts", spec))

    # Established, 2 prefixes pass the filter, 1 is sent to r1.
    s = wait_session(agent, R1, "counts", bgpStatus="Established", acceptedPrefixes=2, advertisedPrefixes=1)

    # Received (pre-policy) is everything r1 sends over the IPv4 session in both families: its
    # 4 prefixes, and the node's own 192.0.2.10/32 back (eBGP does not filter on the sender's
    # side; the node drops it as an AS-path loop).
    def r1_sent() -> set[str]:
        sent = advertised_by(r1, "172.30.0.1")
        return sent if sent >= {*r1.prefixes, "192.0.2.10/32"} else set()

    sent = wait_until(r1_sent, POLLS, "r1's advertisements to the node")
    s = wait_session(agent, R1, "received = what r1 sent", receivedPrefixes=len(sent))
    assert s["acceptedPrefixes"] == 2 and s["advertisedPrefixes"] == 1
    assert s["bfdStatus"] == "N/A"
    assert s["connectionsEstablished"] >= 1 and "establishedSince" in s
    assert "lastError" not in s, s  # healthy, never dropped

    # frrnode routes: per family, received = what r1 sent, accepted = what the filter allows.
    node = topo.node
    routes_args = ("routes", "--pathspace", node.pathspace, "--netns", node.namespace, "--neighbor", R1)
    proc = frrnode_cli(*routes_args, "--json")
    assert proc.returncode == 0, proc.stderr
    tables = json.loads(proc.stdout)
    assert {t["family"] for t in tables} == {"ipv4Unicast", "ipv6Unicast"}
    rows = [row for t in tables for row in t["routes"]]
    assert {r["prefix"] for r in rows if r["received"]} == sent
    assert {r["prefix"] for r in rows if r["accepted"]} == allowed
    # ... and says why the others were not accepted: the filter, or the AS-path loop check.
    why = {r["prefix"]: r.get("notAcceptedBecause") for r in rows}
    assert "toReceive.allowed" in why["10.100.1.0/24"] and "toReceive.allowed" in why["fd00:101::/64"]
    assert why["192.0.2.10/32"].startswith("AS-path loop") and "64512" in why["192.0.2.10/32"]
    assert all(why[p] is None for p in allowed)

    def in_kernel() -> set[str]:
        tables = json.loads(frrnode_cli(*routes_args, "--json").stdout)
        return {r["prefix"] for t in tables for r in t["routes"] if r["kernel"]}

    wait_until(lambda: in_kernel() == allowed, POLLS, "the accepted routes in the node's kernel")
    plain = frrnode_cli(*routes_args)
    assert plain.returncode == 0 and "10.100.1.0/24" in plain.stdout, plain.stdout + plain.stderr

    # /metrics agrees with the status object (both come from one snapshot).
    _, body = http_get(agent.metrics_url + "/metrics")
    labels = {"peer": R1, "vrf": "default"}
    assert metric(body, "frrk8s_bgp_session_up", **labels) == 1
    assert metric(body, "frrk8s_bgp_received_prefixes_total", **labels) == s["acceptedPrefixes"] == 2
    assert metric(body, "frrk8s_bgp_announced_prefixes_total", **labels) == s["advertisedPrefixes"] == 1
    assert metric(body, "frrk8s_k8s_client_config_loaded_bool") == 1
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 0
    assert (metric(body, "frrnode_reconciles_total") or 0) >= 2
    assert http_get(agent.metrics_url + "/livez")[0] == 200
    assert http_get(agent.metrics_url + "/readyz")[0] == 200

    # frrnode status prints the tables from the status directory.
    out = frrnode_cli("status", "--status-dir", str(agent.status_dir))
    assert out.returncode == 0, out.stderr
    assert "FRRNodeState node-a" in out.stdout
    assert R1 in out.stdout and "Established" in out.stdout
    as_json = json.loads(frrnode_cli("status", "--status-dir", str(agent.status_dir), "--json").stdout)
    sessions = [o for o in as_json if o["kind"] == "BGPSessionState"]
    assert [o["status"]["peer"] for o in sessions] == [R1]
    assert sessions[0]["status"]["acceptedPrefixes"] == 2


def test_readyz_waits_for_the_first_apply(topo: LabTopology, tmp_path: Path, logs: Records) -> None:
    """An agent that starts on a conflicting set applies nothing: not ready, stale, until fixed."""
    agent = RunningAgent(topo, tmp_path, poll_interval=1.0, metrics_address="127.0.0.1:0")
    agent.write("a.yaml", frrconfig("cfg-a", neighbors(peer(R1, 64513))))
    agent.write("b.yaml", frrconfig("cfg-b", neighbors(peer(R1, 64599))))
    agent.start()
    try:
        wait_until(
            lambda: node_state(agent).get("lastConversionResult", "").startswith("failed"),
            POLLS,
            "the conflict in the FRRNodeState",
        )
        assert agent.state.applied_config is None
        assert node_state(agent)["lastReloadResult"] == ""
        assert http_get(agent.metrics_url + "/readyz")[0] == 503
        assert http_get(agent.metrics_url + "/livez")[0] == 200
        no_labels: dict[str, str] = {}
        loaded = ("frrk8s_k8s_client_config_loaded_bool", no_labels)
        stale = ("frrk8s_k8s_client_config_stale_bool", no_labels)
        assert scrape(agent, loaded, stale) == [0, 1]

        agent.apply("b.yaml", frrconfig("cfg-b", neighbors(peer(R2, 64514))))
        assert http_get(agent.metrics_url + "/readyz")[0] == 200
        assert scrape(agent, loaded, stale) == [1, 0]
        wait_until(lambda: node_state(agent).get("lastReloadResult") == "success", POLLS, "success")
    finally:
        try:
            for name in ("a.yaml", "b.yaml"):
                since = agent.state.reconciles
                agent.remove(name)
                agent.wait_applied(since=since)
        finally:
            agent.stop()


@pytest.fixture
def slow_poll_agent(topo: LabTopology, tmp_path: Path) -> Iterator[RunningAgent]:
    yield from agent_session(topo, tmp_path, poll_interval=600.0)


def test_status_follows_each_reconcile_without_waiting_for_the_poll(slow_poll_agent: RunningAgent) -> None:
    """With a 10-minute poll interval, every reconcile still reaches the FRRNodeState at once
    (the poll right after each reconcile; the race with a running poll is in
    tests/unit/test_agent_poll.py)."""
    agent = slow_poll_agent

    def conversion() -> str:
        return str(node_state(agent).get("lastConversionResult", ""))

    agent.write("a.yaml", frrconfig("cfg-a", neighbors(peer(R1, 64513))))
    wait_until(
        lambda: f"neighbor {R1} remote-as 64513" in node_state(agent).get("runningConfig", ""),
        POLLS,
        "the applied config in the FRRNodeState",
    )
    for step in range(4):
        agent.write("b.yaml", frrconfig("cfg-b", neighbors(peer(R1, 64599))))
        if step < 3:
            time.sleep(0.1 * step)  # coalesced with the removal by the source's burst window
        else:  # the conflict reconciled (and so written to the status) before the removal
            wait_until(lambda: agent.state.conversion_failures >= 1, POLLS, "the conflict reconciled")
        agent.remove("b.yaml")
        wait_until(lambda: conversion() == "success", POLLS, f"success after step {step}")
    # The pass that saw cfg-b may still be under way when the status still says the earlier
    # success: wait for it, then for the pass after the removal to reach the file at once.
    wait_until(lambda: agent.state.conversion_failures >= 1, POLLS, "the conflict seen at least once")

    def succeeded() -> Result | None:
        result = agent.state.last_conversion
        return result if result is not None and result.ok else None

    last = wait_until(succeeded, POLLS, "the pass after the removal")
    assert last is not None
    at = datetime.fromtimestamp(last.at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    wait_until(
        lambda: conversion() == "success" and node_state(agent).get("lastConversionTime") == at,
        POLLS,
        "that pass in the FRRNodeState",
    )


def test_ipv6_peer_names_and_labels(agent: RunningAgent) -> None:
    """IPv6 peers: upstream's expanded, dash-separated form in BGPSessionState, FRR's in /metrics."""
    agent.apply("v6.yaml", frrconfig("v6", neighbors(peer("fd00:30::2", 64513))))
    expanded = "fd00-0030-0000-0000-0000-0000-0000-0002"
    s = wait_session(agent, expanded, "Established", bgpStatus="Established")
    assert s["bfdStatus"] == "N/A" and s["vrf"] == ""
    files = [p.name for p in agent.status_dir.glob("bgpsessionstate-*.yaml")]
    assert files == [f"bgpsessionstate-node-a-default-{expanded}.yaml"], files
    labels = yaml.safe_load((agent.status_dir / files[0]).read_text())["metadata"]["labels"]
    assert labels == {
        "frrk8s.metallb.io/node": "node-a",
        "frrk8s.metallb.io/peer": expanded,
        "frrk8s.metallb.io/vrf": "",
    }
    assert scrape(agent, ("frrk8s_bgp_session_up", {"peer": "fd00:30::2", "vrf": "default"})) == [1]


def test_missing_secret_is_a_conversion_failure(agent: RunningAgent) -> None:
    """Upstream's e2e: a missing Secret shows in lastConversionResult; stale 1, update errors;
    creating the Secret fixes it."""
    agent.apply("a.yaml", frrconfig("cfg-a", neighbors(peer(R2, 64514))))
    agent.reject(
        "pw.yaml",
        frrconfig("pw", neighbors(peer(R1, 64513, "      passwordSecret:\n        name: nonexisting\n"))),
    )
    wait_until(
        lambda: "secret nonexisting not found" in node_state(agent).get("lastConversionResult", ""),
        POLLS,
        "the missing secret in lastConversionResult",
    )
    assert node_state(agent)["lastReloadResult"] == "success"
    assert R1 not in node_state(agent)["runningConfig"]
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 1
    assert (metric(body, "frrk8s_k8s_client_update_errors_total") or 0) >= 1

    agent.apply("secret.yaml", secret("nonexisting", "nowItExists1"))
    wait_until(lambda: node_state(agent).get("lastConversionResult") == "success", POLLS, "success")
    st = node_state(agent)
    assert f"neighbor {R1} password <retracted>" in st["runningConfig"]
    assert "nowItExists1" not in st["runningConfig"]
    _, body = http_get(agent.metrics_url + "/metrics")
    assert metric(body, "frrk8s_k8s_client_config_stale_bool") == 0
