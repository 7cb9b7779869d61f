"""Kubernetes mode end to end: the API-server double, the real kubectl, the webhook, and agents
run as in the DaemonSet (`frrnode run --kubernetes`) driving the lab's real FRR routers.

One double, one webhook and one lab (plus a one-router second lab for node-b) per module; the
tests run in order and build on each other, as an operator would.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from agent_harness import bgp_table, kernel_routes, lab_session, neighbor_info, wait_until
from kube_harness import (
    NAMESPACE,
    REPO,
    WEBHOOK_SERVICE,
    AgentProcess,
    Kubectl,
    WebhookThread,
    agent,
    agent_pod,
    free_port,
    webhook_configuration,
)

from frrnode.lab.apiserver import Knobs, RunningDouble, run_in_thread
from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab

EXAMPLES = REPO / "examples"
CRDS = REPO / "config" / "crd" / "bases"


@pytest.fixture(scope="module")
def lab_b() -> Iterator[LabTopology]:
    yield from lab_session("kb", routers=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("kube")
    port = free_port()
    knobs = Knobs(
        bookmark_interval=1.0, service_endpoints={f"{WEBHOOK_SERVICE}.{NAMESPACE}": ("127.0.0.1", port)}
    )
    with run_in_thread(work / "double", knobs) as double:
        kubectl = Kubectl(double.kubeconfig, work / "kube-cache")
        kubectl("apply", "-f", str(CRDS))
        kubectl("create", "namespace", NAMESPACE)
        kubectl.apply(webhook_configuration())
        for node in ("node-a", "node-b"):
            kubectl.apply(agent_pod(node))
        hook = WebhookThread(double.kubeconfig, work / "webhook-certs", port).start()
        try:
            yield {"double": double, "kubectl": kubectl, "work": work, "webhook": hook}
        finally:
            hook.stop()


@pytest.fixture(scope="module")
def kubectl(world: dict[str, Any]) -> Kubectl:
    return world["kubectl"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def double(world: dict[str, Any]) -> RunningDouble:
    return world["double"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def agent_a(world: dict[str, Any], lab: LabTopology) -> Iterator[AgentProcess]:
    with agent(world["double"].kubeconfig, lab, "node-a", world["work"]) as proc:
        yield proc


def node_state(kubectl: Kubectl, node: str = "node-a") -> dict[str, Any]:
    found = kubectl.run("get", "frrnodestate", node, "-o", "yaml")
    return yaml.safe_load(found.stdout) if found.returncode == 0 else {}


def sessions(kubectl: Kubectl, node: str = "node-a") -> dict[str, dict[str, Any]]:
    items = kubectl.get("bgpsessionstates", "-n", NAMESPACE, "-l", f"frrk8s.metallb.io/node={node}")["items"]
    return {i["status"].get("peer", ""): i for i in items}


def running_config(topo: LabTopology) -> str:
    return subprocess.run(
        ["vtysh", "-N", topo.node.pathspace, "-c", "show running-config"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip


def http(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def in_sync(proc: AgentProcess, kubectl: Kubectl, *needles: str, topo: LabTopology | None = None) -> bool:
    assert proc.alive(), proc.tail()
    state = node_state(kubectl).get("status", {})
    return state.get("lastConversionResult") == "success" and all(
        n in state.get("runningConfig", "") for n in needles
    )


def test_apply_examples_then_the_node_learns_and_advertises(
    kubectl: Kubectl, agent_a: AgentProcess, lab: LabTopology
) -> None:
    kubectl("apply", "-f", str(EXAMPLES))
    r1 = lab.router("r1")
    wait_until(
        lambda: {"10.100.0.0/24", "10.200.0.0/24", "10.201.0.0/24"} <= kernel_routes(lab.node),
        60, "the node's kernel routes learned over BGP",
    )  # fmt: skip
    assert "10.100.1.0/24" not in kernel_routes(lab.node)  # r1's other prefix is filtered
    wait_until(lambda: "192.0.2.10/32" in bgp_table(r1), 60, "r1 to learn the LoadBalancer IP")
    # Probes and metrics as in embedded mode (the apply may still be finishing: poll).
    wait_until(lambda: http(agent_a.metrics_url + "/readyz")[0] == 200, 30, "/readyz")
    assert http(agent_a.metrics_url + "/livez")[0] == 200
    session_up = 'frrk8s_bgp_session_up{peer="172.30.0.2",vrf="default"} 1'
    wait_until(lambda: session_up in http(agent_a.metrics_url + "/metrics")[1], 30, "the session in /metrics")


def test_status_objects_show_established_and_a_steady_state_writes_nothing(
    kubectl: Kubectl, double: RunningDouble, agent_a: AgentProcess
) -> None:
    seen: list[Any] = []

    def established() -> bool:
        seen[:] = [{p: s["status"].get("bgpStatus") for p, s in sessions(kubectl).items()}]
        return seen[0] == {"172.30.0.2": "Established", "172.30.0.3": "Established"}

    try:
        wait_until(established, 60, "both BGPSessionStates Established")
    except AssertionError as exc:  # say what the API and FRR showed
        frr = subprocess.run(["vtysh", "-N", agent_a.pathspace, "-c", "show bgp summary"],
                             capture_output=True, text=True, check=False).stdout  # fmt: skip
        raise AssertionError(f"{exc}: sessions {seen}\n{frr}\n{agent_a.tail()}") from None
    # FRR settles (routes received, filtered, advertised): then nothing changes any more.
    counts = {"172.30.0.2": (1, 1), "172.30.0.3": (2, 1)}  # (accepted, advertised)
    wait_until(
        lambda: {p: (s["status"].get("acceptedPrefixes"), s["status"].get("advertisedPrefixes"))
                 for p, s in sessions(kubectl).items()} == counts,
        60, "the sessions' prefix counts",
    )  # fmt: skip
    table = kubectl("get", "frrnodestates,bgpsessionstates", "-A")
    assert "node-a" in table and table.count("Established") == 2
    state = node_state(kubectl)["status"]
    assert state["lastConversionResult"] == "success" and state["lastReloadResult"] == "success"
    assert "FRRConfiguration/frr-k8s-system/metallb-node-a" in state["appliedGenerations"]
    session = sessions(kubectl)["172.30.0.2"]
    assert session["metadata"]["name"].startswith("node-a-")
    assert session["metadata"]["labels"]["frrk8s.metallb.io/vrf"] == ""

    def status_writes() -> int:
        stats = double.double.api.stats
        return sum(
            n for (verb, plural, sub), n in stats.writes.items() if sub == "status" or "state" in plural
        )

    # Routes keep arriving for a moment after the counts above (a router sends the node's own
    # prefix back, counted as received and refused): wait until three polls write nothing.
    def quiet() -> bool:
        writes = status_writes()
        time.sleep(3)
        return status_writes() == writes

    wait_until(quiet, 60, "the status to settle")
    before = status_writes()
    assert before >= 3  # the writes are counted: FRRNodeState and two sessions were written
    requests = len(double.double.routes.requests)
    states_before = kubectl("get", "frrnodestates,bgpsessionstates", "-A", "-o", "yaml")
    time.sleep(5)  # five polls of FRR
    writes = [r for r in double.double.routes.requests[requests:] if r[0] != "GET"]
    after = kubectl("get", "frrnodestates,bgpsessionstates", "-A", "-o", "yaml")
    diagnosis = f"{writes}\n{states_before}\n{after}"
    assert status_writes() == before, f"a steady state must cost zero writes: {diagnosis}"


def test_conflicting_object_is_refused_naming_both_objects(kubectl: Kubectl) -> None:
    bad = (EXAMPLES / "receive-routes.yaml").read_text().replace("asn: 64514", "asn: 64999")
    bad = bad.replace("name: receive-from-routers", "name: other-owner")
    err = kubectl.fails("apply", "-f", "-", stdin=bad)
    assert "frrconfigurationsvalidationwebhook.metallb.io" in err and "denied the request" in err
    assert "FRRConfiguration/frr-k8s-system/other-owner" in err
    assert "FRRConfiguration/frr-k8s-system/metallb-node-a" in err
    assert (
        "64999" in err
        and kubectl.run("get", "frrconfiguration", "other-owner", "-n", NAMESPACE).returncode != 0
    )


def test_misspelt_field_is_refused(kubectl: Kubectl) -> None:
    bad = (EXAMPLES / "receive-routes.yaml").read_text().replace("toReceive:", "toRecieve:", 1)
    bad = bad.replace("name: receive-from-routers", "name: typo")
    err = kubectl.fails("apply", "-f", "-", stdin=bad)
    assert "toRecieve" in err


def test_live_filter_change_lands_without_session_reset(
    kubectl: Kubectl, agent_a: AgentProcess, lab: LabTopology
) -> None:
    before = neighbor_info(lab.node, "172.30.0.2")
    assert before["bgpState"] == "Established"
    wider = (
        (EXAMPLES / "receive-routes.yaml")
        .read_text()
        .replace(
            "            - prefix: 10.100.0.0/24\n",
            "            - prefix: 10.100.0.0/24\n            - prefix: 10.100.1.0/24\n",
        )
    )
    assert wider != (EXAMPLES / "receive-routes.yaml").read_text()
    kubectl.apply(wider)
    wait_until(lambda: "10.100.1.0/24" in kernel_routes(lab.node), 30, "the wider filter to take effect")
    after = neighbor_info(lab.node, "172.30.0.2")
    assert after["bgpState"] == "Established"
    assert after["connectionsEstablished"] == before["connectionsEstablished"]
    assert after["connectionsDropped"] == before["connectionsDropped"]


SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: bgp-pw, namespace: frr-k8s-system}
type: kubernetes.io/basic-auth
stringData: {password: s3cret-e2e-pw}
"""

