"""frrnode.agent.metrics: exposition text (names/labels as upstream) and the HTTP endpoints."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from st_fixtures import ReplayVtysh

from frrnode.agent import metrics, status
from frrnode.frr import state

_SAMPLE = re.compile(r"(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

UPSTREAM_BGP = [
    "frrk8s_bgp_session_up", "frrk8s_bgp_announced_prefixes_total", "frrk8s_bgp_received_prefixes_total",
    "frrk8s_bgp_opens_sent", "frrk8s_bgp_opens_received", "frrk8s_bgp_notifications_sent",
    "frrk8s_bgp_updates_total", "frrk8s_bgp_updates_total_received", "frrk8s_bgp_keepalives_sent",
    "frrk8s_bgp_keepalives_received", "frrk8s_bgp_route_refresh_sent", "frrk8s_bgp_total_sent",
    "frrk8s_bgp_total_received",
]  # fmt: skip
UPSTREAM_BFD = [
    "frrk8s_bfd_session_up", "frrk8s_bfd_control_packet_input", "frrk8s_bfd_control_packet_output",
    "frrk8s_bfd_echo_packet_input", "frrk8s_bfd_echo_packet_output", "frrk8s_bfd_session_up_events",
    "frrk8s_bfd_session_down_events", "frrk8s_bfd_zebra_notifications",
]  # fmt: skip


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Sample lines as written. (prometheus_client's parser would rename `x` counters to `x_total`,
    hiding exactly what we check; it is still used to check that the text parses.)"""
    list(text_string_to_metric_families(text))
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.fullmatch(line)
        assert m, line
        labels = tuple(sorted(_LABEL.findall(m["labels"] or "")))
        out[(m["name"], labels)] = float(m["value"])
    return out


def _snapshot() -> state.Snapshot:
    return state.read_snapshot(ReplayVtysh())


@pytest.fixture
def agent_metrics() -> metrics.AgentMetrics:
    m = metrics.AgentMetrics(process_metrics=False)
    m.update_snapshot(_snapshot())
    return m


def test_frr_series_names_and_labels(agent_metrics: metrics.AgentMetrics) -> None:
    text = agent_metrics.exposition().decode()
    for name in UPSTREAM_BGP + UPSTREAM_BFD:
        assert f"# TYPE {name} " in text, name
        assert f"\n{name}{{" in text, name
    # Exactly upstream's sample names: no `_total` appended to counters.
    assert "frrk8s_bgp_opens_sent_total" not in text
    samples = _samples(text)
    r1 = (("peer", "172.29.0.2"), ("vrf", "default"))
    assert samples[("frrk8s_bgp_session_up", r1)] == 1
    assert samples[("frrk8s_bgp_session_up", (("peer", "172.29.0.3"), ("vrf", "default")))] == 0
    assert samples[("frrk8s_bgp_session_up", (("peer", "172.28.0.2"), ("vrf", "red")))] == 0
    # IPv6 peers keep FRR's spelling in metrics (only status objects expand them).
    assert samples[("frrk8s_bgp_received_prefixes_total", (("peer", "fd00:29::4"), ("vrf", "default")))] == 3
    assert samples[("frrk8s_bgp_opens_sent", r1)] == 5
    assert samples[("frrk8s_bgp_updates_total_received", r1)] == 5
    assert samples[("frrk8s_bfd_session_up", r1)] == 1
    assert samples[("frrk8s_bfd_control_packet_input", r1)] == 7
    assert samples[("frrk8s_bfd_zebra_notifications", r1)] == 2


def test_counter_type_lines_match_sample_names(agent_metrics: metrics.AgentMetrics) -> None:
    text = agent_metrics.exposition().decode()
    assert "# TYPE frrk8s_bgp_opens_sent counter\n" in text
    assert "# TYPE frrk8s_bgp_session_up gauge\n" in text
    assert 'frrk8s_bgp_opens_sent{peer="172.29.0.2",vrf="default"} 5\n' in text


def test_metrics_agree_with_status_objects(agent_metrics: metrics.AgentMetrics) -> None:
    samples = _samples(agent_metrics.exposition().decode())
    for sess in agent_metrics.snapshot.sessions:
        obj = status.build_session_state("n", sess)
        labels = (("peer", sess.peer), ("vrf", sess.vrf or "default"))
        assert samples[("frrk8s_bgp_session_up", labels)] == (obj.status.bgp_status == "Established")
        assert samples[("frrk8s_bgp_received_prefixes_total", labels)] == obj.status.accepted_prefixes
        assert samples[("frrk8s_bgp_announced_prefixes_total", labels)] == obj.status.advertised_prefixes


