"""One reconcile pass: snapshot -> NodeConfig -> FRR text -> apply (agent/runner.py runs them).

Level-driven and idempotent: every pass recomputes the node's config from the latest snapshot.
- An unchanged desired config does not call FRR at all.
- An invalid or conflicting set is never applied: FRR keeps the last good config and the status
  says why (`last_conversion`).
- A failed apply asks to be retried, unless FRR refused the config itself (a permanent error):
  that one waits for the input to change (or a daemon restart, or SIGHUP).
- FRR's daemons are watched (`frr.daemons.DaemonWatch`): while one is down nothing is reported
  as applied; one that was restarted gets the whole config again and every daemon is checked
  on its own (`frr.repair.Repairer`), since FRR's merged running config hides a daemon that
  came back empty (issue 9, defect 1).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from frrnode.agent.blame import explain
from frrnode.agent.sources import Snapshot
from frrnode.agent.state import AgentState, DaemonStatus, Result
from frrnode.agent.status import redact, redact_log
from frrnode.api.loader import Resources
from frrnode.errors import ConfigError, ConfigErrors, FrrError
from frrnode.frr.daemons import DaemonEvents, DaemonWatch
from frrnode.frr.incremental import METHOD as INCREMENTAL
from frrnode.frr.reload import Applier, ApplyResult
from frrnode.frr.render import render_config
from frrnode.frr.repair import Repairer, summary
from frrnode.model import NodeConfig
from frrnode.pipeline import PipelineCache, Settings, build_node_config

__all__ = ["AgentState", "Outcome", "Reconciler", "Result"]

log = logging.getLogger(__name__)


def _generation(obj: object) -> str:
    """`metadata.generation` when the API server set one, else a hash of the spec (directory mode)."""
    meta = getattr(obj, "metadata", None)
    generation = getattr(meta, "generation", None)
    if generation:
        return str(generation)
    spec = getattr(obj, "spec", None)
    dump = spec.model_dump(mode="json", by_alias=True) if spec is not None else {}
    return "sha256:" + hashlib.sha256(json.dumps(dump, sort_keys=True).encode()).hexdigest()[:12]


def _generations(resources: Resources, node: NodeConfig) -> dict[str, str]:
    wanted = {str(ref) for ref in node.sources}
    out: dict[str, str] = {}
    for cfg in resources.configurations:
        ref = f"FRRConfiguration/{cfg.metadata.namespace}/{cfg.metadata.name}"
        if ref in wanted:
            out[ref] = _generation(cfg)
    return dict(sorted(out.items()))


def _frr_unchanged(exc: FrrError) -> bool:
    """The failed apply left FRR on its previous config: the grammar check refused it before
    anything was sent, or frr-reload.py's rollback put the previous config back."""
    text = str(exc)
    return "vtysh --dryrun" in text or "the previous configuration was restored" in text


def _drift_lines(result: ApplyResult) -> list[str]:
    """The `+ line` / `- line` changes frr-reload.py made, minus those it always shows (values
    FRR never displays, left in `residual`): what really differed from FRR's running config.
    An apply after a reset that did not go through frr-reload.py was the incremental applier's
    cold start (FRR ran nothing): every line it sent was missing."""
    if not result.changed:
        return []
    if result.method == INCREMENTAL:
        sent = (line.strip() for line in result.output.splitlines())
        return [f"+ {line}" for line in sent if line and not line.startswith(("!", "exit"))]
    residual = set(result.residual)
    return [
        line for line in result.output.splitlines() if line.startswith(("+ ", "- ")) and line not in residual
    ]


@dataclass(frozen=True)
class Outcome:
    """What one pass did: whether it talked to FRR, its error, and whether to retry it."""

    called_frr: bool
    error: str | None = None
    retry: bool = False


