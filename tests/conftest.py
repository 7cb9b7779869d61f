"""The whole suite: SIGTERM stops a run the way Ctrl-C does, so fixtures still tear down.

Python's default SIGTERM ends the process on the spot: no `finally`, no fixture teardown, and
a run stopped by a CI timeout or `kill` would leave lab namespaces, FRR daemons and traffic
programs behind. Raised as KeyboardInterrupt in the main thread, pytest ends the run and tears
down every fixture it set up (`manage.down`, ...). Further SIGTERMs are ignored so that the
teardown can finish; forked children keep the default behaviour.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

import pytest

_PID = os.getpid()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if os.getpid() != _PID:  # a child forked with this handler: end as SIGTERM would
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    signal.signal(signum, signal.SIG_IGN)
    raise KeyboardInterrupt(f"signal {signum}: stopping the run, tearing down fixtures")


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