def test_controller_and_agent_series(agent_metrics: metrics.AgentMetrics) -> None:
    m = agent_metrics
    m.observe_reconcile(conversion_ok=True)
    m.observe_apply(0.3, ok=True, at=1234.0)
    m.observe_reconcile(conversion_ok=False)
    s = _samples(m.exposition().decode())
    assert s[("frrk8s_k8s_client_updates_total", ())] == 2
    assert s[("frrk8s_k8s_client_update_errors_total", ())] == 1
    assert s[("frrk8s_k8s_client_config_loaded_bool", ())] == 1
    assert s[("frrk8s_k8s_client_config_stale_bool", ())] == 1
    assert s[("frrnode_reconciles_total", ())] == 2
    assert s[("frrnode_conversion_failures_total", ())] == 1
    assert s[("frrnode_apply_duration_seconds_count", ())] == 1
    assert s[("frrnode_apply_duration_seconds_bucket", (("le", "0.5"),))] == 1
    assert s[("frrnode_last_successful_apply_timestamp_seconds", ())] == 1234.0
    m.observe_apply(0.1, ok=True)
    assert _samples(m.exposition().decode())[("frrk8s_k8s_client_config_stale_bool", ())] == 0


def test_empty_snapshot_has_no_frr_series() -> None:
    m = metrics.AgentMetrics(process_metrics=False)
    text = m.exposition().decode()
    assert "frrk8s_bgp_" not in text and "frrk8s_bfd_" not in text
    m.update_snapshot(state.Snapshot(error="bgp: vtysh failed"))
    assert _samples(m.exposition().decode())[("frrnode_frr_state_read_errors_total", ())] == 1


def test_label_values_are_escaped() -> None:
    fam = metrics.Family("x", "gauge", "h", (((("peer", 'a"b\\c'),), 1.0),))
    assert metrics.exposition_text([fam]) == '# HELP x h\n# TYPE x gauge\nx{peer="a\\"b\\\\c"} 1\n'


def test_parse_address() -> None:
    assert metrics.parse_address("127.0.0.1:7473") == ("127.0.0.1", 7473)
    assert metrics.parse_address("[::1]:9") == ("::1", 9)
    assert metrics.parse_address(":80") == ("0.0.0.0", 80)
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        metrics.parse_address("localhost")
    with pytest.raises(ValueError, match="out of range"):
        metrics.parse_address("127.0.0.1:99999")
    with pytest.raises(ValueError, match="brackets"):
        metrics.parse_address("::1:80")


def test_liveness_status() -> None:
    assert metrics.liveness_status(lambda: ["zebra", "bgpd", "staticd", "bfdd"]) == 200
    assert metrics.liveness_status(lambda: ["zebra", "staticd", "bfdd"]) == 404

    def boom() -> list[str]:
        raise RuntimeError("vtysh: cannot connect")

    assert metrics.liveness_status(boom) == 500


class _Daemons:
    def __init__(self) -> None:
        self.value: list[str] | Exception = ReplayVtysh().run("show daemons").split()

    def __call__(self) -> list[str]:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


Served = tuple[metrics.MetricsServer, _Daemons, list[bool]]


@pytest.fixture
def server(agent_metrics: metrics.AgentMetrics) -> Iterator[Served]:
    daemons, ready = _Daemons(), [False]
    srv = metrics.MetricsServer(agent_metrics, "127.0.0.1:0", daemons=daemons, ready=lambda: ready[0]).start()
    try:
        yield srv, daemons, ready
    finally:
        srv.stop()


def _get(srv: metrics.MetricsServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{srv.port}{path}", timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_http_endpoints(server: Served) -> None:
    srv, daemons, ready = server
    code, body = _get(srv, "/metrics")
    assert code == 200 and 'frrk8s_bgp_session_up{peer="172.29.0.2",vrf="default"} 1' in body
    assert _get(srv, "/livez")[0] == 200
    daemons.value = ["zebra", "bgpd"]
    assert _get(srv, "/livez")[0] == 404
    daemons.value = RuntimeError("no vtysh")
    assert _get(srv, "/livez")[0] == 500
    assert _get(srv, "/readyz")[0] == 503
    ready[0] = True
    assert _get(srv, "/readyz")[0] == 200
    assert _get(srv, "/nope")[0] == 404
