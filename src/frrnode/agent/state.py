"""What the agent knows: written by the reconciler only, read by status files and metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from frrnode.model import NodeConfig


@dataclass(frozen=True)
class Result:
    """The outcome of one step (conversion, reload, repair) at one time."""

    ok: bool
    message: str
    at: float

    @classmethod
    def success(cls, message: str = "success") -> Result:
        return cls(True, message, time.time())

    @classmethod
    def failure(cls, message: str) -> Result:
        return cls(False, message, time.time())


@dataclass
class DaemonStatus:
    """One FRR daemon as the agent last saw it."""

    running: bool = True
    pid: int | None = None
    restarts: int = 0
    """Restarts seen since the agent started (a death and a return count once)."""
    last_restart_at: float | None = None
    down_since: float | None = None


REPAIR_REASONS = ("daemon_restart", "daemon_config", "drift")
"""Why FRR's config was put back: a daemon restarted; a daemon lacked lines without a restart
being seen; the periodic check found FRR's merged running config changed."""


@dataclass
class AgentState:
    """What the agent knows; read by the status writer and the metrics (never written by them)."""

    last_conversion: Result | None = None
    last_reload: Result | None = None
    desired_config: str | None = None
    applied_config: str | None = None
    """The config FRR was last brought to (and verified on, for repairs)."""
    node_config: NodeConfig | None = None
    """The last valid desired config."""
    applied_generations: dict[str, str] = field(default_factory=dict)
    """`FRRConfiguration/ns/name` -> generation (or content hash) that FRR runs now: empty while
    an FRR daemon is down or restarted and not yet repaired (FRR then runs no version fully)."""
    pending_generations: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    """The source's remarks on skipped objects (status `notes`)."""
    reconciles: int = 0
    conversion_failures: int = 0
    apply_failures: int = 0
    applies: int = 0
    last_apply_seconds: float | None = None
    last_success_at: float | None = None
    daemons: dict[str, DaemonStatus] = field(default_factory=dict)
    """FRR's daemons (empty when the agent does not watch them)."""
    pending_repair: set[str] = field(default_factory=set)
    """Daemons restarted since FRR was last put on the config: they may lack it."""
    last_repair: Result | None = None
    repairs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPAIR_REASONS, 0))
    rejected_config: str | None = None
    """A config FRR refused as such (a permanent error): not retried until the input changes."""

    @property
    def ready(self) -> bool:
        return self.applied_config is not None

    @property
    def frr_down(self) -> tuple[str, ...]:
        """Watched daemons that are not running."""
        return tuple(sorted(d for d, s in self.daemons.items() if not s.running))

    @property
    def in_sync(self) -> bool:
        """FRR runs the last applied config in every daemon, as far as the agent knows."""
        return self.applied_config is not None and not self.frr_down and not self.pending_repair

    @property
    def stale(self) -> bool:
        """The latest desired state is not what FRR runs (conversion or apply failed, or an FRR
        daemon is down or not yet repaired)."""
        return (
            (self.last_conversion is not None and not self.last_conversion.ok)
            or (self.last_reload is not None and not self.last_reload.ok)
            or bool(self.frr_down or self.pending_repair)
        )
