"""Connects the reconciler's state to the outside: status files, Prometheus metrics, health.

Observers only read `AgentState` and FRR; they never change what the agent applies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from frrnode.agent.metrics import AgentMetrics, Family, MetricsServer
from frrnode.agent.runner import Observer
from frrnode.agent.sessions import desired_sessions, with_missing_down
from frrnode.agent.state import AgentState
from frrnode.agent.status import LOG_FILTER, StatusWriter, build_node_state, build_session_states
from frrnode.api.v1beta1 import BGPSessionState, FRRNodeState
from frrnode.errors import FrrError
from frrnode.frr.state import BfdPeerState, SessionState, Snapshot, read_snapshot
from frrnode.frr.vtysh import Vtysh
from frrnode.pipeline import Settings

log = logging.getLogger(__name__)


@dataclass
class _Seen:
    """Counters already reported to Prometheus (the state holds totals; metrics want increments)."""

    reconciles: int = 0
    conversion_failures: int = 0
    applies: int = 0
    apply_failures: int = 0
    restarts: dict[str, int] = field(default_factory=dict)
    repairs: dict[str, int] = field(default_factory=dict)


class StatusSink(Protocol):
    """Where the status objects go: files (`StatusWriter`) or the API (`kube.status.ApiStatusSink`).
    `write` gets the complete current set, already redacted (`agent.status.redact`, by position);
    an `OSError` from it is reported as `statusWriteError` (a full status filesystem)."""

    def write(self, node_state: FRRNodeState | None, sessions: Iterable[BGPSessionState]) -> object: ...


class StatusPublisher:
    """After each reconcile and on every poll: FRR state -> status objects and metrics.

    While FRR cannot report its sessions (bgpd down, restarted and not yet repaired, FRR
    unreachable), the sessions the node had or should have are reported down, not dropped
    (`agent.sessions`). A status directory that cannot be written (full filesystem) is said
    once in the log and in `frrnode_status_write_errors_total`; the agent keeps applying.
    """

    def __init__(
        self,
        settings: Settings,
        vtysh: Vtysh,
        status_dir: Path | None,
        metrics: AgentMetrics | None,
        sink: StatusSink | None = None,
    ):
        self.settings = settings
        self.vtysh = vtysh
        self.status_dir = status_dir
        self.writer: StatusSink | None = sink
        if sink is None and status_dir is not None:
            self.writer = StatusWriter(status_dir)
        self.metrics = metrics
        self._seen = _Seen()
        self._known: dict[tuple[str, str], SessionState] = {}
        """Sessions last seen in FRR, reported down while FRR cannot tell."""
        self._known_bfd: list[BfdPeerState] = []
        self._write_error: str | None = None

    def observe(self, state: AgentState) -> None:
        """Called after every reconcile pass: count it in the metrics."""
        if self.metrics is None:
            return
        m, seen = self.metrics, self._seen
        for _ in range(state.reconciles - seen.reconciles):
            m.reconciles.inc()
            m.updates.inc()
        for _ in range(state.conversion_failures - seen.conversion_failures):
            m.conversion_failures.inc()
            m.update_errors.inc()
        for _ in range(state.apply_failures - seen.apply_failures):
            m.update_errors.inc()
        if state.applies > seen.applies and state.last_apply_seconds is not None:
            m.apply_duration.observe(state.last_apply_seconds)
        if state.last_success_at is not None:
            m.last_success.set(state.last_success_at)
        m.set_config_state(loaded=state.ready, stale=state.stale)
        for daemon, d in state.daemons.items():
            m.daemon_up.labels(daemon).set(1 if d.running else 0)
            m.daemon_restarts.labels(daemon).inc(d.restarts - seen.restarts.get(daemon, 0))
            seen.restarts[daemon] = d.restarts
        for reason, count in state.repairs.items():
            m.repairs.labels(reason).inc(count - seen.repairs.get(reason, 0))
            seen.repairs[reason] = count
        seen.reconciles, seen.conversion_failures = state.reconciles, state.conversion_failures
        seen.applies, seen.apply_failures = state.applies, state.apply_failures

    def _sessions(self, state: AgentState) -> Snapshot:
        """FRR's sessions, completed with those it cannot report (see the class docstring)."""
        snapshot = read_snapshot(self.vtysh)
        down = set(state.frr_down)
        reason = None
        if "bgpd" in down:
            reason = "bgpd is not running"
        elif "bgpd" in state.pending_repair:
            reason = "bgpd was restarted; its configuration is being restored"
        elif snapshot.error and snapshot.error.startswith("bgp"):
            reason = f"FRR does not answer: {snapshot.error}"
        if reason is None:
            self._known = {(s.vrf, s.peer): s for s in snapshot.sessions}
            if "bfdd" not in down:
                self._known_bfd = list(snapshot.bfd)
                return snapshot
        known = list(self._known.values()) + desired_sessions(state.node_config)
        return with_missing_down(
            snapshot,
            known if reason else [],
            reason or "",
            self._known_bfd,
            "bfdd is not running" if "bfdd" in down else None,
        )

    def poll(self, state: AgentState) -> None:
        """Read FRR's sessions once; the same snapshot feeds the status files and /metrics."""
        snapshot = self._sessions(state)
        if self.metrics is not None:
            self.metrics.update_snapshot(snapshot)
        if self.writer is None:
            return
        try:
            running = self.vtysh.running_config()
        except FrrError as exc:
            running = f"unavailable: {exc}"
        node_state = build_node_state(
            self.settings.node_name,
            running,
            last_reload=state.last_reload,
            last_conversion=state.last_conversion,
            applied_generations=state.applied_generations,
            daemons=state.daemons,
            last_repair=state.last_repair,
            status_write_error=self._write_error,
            notes=state.notes,
        )
        sessions = build_session_states(self.settings.node_name, snapshot, namespace=self.settings.namespace)
        self._write(node_state, sessions)

    def _write(self, node_state: FRRNodeState, sessions: list[BGPSessionState]) -> None:
        assert self.writer is not None
        try:
            self.writer.write(node_state, sessions)
        except OSError as exc:
            self._write_failed(exc)
            return
        if self._write_error is not None:
            log.info("the status directory %s is writable again", self.status_dir)
            self._write_error = None
            # The node state written above still carried the error: write it again without.
            cleared = node_state.status.model_copy(update={"status_write_error": None})
            with contextlib.suppress(OSError):
                self.writer.write(node_state.model_copy(update={"status": cleared}), sessions)

    def _write_failed(self, exc: OSError) -> None:
        message = f"cannot write status files to {self.status_dir}: {exc.strerror or exc}"
        if self.metrics is not None:
            self.metrics.status_write_errors.inc()
        if message != self._write_error:
            # Once per distinct problem, not every poll: the agent keeps applying meanwhile.
            log.error("%s; the status there is stale until this is fixed (FRR is still managed)", message)
        else:
            log.debug("%s (still)", message)
        self._write_error = message


def observers(
    settings: Settings,
    vtysh: Vtysh,
    status_dir: Path | None,
    metrics_address: str | None,
    ready: Callable[[], bool] | None = None,
    sink: StatusSink | None = None,
    metric_sources: Iterable[Callable[[Snapshot], Iterable[Family]]] = (),
) -> tuple[tuple[Observer, ...], Callable[[AgentState], None] | None, MetricsServer | None]:
    """The agent's observers and poll function, and the metrics server (not started).

    Status objects go to `sink` when given (Kubernetes mode), else to files in `status_dir`.
    From now on FRR's secret arguments (`neighbor X password P` ...) are redacted from every
    frrnode log record.
    """
    LOG_FILTER.attach()
    metrics, server = None, None
    if metrics_address:
        metrics = AgentMetrics()
        metrics.extra_families += metric_sources
        server = MetricsServer(
            metrics, metrics_address, daemons=vtysh.daemons, ready=ready or (lambda: False)
        )
    publisher = StatusPublisher(settings, vtysh, status_dir, metrics, sink)
    if publisher.writer is None and metrics is None:
        return (), None, None
    return (publisher.observe,), publisher.poll, server
