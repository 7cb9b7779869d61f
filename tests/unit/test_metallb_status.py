"""MetalLB's status and metrics in the embedded mode (spec §2.1 results, §6.1, §6.2, §6.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from mlb_helpers import adv, endpoints, load, node, peer, pool, service
from st_fixtures import ReplayVtysh
from test_metrics import _samples

from frrnode.agent.metrics import AgentMetrics, Family, frr_families
from frrnode.frr import state as frr_state
from frrnode.metallb import embedded, metrics
from frrnode.metallb.resources import Settings
from frrnode.metallb.stage import MetalLBStage

SETTINGS = Settings(frrk8s_namespace="frr-k8s-system")
# The replayed FRR state has sessions with 172.29.0.2 (Established, 2 prefixes sent) and
# fd00:29::4 (Established), 172.29.0.3 (Connect), and a BFD peer 172.29.0.2 (up).
DOCS = [
    node("n1"),
    pool("p", "192.0.2.0/30"),
    peer("r1", "172.29.0.2", asn=64513, peerPort=1790),
    peer("r6", "fd00:29::4", asn=64513),
    adv("a"),
    service("web", ports=[{"port": 80}]),
    endpoints("web", "n1"),
    service("other", ports=[{"port": 81}]),
]


def run(docs: list[dict[str, Any]], status_dir: Path) -> MetalLBStage:
    stage, writer = embedded.build("n1", SETTINGS, status_dir)
    embedded.transform(stage, writer)(load(*docs))
    return stage


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_service_status_and_pool_annotation(tmp_path: Path) -> None:
    run(DOCS, tmp_path)
    web = read(tmp_path / "metallb" / "service-default_web.yaml")
    assert web["status"] == {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}
    assert web["metadata"]["annotations"] == {"metallb.io/ip-allocated-from-pool": "p"}
    assert read(tmp_path / "metallb" / "service-default_other.yaml")["status"]["loadBalancer"]["ingress"] == [
        {"ip": "192.0.2.0"}
    ]


def test_allocation_failure_is_reported(tmp_path: Path) -> None:
    docs = [*DOCS, service("third", ports=[{"port": 82}]), service("fourth", ports=[{"port": 83}]),
            service("fifth", ports=[{"port": 84}])]  # fmt: skip
    run(docs, tmp_path)  # five Services, four addresses: served in name order, `web` gets none
    web = read(tmp_path / "metallb" / "service-default_web.yaml")
    assert web["status"] == {"loadBalancer": {}}
    assert web["metadata"]["annotations"]["frrnode.io/allocation-error"] == "no available IPs"


def test_servicebgpstatus_lists_the_peers(tmp_path: Path) -> None:
    run(DOCS, tmp_path)
    files = sorted(p.name for p in (tmp_path / "metallb").glob("servicebgpstatus-*"))
    assert files == ["servicebgpstatus-n1_default_web.yaml"]  # `other` has no endpoint: not announced
    status = read(tmp_path / "metallb" / files[0])
    assert status["status"] == {
        "node": "n1",
        "serviceName": "web",
        "serviceNamespace": "default",
        "peers": ["r1"],
    }
    assert status["metadata"]["labels"]["metallb.io/service-name"] == "web"


def test_status_follows_deletions(tmp_path: Path) -> None:
    run(DOCS, tmp_path)
    run([d for d in DOCS if d["kind"] not in ("Service", "EndpointSlice")], tmp_path)
    assert not list((tmp_path / "metallb").glob("service-*"))
    assert not list((tmp_path / "metallb").glob("servicebgpstatus-*"))


def test_restart_keeps_the_assigned_ips(tmp_path: Path) -> None:
    """A new agent (new stage) reads the persisted status: `web` keeps .1 although a Service
    that sorts first now exists and would be given the first free address otherwise."""
    run(DOCS, tmp_path)
    restarted = run([*DOCS, service("aaa", ports=[{"port": 9}])], tmp_path)
    ips = {k[1]: a.ips for k, a in restarted.state.allocations.items()}
    assert ips == {"aaa": ("192.0.2.2",), "other": ("192.0.2.0",), "web": ("192.0.2.1",)}
    # Without the persisted status the same inputs would move `web`: the files are what keeps it.
    fresh = MetalLBStage("n1", SETTINGS)
    fresh.apply(load(*DOCS, service("aaa", ports=[{"port": 9}])))
    assert fresh.state.allocations[("default", "web")].ips != ("192.0.2.1",)


def test_configuration_state(tmp_path: Path) -> None:
    run(DOCS, tmp_path)
    speaker = read(tmp_path / "metallb" / "configurationstate-speaker-n1.yaml")
    assert speaker["status"]["result"] == "Valid"
    run([*DOCS, peer("bad", "172.29.0.9", holdTime="1s")], tmp_path)
    speaker = read(tmp_path / "metallb" / "configurationstate-speaker-n1.yaml")
    assert speaker["status"]["result"] == "Invalid"
    assert "BGPPeer/metallb-system/bad spec.holdTime" in speaker["status"]["errorSummary"]
    assert speaker["status"]["conditions"][0]["reason"] == "ConfigurationError"


def test_invalid_metallb_config_keeps_the_last_good_object(tmp_path: Path) -> None:
    stage = run(DOCS, tmp_path)
    good = stage.state.configuration
    stage.apply(load(*DOCS, peer("bad", "172.29.0.9", holdTime="1s")))
    assert stage.state.speaker_errors and stage.state.configuration == good


def test_metallb_metrics(tmp_path: Path) -> None:
    stage = run(DOCS, tmp_path)
    m = AgentMetrics(process_metrics=False)
    m.update_snapshot(frr_state.read_snapshot(ReplayVtysh()))
    m.extra_families.append(lambda s: [Family(*f) for f in metrics.families(frr_families(s), stage.state)])
    samples = _samples(m.exposition().decode())
    assert samples[("metallb_bgp_session_up", (("peer", "172.29.0.2:1790"), ("vrf", "default")))] == 1
    assert samples[("metallb_bgp_session_up", (("peer", "[fd00:29::4]:179"), ("vrf", "default")))] == 1
    assert (
        samples[("metallb_bgp_announced_prefixes_total", (("peer", "172.29.0.2:1790"), ("vrf", "default")))]
        == 2
    )
    assert samples[("metallb_bfd_session_up", (("peer", "172.29.0.2"), ("vrf", "default")))] == 1
    # Not MetalLB's peer: only in the frrk8s_* families.
    assert not [k for k in samples if k[0].startswith("metallb_bgp") and ("peer", "172.29.0.3:179") in k[1]]
    assert not [k for k in samples if k[0] == "metallb_bgp_received_prefixes_total"]
    labels = (("ip", "192.0.2.1"), ("node", "n1"), ("protocol", "bgp"), ("service", "default/web"))
    key = ("metallb_speaker_announced", labels)
    assert samples[key] == 1
    assert samples[("metallb_allocator_addresses_total", (("pool", "p"),))] == 4
    assert samples[("metallb_allocator_addresses_in_use_total", (("pool", "p"),))] == 2
    assert samples[("metallb_k8s_client_config_stale_bool", ())] == 0
    assert samples[("metallb_k8s_client_config_loaded_bool", ())] == 1


def test_kubernetes_mode_speaker_metrics_from_the_agents_metrics(tmp_path: Path) -> None:
    """The speaker in Kubernetes mode reads the agent's /metrics (frrk8s_*) over HTTP and serves
    exactly the metallb_* series the embedded agent serves for the same FRR state."""
    from frrnode.agent.metrics import MetricsServer
    from frrnode.kube.metallb_metrics import MetalLBMetrics

    stage = run(DOCS, tmp_path)
    agent = AgentMetrics(process_metrics=False)
    agent.update_snapshot(frr_state.read_snapshot(ReplayVtysh()))
    server = MetricsServer(agent, "127.0.0.1:0").start()
    try:
        speaker = MetalLBMetrics(lambda: stage.state, f"http://127.0.0.1:{server.port}/metrics")
        served = {
            k: v for k, v in _samples(speaker.exposition().decode()).items() if k[0].startswith("metallb_")
        }
    finally:
        server.stop()
    embedded_mode = AgentMetrics(process_metrics=False)
    embedded_mode.update_snapshot(agent.snapshot)
    embedded_mode.extra_families.append(
        lambda s: [Family(*f) for f in metrics.families(frr_families(s), stage.state)]
    )
    expected = {
        k: v for k, v in _samples(embedded_mode.exposition().decode()).items() if k[0].startswith("metallb_")
    }
    assert served == expected
    assert served[("metallb_bgp_session_up", (("peer", "172.29.0.2:1790"), ("vrf", "default")))] == 1
    # No agent to read: the sessions' series are absent, the speaker's own are still there.
    alone = _samples(MetalLBMetrics(lambda: stage.state, "http://127.0.0.1:9/metrics").exposition().decode())
    assert not [k for k in alone if k[0].startswith("metallb_bgp")]
    assert alone[("metallb_k8s_client_config_loaded_bool", ())] == 1


def test_the_agents_series_read_back_exactly() -> None:
    from frrnode.agent.metrics import exposition_text
    from frrnode.kube.metallb_metrics import frr_families_from_text

    odd = (("peer", 'a"b\\c\nd'), ("vrf", "x"))
    written = [
        Family("frrk8s_bgp_opens_sent", "counter", "Opens sent", ((odd, 3.0),)),
        Family(
            "frrk8s_bfd_session_up", "gauge", "Up", (((("peer", "fd00::1"),), 1.0), ((("peer", "::2"),), 0.0))
        ),
        Family("frrnode_other", "gauge", "not read", (((), 1.0),)),
    ]
    assert frr_families_from_text(exposition_text(written)) == written[:2]
