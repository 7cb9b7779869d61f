"""MetalLB in Kubernetes mode end to end: the API-server double, the real kubectl, frrnode's agent
as in the DaemonSet (`frrnode run --kubernetes`), and MetalLB's two parts as their own processes:
`frrnode metallb controller` (IP allocation, one per cluster) and `frrnode metallb speaker`
(the node's FRRConfiguration and ServiceBGPStatus), against the lab's real FRR routers.

The tests run in order and build on each other, as an operator would.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from agent_harness import bgp_table, kernel_routes, wait_until
from kube_harness import NAMESPACE, REPO, Kubectl, LoggedProcess, agent, free_port, frrnode

from frrnode.lab.apiserver import Knobs, run_in_thread
from frrnode.lab.topology import LabTopology

pytestmark = pytest.mark.lab

CRDS = REPO / "config" / "crd" / "bases"
METALLB_CRDS = REPO / "tests" / "fixtures" / "metallb-crds.yaml"
EXAMPLES = REPO / "examples"
MLB = "metallb-system"


class Process(LoggedProcess):
    """An `frrnode metallb ...` process with its log."""

    def __init__(self, args: list[str], log: Path):
        super().__init__(frrnode("metallb", *args), log)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, lab: LabTopology) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("kube-metallb")
    with run_in_thread(work / "double", Knobs(bookmark_interval=1.0)) as double:
        kubectl = Kubectl(double.kubeconfig, work / "kube-cache")
        kubectl("apply", "-f", str(CRDS), "-f", str(METALLB_CRDS))
        for ns in (NAMESPACE, MLB, "default"):
            kubectl.apply(yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        kubectl("apply", "-f", str(EXAMPLES / "node.yaml"), "-f", str(EXAMPLES / "receive-routes.yaml"))
        kubeconfig = str(double.kubeconfig)
        ports = {"controller": free_port(), "speaker": free_port()}
        controller = Process(
            [
                "controller",
                "--kubeconfig",
                kubeconfig,
                "--metrics-address",
                f"127.0.0.1:{ports['controller']}",
            ],
            work / "controller.log",
        )
        speaker: Process | None = None
        parts: dict[str, Any] = {}
        try:
            with agent(double.kubeconfig, lab, "node-a", work) as node_agent:
                speaker = Process(
                    ["speaker", "--node", "node-a", "--kubeconfig", kubeconfig,
                     "--metrics-address", f"127.0.0.1:{ports['speaker']}",
                     "--agent-metrics", f"{node_agent.metrics_url}/metrics"],
                    work / "speaker.log",
                )  # fmt: skip
                parts = {
                    "ports": ports,
                    "kubectl": kubectl,
                    "work": work,
                    "controller": controller,
                    "speaker": speaker,
                    "agent": node_agent,
                    "kubeconfig": kubeconfig,
                    "double": double,
                }
                yield parts
        finally:
            if speaker is not None:
                speaker.stop()
            parts.get("controller", controller).stop()  # the test may have restarted it


def ingress(kubectl: Kubectl, name: str) -> list[str]:
    found = kubectl.run("get", "service", name, "-n", "default", "-o", "yaml")
    if found.returncode != 0:
        return []
    svc = yaml.safe_load(found.stdout)
    return [i["ip"] for i in (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []]


def service(name: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": name},
                "ports": [{"port": 80, "protocol": "TCP"}],
            },
        }
    )


def test_a_service_gets_an_ip_and_both_routers_learn_it(world: dict[str, Any], lab: LabTopology) -> None:
    kubectl = world["kubectl"]
    # MetalLB's objects of the demo (peers, pool, advertisement, Service web and its endpoint).
    kubectl("apply", "-f", str(EXAMPLES / "metallb"))
    wait_until(
        lambda: ingress(kubectl, "web") == ["192.0.2.10"],
        60,
        f"the controller to give web its IP\n{world['controller'].tail()}",
    )
    svc = kubectl.get("service", "web", "-n", "default")
    assert svc["metadata"]["annotations"]["metallb.io/ip-allocated-from-pool"] == "demo"
    wait_until(
        lambda: kubectl.run("get", "frrconfiguration", "metallb-node-a", "-n", NAMESPACE).returncode == 0,
        60,
        f"the speaker's FRRConfiguration\n{world['speaker'].tail()}",
    )
    obj = kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)
    assert obj["spec"]["nodeSelector"] == {"matchLabels": {"kubernetes.io/hostname": "node-a"}}
    assert obj["spec"]["bgp"]["routers"][0]["prefixes"] == ["192.0.2.10/32"]
    for name in ("r1", "r2"):
        wait_until(
            lambda name=name: "192.0.2.10/32" in bgp_table(lab.router(name)), 60, f"{name} to learn it"
        )  # type: ignore[misc]
    # The platform team's object (examples/receive-routes.yaml) merged with MetalLB's on one FRR.
    wait_until(lambda: "10.100.0.0/24" in kernel_routes(lab.node), 60, "the node to learn r1's route")
    statuses = kubectl.get("servicebgpstatuses", "-n", MLB, "-l", "metallb.io/node=node-a")["items"]
    assert [s["status"]["peers"] for s in statuses] == [["r1", "r2"]]
    assert statuses[0]["status"]["serviceName"] == "web"

    def metallb_writes() -> int:
        """Write requests of MetalLB's parts (also those the server finds to change nothing)."""
        requests = world["double"].double.routes.requests
        mine = ("/frrconfigurations", "/servicebgpstatuses", "/services")
        return sum(1 for method, path in requests if method != "GET" and any(m in path for m in mine))

    def speaker_passes() -> float:
        return metrics(world["ports"]["speaker"]).get(("metallb_k8s_client_updates_total", ()), 0.0)

    def speaker_requests() -> int:
        """Requests about what the speaker writes (it compares with its watch caches instead)."""
        requests = world["double"].double.routes.requests
        return sum(1 for m, path in requests if "/frrconfigurations" in path or "/servicebgpstatuses" in path)

    before, passes, asked = metallb_writes(), speaker_passes(), speaker_requests()
    # An object both parts watch changes without changing their result: each runs a pass...
    unrelated = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "unrelated", "namespace": MLB}}
    kubectl.apply(yaml.safe_dump(unrelated))
    wait_until(lambda: speaker_passes() > passes, 30, "the speaker's pass")
    time.sleep(1)
    assert metallb_writes() == before  # ... and sends no write (the server's defaults are no change)
    # ... nor a single read of its own objects (no GET, no LIST per pass: 3,000 speakers would
    # send them on every change of any Service or EndpointSlice of the cluster).
    assert speaker_requests() == asked

    # An edit of MetalLB's object by someone else is seen (watch) and reverted, as upstream.
    spec = kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)["spec"]
    patch = '{"spec":{"bgp":{"routers":[{"asn":64512,"prefixes":["203.0.113.1/32"]}]}}}'
    kubectl("patch", "frrconfiguration", "metallb-node-a", "-n", NAMESPACE, "--type", "merge", "-p", patch)
    wait_until(
        lambda: kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)["spec"] == spec,
        30,
        f"the speaker to revert the edit\n{world['speaker'].tail()}",
    )


