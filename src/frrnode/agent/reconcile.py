"""The reconcile loop: snapshot -> NodeConfig -> FRR text -> apply, then tell the observers.

Level-driven and idempotent: every pass recomputes the node's config from the latest snapshot.
- Bursts of changes are coalesced: the first change opens a short window (`debounce`), later ones
  replace the pending snapshot, and one pass runs on the final state.
- An unchanged desired config does not call FRR at all.
- An invalid or conflicting set is never applied: FRR keeps the last good config and the status
  says why (`last_conversion`).
- A failed apply is retried with exponential backoff until it works or a new snapshot arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from frrnode.agent.sources import Snapshot, Source
from frrnode.agent.status import redact, redact_log
from frrnode.api.loader import Resources
from frrnode.errors import ConfigError, ConfigErrors, FrrError
from frrnode.frr.reload import Applier, ApplyResult
from frrnode.frr.render import render_config
from frrnode.model import NodeConfig
from frrnode.pipeline import Settings, build_node_config

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """The outcome of one step (conversion or reload) at one time."""

    ok: bool
    message: str
    at: float

    @classmethod
    def success(cls) -> Result:
        return cls(True, "success", time.time())


@dataclass
class AgentState:
    """What the agent knows; read by the status writer and the metrics (never written by them)."""

    last_conversion: Result | None = None
    last_reload: Result | None = None
    desired_config: str | None = None
    applied_config: str | None = None
    node_config: NodeConfig | None = None
    """The last valid desired config."""
    applied_generations: dict[str, str] = field(default_factory=dict)
    """`FRRConfiguration/ns/name` -> generation (or content hash) that the running config reflects."""
    pending_generations: dict[str, str] = field(default_factory=dict)
    reconciles: int = 0
    conversion_failures: int = 0
    apply_failures: int = 0
    applies: int = 0
    last_apply_seconds: float | None = None
    last_success_at: float | None = None

    @property
    def ready(self) -> bool:
        return self.applied_config is not None

    @property
    def stale(self) -> bool:
        """The latest desired state is not what FRR runs (conversion or apply failed)."""
        return (self.last_conversion is not None and not self.last_conversion.ok) or (
            self.last_reload is not None and not self.last_reload.ok
        )


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


@dataclass(frozen=True)
class Outcome:
    called_frr: bool
    error: str | None = None
    retry: bool = False
    apply: ApplyResult | None = None


class Reconciler:
    """One synchronous pass at a time (the agent serialises them); holds the agent's state."""

    def __init__(
        self,
        settings: Settings,
        applier: Applier,
        render: Callable[[NodeConfig], str] = render_config,
        verify_interval: float = 60.0,
    ):
        self.settings = settings
        self.applier = applier
        self.render = render
        self.verify_interval = verify_interval
        self.state = AgentState()
        self._verified_at = time.monotonic()

    def _drift_check_due(self) -> bool:
        """Time to compare FRR's real running config with what we applied?

        The incremental applier trusts its memory of what FRR runs; if FRR restarted or someone
        changed it by hand, that memory is wrong. Every `verify_interval` an unchanged desired
        config still goes through the applier's full path (frr-reload.py computes the real diff,
        which is empty when nothing drifted, so FRR is only read, not changed).
        """
        reset = getattr(self.applier, "reset", None)
        if reset is None or time.monotonic() - self._verified_at < self.verify_interval:
            return False
        reset()
        return True

    def _conversion_failed(self, errors: list[ConfigError] | tuple[ConfigError, ...]) -> Outcome:
        message = redact_log("failed: " + "; ".join(str(e) for e in errors))
        self.state.last_conversion = Result(False, message, time.time())
        self.state.conversion_failures += 1
        log.error("configuration rejected, FRR keeps its last good config: %s", message)
        return Outcome(called_frr=False, error=message)

    def reconcile(self, snapshot: Snapshot) -> Outcome:
        self.state.reconciles += 1
        if snapshot.resources is None:
            return self._conversion_failed(snapshot.errors)
        try:
            node = build_node_config(snapshot.resources, self.settings)
        except ConfigErrors as exc:
            return self._conversion_failed(exc.errors)
        self.state.last_conversion = Result.success()
        self.state.node_config = node
        text = self.render(node)
        self.state.desired_config = text
        self.state.pending_generations = _generations(snapshot.resources, node)
        last = self.state.last_reload
        if text == self.state.applied_config and (last is None or last.ok) and not self._drift_check_due():
            # Nothing to do for FRR; but an edit that changed nothing still counts as live.
            # After a failed apply the status says "failed" and FRR's state is uncertain, so going
            # back to the last good config applies it again (and reports that real result).
            self.state.applied_generations = self.state.pending_generations
            return Outcome(called_frr=False)
        return self.apply(text)

    def apply(self, text: str) -> Outcome:
        try:
            result = self.applier.apply(text)
        except FrrError as exc:
            message = redact(str(exc))
            self.state.apply_failures += 1
            self.state.last_reload = Result(False, message, time.time())
            log.error("applying the configuration failed: %s", message)
            return Outcome(called_frr=True, error=message, retry=True)
        self._verified_at = time.monotonic()
        if result.changed or self.state.applied_config != text:
            self.state.applies += 1
        self.state.applied_config = text
        self.state.applied_generations = self.state.pending_generations
        self.state.last_reload = Result.success()
        self.state.last_apply_seconds = result.seconds
        self.state.last_success_at = time.time()
        log.info("applied the configuration with %s in %.3fs", result.method, result.seconds)
        return Outcome(called_frr=True, apply=result)


