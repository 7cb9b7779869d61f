"""Prometheus metrics and the /metrics, /livez, /readyz HTTP endpoints.

- FRR series (spec §8.1): the `frrk8s_bgp_*` and `frrk8s_bfd_*` families with upstream's names
  and labels (`peer` as FRR prints it, `vrf="default"` for the default VRF). They come from the
  latest `frr.state.Snapshot` (`AgentMetrics.update_snapshot`), the same value the status files
  are built from, so /metrics and the status objects agree.
- Controller series (spec §8.2): `frrk8s_k8s_client_updates_total`, `..._update_errors_total`,
  `..._config_loaded_bool`, `..._config_stale_bool`.
- The agent's own: `frrnode_reconciles_total`, `frrnode_conversion_failures_total`,
  `frrnode_apply_duration_seconds` (histogram), `frrnode_last_successful_apply_timestamp_seconds`,
  `frrnode_frr_state_read_errors_total`, `frrnode_frr_daemon_up{daemon}`,
  `frrnode_frr_daemon_restarts_total{daemon}`, `frrnode_frr_repairs_total{reason}`,
  `frrnode_status_write_errors_total`.

Upstream (Go) exposes counters such as `frrk8s_bgp_opens_sent` without a `_total` suffix;
prometheus_client would rename them, so the FRR families are written by `exposition_text` here,
byte-compatible with the Go client's text format, and the rest by prometheus_client.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import attrgetter
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from frrnode.agent.state import REPAIR_REASONS
from frrnode.frr.state import BfdPeerState, SessionState, Snapshot

log = logging.getLogger(__name__)

DEFAULT_METRICS_ADDRESS = "127.0.0.1:7473"
LIVENESS_DAEMONS: tuple[str, ...] = ("zebra", "bgpd", "staticd", "bfdd")
"""Upstream also requires `watchfrr`; frrnode starts the daemons without it (lab README §2)."""


@dataclass(frozen=True)
class Family:
    """One metric family with its samples (labels -> value)."""

    name: str
    type: str  # "gauge" | "counter"
    help: str
    samples: tuple[tuple[tuple[tuple[str, str], ...], float], ...]


def _bgp_labels(s: SessionState) -> tuple[tuple[str, str], ...]:
    return (("peer", s.peer), ("vrf", s.vrf_name))


def _bfd_labels(b: BfdPeerState) -> tuple[tuple[str, str], ...]:
    return (("peer", b.peer), ("vrf", b.vrf_name))


# (name, type, help, SessionState attribute) in upstream's order (cmd/metrics/collector/bgp.go).
_BGP: tuple[tuple[str, str, str, str], ...] = (
    ("frrk8s_bgp_session_up", "gauge", "BGP session state (1 is up, 0 is down)", "established"),
    ("frrk8s_bgp_announced_prefixes_total", "gauge",
     "Number of prefixes currently being advertised on the BGP session", "advertised"),
    ("frrk8s_bgp_received_prefixes_total", "gauge",
     "Number of prefixes currently being received on the BGP session", "accepted"),
    ("frrk8s_bgp_opens_sent", "counter", "Number of BGP open messages sent", "messages.opens_sent"),
    ("frrk8s_bgp_opens_received", "counter", "Number of BGP open messages received",
     "messages.opens_received"),
    ("frrk8s_bgp_notifications_sent", "counter", "Number of BGP notification messages sent",
     "messages.notifications_sent"),
    ("frrk8s_bgp_updates_total", "counter", "Number of BGP UPDATE messages sent", "messages.updates_sent"),
    ("frrk8s_bgp_updates_total_received", "counter", "Number of BGP UPDATE messages received",
     "messages.updates_received"),
    ("frrk8s_bgp_keepalives_sent", "counter", "Number of BGP keepalive messages sent",
     "messages.keepalives_sent"),
    ("frrk8s_bgp_keepalives_received", "counter", "Number of BGP keepalive messages received",
     "messages.keepalives_received"),
    ("frrk8s_bgp_route_refresh_sent", "counter", "Number of BGP route refresh messages sent",
     "messages.route_refresh_sent"),
    ("frrk8s_bgp_total_sent", "counter", "Number of total BGP messages sent", "messages.total_sent"),
    ("frrk8s_bgp_total_received", "counter", "Number of total BGP messages received",
     "messages.total_received"),
)  # fmt: skip

_BFD_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("frrk8s_bfd_control_packet_input", "control_packet_input", "Number of received BFD control packets"),
    ("frrk8s_bfd_control_packet_output", "control_packet_output", "Number of sent BFD control packets"),
    ("frrk8s_bfd_echo_packet_input", "echo_packet_input", "Number of received BFD echo packets"),
    ("frrk8s_bfd_echo_packet_output", "echo_packet_output", "Number of sent BFD echo packets"),
    ("frrk8s_bfd_session_up_events", "session_up", "Number of BFD session up events"),
    ("frrk8s_bfd_session_down_events", "session_down", "Number of BFD session down events"),
    ("frrk8s_bfd_zebra_notifications", "zebra_notifications", "Number of BFD zebra notifications"),
)


def frr_families(snapshot: Snapshot) -> list[Family]:
    """The §8.1 families for one snapshot. Families without series are left out."""
    out = []
    for name, mtype, help_, attr in _BGP:
        value = attrgetter(attr)
        samples = tuple((_bgp_labels(s), float(value(s))) for s in snapshot.sessions)
        out.append(Family(name, mtype, help_, samples))
    out.append(
        Family(
            "frrk8s_bfd_session_up",
            "gauge",
            "BFD session state (1 is up, 0 is down)",
            tuple((_bfd_labels(b), 1.0 if b.up else 0.0) for b in snapshot.bfd),
        )
    )
    for name, attr, help_ in _BFD_COUNTERS:
        samples = tuple(
            (_bfd_labels(b), float(getattr(b.counters, attr))) for b in snapshot.bfd if b.counters is not None
        )
        out.append(Family(name, "counter", help_, samples))
    return [f for f in out if f.samples]


def _go_float(value: float) -> str:
    """Go's formatting of sample values (integers without `.0`), as the upstream exporter."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _escape_label(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def exposition_text(families: Iterable[Family]) -> str:
    """Prometheus text format 0.0.4, names exactly as given (no `_total` munging)."""
    lines = []
    for f in families:
        lines.append(f"# HELP {f.name} {f.help}")
        lines.append(f"# TYPE {f.name} {f.type}")
        for labels, value in f.samples:
            label_text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
            lines.append(f"{f.name}{{{label_text}}} {_go_float(value)}")
    return "\n".join(lines) + "\n" if lines else ""