def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Samples by (name, sorted labels); the gauges checked here keep their names when parsed."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metallb_metrics_from_the_speaker_and_the_controller(world: dict[str, Any]) -> None:
    """What MetalLB dashboards read, in Kubernetes mode: the speaker's sessions (from the node
    agent's FRR series), its announcements, and the controller's pools."""
    port = world["ports"]["speaker"]
    up = ("metallb_bgp_session_up", (("peer", "172.30.0.2:179"), ("vrf", "default")))
    wait_until(
        lambda: metrics(port).get(up) == 1,
        60,
        f"r1's session in the speaker's metrics\n{world['speaker'].tail()}",
    )
    speaker = metrics(port)
    assert speaker[("metallb_bgp_session_up", (("peer", "172.30.0.3:179"), ("vrf", "default")))] == 1
    assert speaker[("metallb_bgp_announced_prefixes_total", up[1])] >= 1
    announced = (("ip", "192.0.2.10"), ("node", "node-a"), ("protocol", "bgp"), ("service", "default/web"))
    assert speaker[("metallb_speaker_announced", announced)] == 1
    assert speaker[("metallb_k8s_client_config_stale_bool", ())] == 0
    assert speaker[("metallb_k8s_client_updates_total", ())] >= 1
    assert ("metallb_k8s_client_update_errors_total", ()) in speaker
    # Not MetalLB's: the platform team's neighbors are in the agent's frrk8s_* series only.
    assert not [k for k in speaker if k[0].startswith("frrk8s_")]
    controller = metrics(world["ports"]["controller"])
    assert controller[("metallb_allocator_addresses_total", (("pool", "demo"),))] == 10
    assert controller[("metallb_allocator_addresses_in_use_total", (("pool", "demo"),))] == 1
    assert controller[("metallb_k8s_client_config_loaded_bool", ())] == 1
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
        assert response.status == 200