WITH_SECRET = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata: {name: with-password, namespace: frr-k8s-system}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-a}}
  bgp:
    routers:
    - asn: 64512
      neighbors:
      - {address: 172.30.0.99, asn: 64599, passwordSecret: {name: bgp-pw, namespace: frr-k8s-system}}
"""


def test_deleted_secret_is_a_conversion_failure_and_frr_keeps_its_config(
    kubectl: Kubectl, agent_a: AgentProcess, lab: LabTopology
) -> None:
    kubectl.apply(SECRET)
    kubectl.apply(WITH_SECRET)
    wait_until(
        lambda: "neighbor 172.30.0.99 password" in running_config(lab), 30, "the neighbor with a password"
    )
    kubectl("delete", "secret", "bgp-pw", "-n", NAMESPACE)
    wait_until(
        lambda: "secret bgp-pw not found" in node_state(kubectl)["status"]["lastConversionResult"],
        30, "the conversion failure in FRRNodeState",
    )  # fmt: skip
    assert "neighbor 172.30.0.99 password" in running_config(lab)  # the last good config stays
    assert "10.100.1.0/24" in kernel_routes(lab.node)
    dumped = kubectl("get", "frrnodestates,bgpsessionstates", "-A", "-o", "yaml")
    assert "s3cret-e2e-pw" not in dumped
    kubectl("delete", "frrconfiguration", "with-password", "-n", NAMESPACE)
    wait_until(lambda: "172.30.0.99" not in running_config(lab), 30, "the object's removal to apply")
    wait_until(lambda: in_sync(agent_a, kubectl), 30, "conversion success again")


ONLY_B = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata: {name: only-node-b, namespace: frr-k8s-system}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: node-b}}
  bgp:
    routers:
    - asn: 64512
      prefixes: [192.0.2.77/32]
      neighbors:
      - address: 172.30.0.2
        asn: 64513
        toAdvertise: {allowed: {prefixes: [192.0.2.77/32]}}
"""