class Reconciler:
    """One synchronous pass at a time; holds the agent's state.

    `watch` and `repairer` (optional) guard against FRR daemon restarts (module docstring).
    `reconcile` and `check_daemons` may be called from different threads: a lock serialises
    them (a check during a pass is skipped; the pass checks the daemons itself).
    """

    def __init__(
        self,
        settings: Settings,
        applier: Applier,
        render: Callable[[NodeConfig], str] = render_config,
        verify_interval: float = 60.0,
        watch: DaemonWatch | None = None,
        repairer: Repairer | None = None,
    ):
        self.settings = settings
        self.applier = applier
        self.render = render
        self.verify_interval = verify_interval
        self.watch = watch
        self.repairer = repairer
        self.state = AgentState()
        self.cache = PipelineCache()
        """Per-object results reused between passes (unchanged objects are not translated again)."""
        self._verified_at = time.monotonic()
        self._lock = threading.Lock()
        self._applied_generations: dict[str, str] = {}
        """Generations of `state.applied_config` (restored when a repair brings FRR back)."""
        self._applied_raw = False
        self._force_verify = False

    # -- FRR daemons ---------------------------------------------------------------------------
    def check_daemons(self) -> DaemonEvents:
        """Look at FRR's daemons (cheap: pid files); record deaths and restarts. Returns no
        events while a pass is running (that pass checks them itself)."""
        if not self._lock.acquire(blocking=False):
            return DaemonEvents()
        try:
            return self._check_daemons()
        finally:
            self._lock.release()

    def _check_daemons(self) -> DaemonEvents:
        if self.watch is None:
            return DaemonEvents()
        events = self.watch.check()
        now, state = time.time(), self.state
        for daemon, proc in self.watch.processes.items():
            status = state.daemons.setdefault(daemon, DaemonStatus())
            status.running, status.pid = proc is not None, proc.pid if proc is not None and proc.pid else None
            if status.running:
                status.down_since = None
            elif status.down_since is None:
                status.down_since = now
        for daemon in events.died:
            log.error(
                "FRR daemon %s is not running: its configuration is lost, FRR does not run the desired "
                "configuration until it is back (then it is re-applied)",
                daemon,
            )
        for daemon in events.restarted:
            status = state.daemons[daemon]
            status.restarts += 1
            status.last_restart_at = now
            log.warning(
                "FRR daemon %s was restarted (now pid %s): it may run an empty or old configuration; "
                "re-applying the whole configuration and checking every daemon",
                daemon,
                status.pid or "?",
            )
        if state.applied_config is not None:
            state.pending_repair |= set(events.restarted)
        if state.frr_down or state.pending_repair:
            state.applied_generations = {}
        down = state.frr_down
        if down and (events.died or state.last_reload is None or state.last_reload.ok):
            state.last_reload = Result.failure(
                f"FRR daemon(s) {', '.join(down)} not running: FRR does not run the desired "
                "configuration; it is re-applied when they are back"
            )
        return events

    # -- passes --------------------------------------------------------------------------------
    def request_verify(self) -> None:
        """Make the next pass compare FRR's real running config (and each daemon's) with the
        desired config, as the periodic check does (SIGHUP)."""
        self._force_verify = True

    def _drift_check_due(self) -> bool:
        """Time to compare FRR's real running config with what we applied?

        The incremental applier trusts its memory of what FRR runs; if someone changed FRR by
        hand, that memory is wrong. Every `verify_interval` an unchanged desired config still
        goes through the applier's full path (frr-reload.py computes the real diff, which is
        empty when nothing drifted, so FRR is only read, not changed), and every daemon's own
        config is checked.
        """
        if self._force_verify:
            return True
        return time.monotonic() - self._verified_at >= self.verify_interval

    def _conversion_failed(self, errors: list[ConfigError] | tuple[ConfigError, ...]) -> Outcome:
        message = redact_log("failed: " + "; ".join(str(e) for e in errors))
        self.state.last_conversion = Result(False, message, time.time())
        self.state.conversion_failures += 1
        log.error("configuration rejected, FRR keeps its last good config: %s", message)
        return Outcome(called_frr=False, error=message)

    def reconcile(self, snapshot: Snapshot) -> Outcome:
        with self._lock:
            return self._reconcile(snapshot)

    def _reconcile(self, snapshot: Snapshot) -> Outcome:
        state = self.state
        state.reconciles += 1
        state.notes = snapshot.notes
        if snapshot.resources is None:
            return self._conversion_failed(snapshot.errors)
        try:
            node = build_node_config(snapshot.resources, self.settings, self.cache)
        except ConfigErrors as exc:
            return self._conversion_failed(exc.errors)
        state.last_conversion = Result.success()
        state.node_config = node
        text = self.render(node)
        state.desired_config = text
        state.pending_generations = _generations(snapshot.resources, node)
        self._check_daemons()
        if state.frr_down:
            message = state.last_reload.message if state.last_reload else "FRR daemons not running"
            log.info("not applying: %s", message)
            return Outcome(called_frr=False, error=message, retry=True)
        if state.pending_repair:
            return self._repair(text, node)
        if text == state.rejected_config and not self._force_verify:
            # FRR refused exactly this config; only a change (or a restart, SIGHUP) retries it.
            return Outcome(called_frr=False, error=state.last_reload.message if state.last_reload else None)
        last = state.last_reload
        periodic = self._drift_check_due()
        if text == state.applied_config and (last is None or last.ok) and not periodic:
            # Nothing to do for FRR; but an edit that changed nothing still counts as live.
            # After a failed apply the status says "failed" and FRR's state is uncertain, so going
            # back to the last good config applies it again (and reports that real result).
            state.applied_generations = self._applied_generations = state.pending_generations
            return Outcome(called_frr=False)
        return self._apply(text, node, periodic)

    def _reset(self, reason: str) -> None:
        reset = getattr(self.applier, "reset", None)
        if reset is not None:
            reset(reason)

    def _failed(self, exc: FrrError, node: NodeConfig, text: str, what: str) -> Outcome:
        message = redact(explain(str(exc), node.raw))
        state = self.state
        state.apply_failures += 1
        state.last_reload = Result.failure(message)
        if not _frr_unchanged(exc):
            # FRR may be half-way between two versions: claim none until an apply succeeds.
            state.applied_generations = {}
        if exc.permanent:
            state.rejected_config = text
            log.error(
                "%s failed; FRR refuses this configuration, not retried until it changes: %s", what, message
            )
        else:
            log.error("%s failed: %s", what, message)
        return Outcome(called_frr=True, error=message, retry=not exc.permanent)

    def _apply(self, text: str, node: NodeConfig, periodic: bool = False) -> Outcome:
        state = self.state
        first = state.applied_config is None
        if periodic:
            self._reset("periodic check against FRR's running config")
        elif self._applied_raw:
            # The applied config had raw snippets, which may have removed or changed what the
            # rendered part holds (`no router bgp 64512`): the applier's memory of what FRR runs
            # is unreliable, so diff against FRR itself (defect 6: deleting such a snippet must
            # bring the router back at once, not at the periodic check).
            self._reset("the applied config had raw snippets: diffing against FRR's running config")
        self._force_verify = False
        try:
            result = self.applier.apply(text)
        except FrrError as exc:
            self._after_apply_check()
            return self._failed(exc, node, text, "applying the configuration")
        self._verified_at = time.monotonic()
        if not self._after_apply_check():
            message = state.last_reload.message if state.last_reload else "an FRR daemon restarted"
            state.apply_failures += 1
            return Outcome(called_frr=True, error=message, retry=True)
        drift = _drift_lines(result) if periodic else []
        if drift:
            state.repairs["drift"] += 1
            state.last_repair = Result.success(
                f"drift repaired: FRR's running config differed from the applied configuration in "
                f"{len(drift)} line(s)"
            )
            log.warning(
                "drift repaired: FRR's running config differed from the applied configuration "
                "(changed by hand, or a daemon restarted unseen): %s",
                "; ".join(drift[:5]) + (" ..." if len(drift) > 5 else ""),
            )
        if (periodic or first or "/" in result.method) and self.repairer is not None:
            try:
                self._verify_daemons(text)
            except FrrError as exc:
                return self._failed(exc, node, text, "checking every FRR daemon")
        if result.changed or state.applied_config != text:
            state.applies += 1
        self._succeeded(text, bool(node.raw), state.pending_generations)
        state.last_apply_seconds = result.seconds
        if periodic and not result.changed:
            log.debug("periodic check: FRR runs the desired configuration (%.3fs)", result.seconds)
        else:
            log.info("applied the configuration with %s in %.3fs", result.method, result.seconds)
        return Outcome(called_frr=True)

    def _succeeded(self, text: str, raw: bool, generations: dict[str, str]) -> None:
        """FRR runs `text` (with raw snippets: `raw`), the objects of `generations` are live."""
        state = self.state
        state.applied_config = text
        state.applied_generations = self._applied_generations = generations
        state.last_reload = Result.success()
        state.last_success_at = time.time()
        state.rejected_config = None
        self._applied_raw = raw

    def _after_apply_check(self) -> bool:
        """After talking to FRR: did a daemon die or restart meanwhile? (Then FRR does not run
        what was applied: vtysh skips a dead daemon and exits 0.)"""
        events = self._check_daemons()
        if events.restarted:
            self.state.pending_repair |= set(events.restarted)
            self.state.applied_generations = {}
            if not self.state.frr_down:
                self.state.last_reload = Result.failure(
                    f"FRR daemon(s) {', '.join(events.restarted)} restarted while the configuration "
                    "was applied: re-applying it"
                )
        return not (self.state.frr_down or events.restarted)

    def _verify_daemons(self, text: str) -> None:
        """Every daemon holds its share of the merged running config, or gets the config again."""
        assert self.repairer is not None
        missing = self.repairer.complete(text)
        if missing:
            self.state.repairs["daemon_config"] += 1
            self.state.last_repair = Result.success(f"{summary(missing)}: configuration pushed to them again")

    def _repair(self, text: str, node: NodeConfig) -> Outcome:
        """Restarted daemons: put FRR back on the desired config (or, when FRR refused that
        one, the last good config) and check every daemon."""
        state = self.state
        daemons = sorted(state.pending_repair)
        target, generations, raw = text, state.pending_generations, bool(node.raw)
        if text == state.rejected_config and state.applied_config is not None:
            target, generations, raw = state.applied_config, self._applied_generations, self._applied_raw
        reason = f"FRR daemon(s) {', '.join(daemons)} restarted: FRR's state is unknown"
        if self.repairer is None:
            self._reset(reason)
            state.pending_repair.clear()
            return self._apply(target, node)
        try:
            result = self.repairer.repair(target, daemons, reason)
        except FrrError as exc:
            self._after_apply_check()
            outcome = self._failed(exc, node, target, f"restoring the configuration of {', '.join(daemons)}")
            return Outcome(called_frr=True, error=outcome.error, retry=True)
        if not self._after_apply_check():
            state.apply_failures += 1
            message = "an FRR daemon restarted again during the repair"
            return Outcome(called_frr=True, error=message, retry=True)
        state.pending_repair.clear()
        self._verified_at = time.monotonic()
        state.repairs["daemon_restart"] += 1
        restored = "the desired configuration" if target == text else "the last good configuration"
        message = (
            f"FRR daemon(s) {', '.join(daemons)} restarted: {restored} re-applied and verified in every "
            f"daemon in {result.seconds:.2f}s"
        )
        state.last_repair = Result.success(message)
        log.warning("%s", message)
        rejected = state.last_reload if target != text else None
        self._succeeded(target, raw, generations)
        if rejected is not None:  # the desired config is still refused: keep saying so
            state.last_reload, state.rejected_config = rejected, text
        state.applies += 1
        state.last_apply_seconds = result.seconds
        return Outcome(called_frr=True)
