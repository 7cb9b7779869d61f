"""The agent's event loop: the source, the coalescing reconcile worker, the FRR daemon watch,
the status poll and the services (metrics HTTP server), until stopped.

- Bursts of changes are coalesced: the first change opens a short window (`debounce`), later ones
  replace the pending snapshot, and one pass runs on the final state.
- A failed apply is retried with exponential backoff until it works or a new snapshot arrives
  (the reconciler says when not to: FRR refused the config itself).
- FRR's daemons are checked every `daemon_interval`: a death or restart triggers a pass at once.
- The status poll runs on its interval and right after each pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from frrnode.agent.reconcile import Reconciler
from frrnode.agent.sources import Snapshot, Source
from frrnode.agent.state import AgentState

log = logging.getLogger(__name__)


Observer = Callable[[AgentState], None]


@dataclass
class Backoff:
    """Exponential backoff from `initial` to `maximum`; with `jitter` each delay is drawn from
    [delay * (1 - jitter), delay] (many clients of one server must not retry in step)."""

    initial: float
    maximum: float
    jitter: float = 0.5
    _attempt: int = 0

    def next(self) -> float:
        delay = min(self.maximum, self.initial * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        return float(delay * random.uniform(1.0 - self.jitter, 1.0))

    def reset(self) -> None:
        self._attempt = 0


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
        daemon_interval: float = 1.0,
    ):
        self.source = source
        self.daemon_interval = daemon_interval
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

    def resync(self) -> None:
        """Re-read the source and compare FRR (merged and per daemon) with the desired config
        at once (SIGHUP): the source yields a fresh snapshot (`Source.resync`), whose pass
        runs the check. Call from the agent's event loop."""
        log.info("resync requested: re-reading the source and checking FRR against it")
        self.reconciler.request_verify()
        self.source.resync()

    async def _watch_daemons(self) -> None:
        """Check FRR's daemons every `daemon_interval`; a death or restart triggers a pass."""
        while True:
            await asyncio.sleep(self.daemon_interval)
            events = await asyncio.to_thread(self.reconciler.check_daemons)
            if events:
                self._notify()
                self._poke.set()
                if self._latest is not None:
                    self._dirty.set()

    async def _feed(self) -> None:
        async for snapshot in self.source.snapshots():
            self._latest = snapshot
            self._dirty.set()

    async def _work(self) -> None:
        backoff = Backoff(self.retry_initial, self.retry_max, jitter=0.0)  # FRR is local: no herd
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
                backoff.reset()
                continue
            # Retry the same (latest) snapshot later, unless a new one arrives first.
            delay = backoff.next()
            log.info("retrying in %.1fs", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=delay)
            self._dirty.set()

    async def _poll(self) -> None:
        assert self.poll is not None
        last_error = ""
        while True:
            # Cleared before reading, so a reconcile that ends during this poll is polled again.
            self._poke.clear()
            try:
                await asyncio.to_thread(self.poll, self.state)
                last_error = ""
            except Exception as exc:
                # The traceback once per distinct problem, not every poll interval.
                if repr(exc) != last_error:
                    log.exception("polling FRR state failed")
                else:
                    log.debug("polling FRR state failed again: %r", exc)
                last_error = repr(exc)
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
        if self.reconciler.watch is not None:
            tasks.append(asyncio.create_task(self._watch_daemons(), name="daemons"))
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
