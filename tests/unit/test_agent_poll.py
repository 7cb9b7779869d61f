"""The agent's status poll after each reconcile (found by tests/e2e/test_agent_status.py's review).

A reconcile that ends while a poll is running must still be followed by a poll: the poll may
have read FRR's running config before the apply, and the status files would show that old
config until the next poll interval.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

from frrnode.agent.reconcile import Reconciler
from frrnode.agent.runner import Agent
from frrnode.agent.sources import Snapshot
from frrnode.agent.state import AgentState
from frrnode.errors import ConfigError
from frrnode.frr.reload import ApplyResult
from frrnode.pipeline import Settings


class NeverApplier:
    """Conversion-failure snapshots never reach FRR; calling this is a test failure."""

    def apply(self, config: str) -> ApplyResult:
        raise AssertionError("nothing should be applied")


class TwoSnapshots:
    """Two unloadable snapshots, the second `gap` seconds after the first."""

    def __init__(self, gap: float) -> None:
        self.gap = gap

    async def snapshots(self) -> AsyncIterator[Snapshot]:
        yield Snapshot(resources=None, errors=(ConfigError("first"),))
        await asyncio.sleep(self.gap)
        yield Snapshot(resources=None, errors=(ConfigError("second"),))
        await asyncio.Event().wait()  # a source stays open

    def resync(self) -> None:
        raise AssertionError("not asked for")


def test_reconcile_during_a_slow_poll_is_polled_again() -> None:
    seen: list[int] = []
    done = threading.Event()

    def slow_poll(state: AgentState) -> None:
        # Like the status publisher's read of FRR's running config: what it reads now is
        # written later; both reconciles finish meanwhile.
        reconciles = state.reconciles
        time.sleep(0.5)
        seen.append(reconciles)
        if reconciles >= 2:
            done.set()

    agent = Agent(
        TwoSnapshots(gap=0.15),
        Reconciler(Settings(node_name="n"), NeverApplier()),
        debounce=0.05,
        poll=slow_poll,
        poll_interval=600.0,
    )

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        await asyncio.to_thread(done.wait, 10)
        stop.set()
        await task

    asyncio.run(main())
    assert agent.state.reconciles == 2
    assert seen[-1] == 2, f"no poll after the last reconcile (polls saw {seen})"