NODE_B = """\
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {kubernetes.io/hostname: node-b}}
"""


def test_two_nodes_each_apply_only_what_selects_them(
    world: dict[str, Any], kubectl: Kubectl, agent_a: AgentProcess, lab: LabTopology, lab_b: LabTopology
) -> None:
    kubectl.apply(NODE_B)
    kubectl.apply(ONLY_B)
    with agent(world["double"].kubeconfig, lab_b, "node-b", world["work"]) as agent_b:
        wait_until(
            lambda: "192.0.2.77/32" in bgp_table(lab_b.router("r1")), 60, "node-b's own prefix at its r1"
        )
        wait_until(
            lambda: node_state(kubectl, "node-b").get("status", {}).get("lastReloadResult") == "success",
            30, "node-b's FRRNodeState",
        )  # fmt: skip
        assert agent_b.alive()
        # node-b got the object without selector, not metallb-node-a's (which selects node-a).
        assert "192.0.2.10/32" not in bgp_table(lab_b.router("r1"))
        applied_b = node_state(kubectl, "node-b")["status"]["appliedGenerations"]
        assert set(applied_b) == {
            "FRRConfiguration/frr-k8s-system/only-node-b",
            "FRRConfiguration/frr-k8s-system/receive-from-routers",
        }
        # ... and node-a never saw node-b's object.
        assert "192.0.2.77" not in running_config(lab)
        assert "192.0.2.77/32" not in bgp_table(lab.router("r1"))
        assert "only-node-b" not in "".join(node_state(kubectl)["status"]["appliedGenerations"])
    kubectl("delete", "frrconfiguration", "only-node-b", "-n", NAMESPACE)


