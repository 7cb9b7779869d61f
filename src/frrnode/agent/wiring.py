"""Connects the reconciler's state to the outside: status files, Prometheus metrics, health.

Observers only read `AgentState` and FRR; they never change what the agent applies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from frrnode.agent.metrics import AgentMetrics, MetricsServer
from frrnode.agent.reconcile import AgentState, Observer
from frrnode.agent.status import LOG_FILTER, StatusWriter, build_node_state, build_session_states
from frrnode.errors import FrrError
from frrnode.frr.state import read_snapshot
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


class StatusPublisher:
    """After each reconcile and on every poll: FRR state -> status files and metrics."""

    def __init__(
        self,
        settings: Settings,
        vtysh: Vtysh,
        status_dir: Path | None,
        metrics: AgentMetrics | None,
    ):
        self.settings = settings
        self.vtysh = vtysh
        self.writer = StatusWriter(status_dir) if status_dir is not None else None
        self.metrics = metrics
        self._seen = _Seen()

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
        seen.reconciles, seen.conversion_failures = state.reconciles, state.conversion_failures
        seen.applies, seen.apply_failures = state.applies, state.apply_failures

    def poll(self, state: AgentState) -> None:
        """Read FRR's sessions once; the same snapshot feeds the status files and /metrics."""
        snapshot = read_snapshot(self.vtysh)
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
        )
        sessions = build_session_states(self.settings.node_name, snapshot, namespace=self.settings.namespace)
        self.writer.write(node_state, [] if snapshot.error and not snapshot.sessions else sessions)


def observers(
    settings: Settings,
    vtysh: Vtysh,
    status_dir: Path | None,
    metrics_address: str | None,
    ready: Callable[[], bool] | None = None,
) -> tuple[tuple[Observer, ...], Callable[[AgentState], None] | None, MetricsServer | None]:
    """The agent's observers and poll function, and the metrics server (not started).

    From now on FRR's secret arguments (`neighbor X password P` ...) are redacted from every
    frrnode log record.
    """
    LOG_FILTER.attach()
    metrics = AgentMetrics() if metrics_address else None
    publisher = StatusPublisher(settings, vtysh, status_dir, metrics)
    server = None
    if metrics is not None and metrics_address:
        server = MetricsServer(
            metrics, metrics_address, daemons=vtysh.daemons, ready=ready or (lambda: False)
        )
    if status_dir is None and metrics is None:
        return (), None, None
    return (publisher.observe,), publisher.poll, server