def test_ips_survive_a_controller_restart(world: dict[str, Any]) -> None:
    kubectl = world["kubectl"]
    world["controller"].stop()
    world["controller"] = Process(
        ["controller", "--kubeconfig", world["kubeconfig"]], world["work"] / "c2.log"
    )
    kubectl.apply(service("aaa"))  # sorts before `web`: a fresh allocator would hand it .10
    wait_until(
        lambda: ingress(kubectl, "aaa") == ["192.0.2.11"], 60, "aaa's IP from the restarted controller"
    )
    assert ingress(kubectl, "web") == ["192.0.2.10"]


def configuration_state(kubectl: Kubectl, name: str) -> dict[str, Any]:
    found = kubectl.run("get", "configurationstate", name, "-n", MLB, "-o", "yaml")
    return (yaml.safe_load(found.stdout) or {}).get("status") or {} if found.returncode == 0 else {}


def test_an_invalid_configuration_is_reported_in_configuration_state(world: dict[str, Any]) -> None:
    """MetalLB's e2e (spec §7): a BGPPeer naming a missing BFDProfile makes each part's
    ConfigurationState Invalid, with the object and field in `errorSummary`, while the last
    good configuration stays in use; creating the profile makes them Valid again."""
    kubectl = world["kubectl"]
    for name in ("controller", "speaker-node-a"):
        wait_until(lambda name=name: configuration_state(kubectl, name).get("result") == "Valid", 60, name)  # type: ignore[misc]
    speaker = kubectl.get("configurationstate", "speaker-node-a", "-n", MLB)
    assert speaker["metadata"]["labels"] == {
        "metallb.io/component-type": "speaker",
        "metallb.io/node-name": "node-a",
    }
    valid_since = speaker["status"]["conditions"][0]["lastTransitionTime"]
    before = kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)["spec"]

    peer = {
        "apiVersion": "metallb.io/v1beta2",
        "kind": "BGPPeer",
        "metadata": {"name": "r9", "namespace": MLB},
        "spec": {"myASN": 64512, "peerASN": 64519, "peerAddress": "172.30.0.9", "bfdProfile": "slow"},
    }
    kubectl.apply(yaml.safe_dump(peer))
    for name in ("controller", "speaker-node-a"):
        wait_until(lambda name=name: configuration_state(kubectl, name).get("result") == "Invalid", 60, name)  # type: ignore[misc]
        status = configuration_state(kubectl, name)
        assert "BGPPeer/metallb-system/r9" in status["errorSummary"], status
        assert "spec.bfdProfile" in status["errorSummary"] and "'slow' not found" in status["errorSummary"]
        condition = status["conditions"][0]
        assert (condition["type"], condition["status"], condition["reason"]) == (
            "configReconcilerValid",
            "False",
            "ConfigurationError",
        )
    # The last good configuration is kept: MetalLB's object for the node did not change.
    assert kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)["spec"] == before
    assert ingress(kubectl, "web") == ["192.0.2.10"]

    profile = {
        "apiVersion": "metallb.io/v1beta1",
        "kind": "BFDProfile",
        "metadata": {"name": "slow", "namespace": MLB},
    }
    kubectl.apply(yaml.safe_dump(profile))
    for name in ("controller", "speaker-node-a"):
        wait_until(lambda name=name: configuration_state(kubectl, name).get("result") == "Valid", 60, name)  # type: ignore[misc]
    status = configuration_state(kubectl, "speaker-node-a")
    assert status["errorSummary"] == "" or "errorSummary" not in status
    assert status["conditions"][0]["lastTransitionTime"] >= valid_since
    kubectl("delete", "bgppeer", "r9", "-n", MLB)
    kubectl("delete", "bfdprofile", "slow", "-n", MLB)
    wait_until(
        lambda: kubectl.get("frrconfiguration", "metallb-node-a", "-n", NAMESPACE)["spec"] == before,
        60,
        "MetalLB's object back without r9",
    )


def test_a_deleted_service_is_withdrawn(world: dict[str, Any], lab: LabTopology) -> None:
    kubectl = world["kubectl"]
    kubectl("delete", "service", "web", "-n", "default")
    wait_until(lambda: "192.0.2.10/32" not in bgp_table(lab.router("r1")), 60, "r1 to forget 192.0.2.10/32")
    wait_until(
        lambda: not kubectl.get("servicebgpstatuses", "-n", MLB)["items"], 60, "the ServiceBGPStatus gone"
    )