def test_status_cleaner_removes_states_of_nodes_without_agent(kubectl: Kubectl) -> None:
    kubectl.apply("apiVersion: frrk8s.metallb.io/v1beta1\nkind: FRRNodeState\nmetadata: {name: ghost-node}\n")
    wait_until(
        lambda: kubectl.run("get", "frrnodestate", "ghost-node").returncode != 0, 30, "ghost's state gone"
    )
    assert node_state(kubectl)  # node-a's stays (its agent pod exists)


OUTAGE_CHANGE = {
    "apiVersion": "frrk8s.metallb.io/v1beta1",
    "kind": "FRRConfiguration",
    "metadata": {"name": "during-outage", "namespace": NAMESPACE},
    "spec": {
        "nodeSelector": {"matchLabels": {"kubernetes.io/hostname": "node-a"}},
        "bgp": {
            "routers": [
                {
                    "asn": 64512,
                    "prefixes": ["192.0.2.20/32"],
                    "neighbors": [
                        {
                            "address": "172.30.0.3",
                            "asn": 64514,
                            "toAdvertise": {"allowed": {"prefixes": ["192.0.2.20/32"]}},
                        }
                    ],
                }
            ]
        },
    },
}


def test_api_server_gone_then_back_with_410(
    double: RunningDouble, kubectl: Kubectl, agent_a: AgentProcess, lab: LabTopology
) -> None:
    wait_until(lambda: in_sync(agent_a, kubectl), 30, "the agent in sync before the outage")
    config_before = running_config(lab)
    established_before = neighbor_info(lab.node, "172.30.0.3")["connectionsEstablished"]
    d = double.double
    double.go_down()
    try:
        # Meanwhile the cluster moves on (another API server took the write): an object is added,
        # and when this server comes back its history is compacted, so the agent's watches get 410.
        rt = d.registry.get("frrk8s.metallb.io", "v1beta1", "frrconfigurations")
        assert rt is not None
        double.call(d.api.create(rt, NAMESPACE, json.loads(json.dumps(OUTAGE_CHANGE)), {}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert agent_a.alive(), agent_a.tail()
            assert running_config(lab) == config_before, "FRR was touched while the API server was gone"
            time.sleep(2)
    finally:
        double.come_back(compact=True)
    wait_until(
        lambda: "192.0.2.20/32" in bgp_table(lab.router("r2")), 60, "the change made during the outage"
    )
    assert neighbor_info(lab.node, "172.30.0.3")["connectionsEstablished"] == established_before
    assert "is gone, listing again" in agent_a.log.read_text()
    wait_until(lambda: in_sync(agent_a, kubectl, "192.0.2.20/32"), 30, "status in sync after the outage")