class AgentMetrics:
    """All of the agent's metrics; the reconcile loop calls the `observe_*` / `update_*` methods."""

    def __init__(self, registry: CollectorRegistry | None = None, process_metrics: bool = True) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        if process_metrics:
            ProcessCollector(registry=r)
        self.updates = Counter(
            "frrk8s_k8s_client_updates", "Number of k8s object updates that have been processed.", registry=r
        )
        self.update_errors = Counter(
            "frrk8s_k8s_client_update_errors", "Number of k8s object updates that failed for some reason.",
            registry=r,
        )  # fmt: skip
        self.config_loaded = Gauge(
            "frrk8s_k8s_client_config_loaded_bool", "1 if the FRR configuration was loaded at least once.",
            registry=r,
        )  # fmt: skip
        self.config_stale = Gauge(
            "frrk8s_k8s_client_config_stale_bool",
            "1 if running on a stale configuration, because the latest config failed to load.", registry=r,
        )  # fmt: skip
        self.reconciles = Counter("frrnode_reconciles", "Reconcile passes run by the agent.", registry=r)
        self.conversion_failures = Counter(
            "frrnode_conversion_failures",
            "Reconciles whose FRRConfigurations could not be converted.",
            registry=r,
        )
        self.apply_duration = Histogram(
            "frrnode_apply_duration_seconds", "Time to apply a configuration to FRR.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300), registry=r,
        )  # fmt: skip
        self.last_success = Gauge(
            "frrnode_last_successful_apply_timestamp_seconds",
            "Unix time of the last successful apply.",
            registry=r,
        )
        self.state_read_errors = Counter(
            "frrnode_frr_state_read_errors", "Failed reads of FRR's BGP/BFD state.", registry=r
        )
        self.daemon_up = Gauge(
            "frrnode_frr_daemon_up", "1 if the FRR daemon runs (as the agent last saw it).", ["daemon"],
            registry=r,
        )  # fmt: skip
        self.daemon_restarts = Counter(
            "frrnode_frr_daemon_restarts", "FRR daemon restarts the agent saw (each followed by a repair).",
            ["daemon"], registry=r,
        )  # fmt: skip
        self.repairs = Counter(
            "frrnode_frr_repairs",
            "Times the agent put FRR's configuration back: after a daemon restart (daemon_restart), a "
            "daemon lacking its share without a seen restart (daemon_config), drift found by the "
            "periodic check (drift).",
            ["reason"], registry=r,
        )  # fmt: skip
        for reason in REPAIR_REASONS:
            self.repairs.labels(reason)
        self.status_write_errors = Counter(
            "frrnode_status_write_errors", "Failed writes of the status directory (e.g. filesystem full).",
            registry=r,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self.extra_families: list[Callable[[Snapshot], Iterable[Family]]] = []
        """More families computed from the same snapshot at scrape time (MetalLB's `metallb_*`)."""

    # -- feeding -------------------------------------------------------------------------------
    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Publish the latest FRR state (the one the status files were built from)."""
        with self._lock:
            self._snapshot = snapshot
        if snapshot.error:
            self.state_read_errors.inc()

    @property
    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def observe_reconcile(self, conversion_ok: bool) -> None:
        self.reconciles.inc()
        self.updates.inc()
        if not conversion_ok:
            self.conversion_failures.inc()
            self.update_errors.inc()
            self.config_stale.set(1)

    def observe_apply(self, duration: float, ok: bool, at: float | None = None) -> None:
        self.apply_duration.observe(duration)
        if ok:
            self.last_success.set(time.time() if at is None else at)
            self.config_loaded.set(1)
            self.config_stale.set(0)
        else:
            self.update_errors.inc()
            self.config_stale.set(1)

    def set_config_state(self, loaded: bool, stale: bool) -> None:
        """Level-set the §8.2 gauges (e.g. from `AgentState.ready` / `.stale`)."""
        self.config_loaded.set(1 if loaded else 0)
        self.config_stale.set(1 if stale else 0)

    # -- exposition ----------------------------------------------------------------------------
    def exposition(self) -> bytes:
        snapshot = self.snapshot
        families = frr_families(snapshot)
        for source in self.extra_families:
            families += source(snapshot)
        return generate_latest(self.registry) + exposition_text(families).encode()


# ---------------------------------------------------------------- HTTP endpoints


def parse_address(address: str) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `:port` (all interfaces) -> (host, port).

    Raises ValueError with a message fit for the user (no port, a port out of range)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"expected HOST:PORT (e.g. {DEFAULT_METRICS_ADDRESS}), got {address!r}")
    if not 0 <= int(port) <= 65535:
        raise ValueError(f"port {port} of {address!r} is out of range (0-65535)")
    if ":" in host and not host.startswith("["):
        raise ValueError(f"write an IPv6 address in brackets, e.g. [::1]:{port}; got {address!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def liveness_status(daemons: Callable[[], Sequence[str]], expected: Sequence[str] = LIVENESS_DAEMONS) -> int:
    """Upstream's /livez semantics: 500 if asking FRR fails, 404 if a daemon is missing, else 200."""
    try:
        running = set(daemons())
    except Exception:  # any failure to reach FRR means "not alive"
        log.warning("liveness: cannot list FRR daemons", exc_info=True)
        return 500
    return 200 if set(expected) <= running else 404


class Exposing(Protocol):
    """What /metrics serves: `AgentMetrics`, or MetalLB's processes' metrics in Kubernetes mode."""

    def exposition(self) -> bytes: ...


class MetricsServer:
    """A small threaded HTTP server: /metrics, /livez, /readyz.

    `daemons` lists FRR's running daemons (e.g. `Vtysh(...).daemons`); `ready` says whether the
    first config was applied (e.g. `lambda: reconciler.state.ready`).
    """

    def __init__(
        self,
        metrics: Exposing,
        address: str = DEFAULT_METRICS_ADDRESS,
        daemons: Callable[[], Sequence[str]] | None = None,
        ready: Callable[[], bool] = lambda: False,
        expected_daemons: Sequence[str] = LIVENESS_DAEMONS,
    ) -> None:
        self.metrics = metrics
        host, port = parse_address(address)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, server.metrics.exposition(), CONTENT_TYPE_LATEST)
                elif path == "/livez":
                    code = 500 if daemons is None else liveness_status(daemons, expected_daemons)
                    self._send(
                        code, {200: b"ok\n", 404: b"FRR daemons missing\n"}.get(code, b"FRR unreachable\n")
                    )
                elif path == "/readyz":
                    ok = ready()
                    self._send(200 if ok else 503, b"ok\n" if ok else b"no configuration applied yet\n")
                else:
                    self._send(404, b"not found\n")

            def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("metrics http: " + format, *args)

        server_cls = type(
            "_Server", (ThreadingHTTPServer,), {"address_family": _family(host), "daemon_threads": True}
        )
        self._httpd: ThreadingHTTPServer = server_cls((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> MetricsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="frrnode-metrics", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