Observer = Callable[[AgentState], None]


class Service(Protocol):
    """Something that runs beside the loop (the metrics HTTP server)."""

    def start(self) -> object: ...
    def stop(self) -> None: ...


class Agent:
    """Runs a source, the coalescing reconcile worker, and periodic observers until stopped."""

    def __init__(
        self,
        source: Source,
        reconciler: Reconciler,
        debounce: float = 0.2,
        retry_initial: float = 1.0,
        retry_max: float = 30.0,
        observers: tuple[Observer, ...] = (),
        poll: Callable[[AgentState], None] | None = None,
        poll_interval: float = 5.0,
        services: tuple[Service, ...] = (),
    ):
        self.source = source
        self.services = services
        self.reconciler = reconciler
        self.debounce = debounce
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.observers = observers
        self.poll = poll
        self.poll_interval = poll_interval
        self._latest: Snapshot | None = None
        self._dirty = asyncio.Event()
        self._poke = asyncio.Event()

    @property
    def state(self) -> AgentState:
        return self.reconciler.state

    def _notify(self) -> None:
        for observer in self.observers:
            try:
                observer(self.state)
            except Exception:  # an observer must never stop the agent
                log.exception("status observer failed")

    async def _feed(self) -> None:
        async for snapshot in self.source.snapshots():
            self._latest = snapshot
            self._dirty.set()

    async def _work(self) -> None:
        backoff = self.retry_initial
        while True:
            await self._dirty.wait()
            # Fixed window from the first change: later changes only replace the pending snapshot.
            await asyncio.sleep(self.debounce)
            self._dirty.clear()
            snapshot = self._latest
            if snapshot is None:
                continue
            outcome = await asyncio.to_thread(self.reconciler.reconcile, snapshot)
            self._notify()
            self._poke.set()
            if not outcome.retry:
                backoff = self.retry_initial
                continue
            # Retry the same (latest) snapshot later, unless a new one arrives first.
            log.info("retrying in %.1fs", backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=backoff)
            self._dirty.set()
            backoff = min(backoff * 2, self.retry_max)

    async def _poll(self) -> None:
        assert self.poll is not None
        while True:
            # Cleared before reading, so a reconcile that ends during this poll is polled again.
            self._poke.clear()
            try:
                await asyncio.to_thread(self.poll, self.state)
            except Exception:
                log.exception("polling FRR state failed")
            # Poll on the interval, and right after each reconcile so status follows changes.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), timeout=self.poll_interval)

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(self._feed(), name="source"),
            asyncio.create_task(self._work(), name="reconcile"),
        ]
        if self.poll is not None:
            tasks.append(asyncio.create_task(self._poll(), name="poll"))
        stopper = asyncio.create_task(stop.wait(), name="stop")
        for service in self.services:
            service.start()
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in [*tasks, stopper]:
                task.cancel()
            await asyncio.gather(*tasks, stopper, return_exceptions=True)
            for service in self.services:
                service.stop()
