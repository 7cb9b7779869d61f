"""Which FRR daemons run, and whether one was restarted since we last looked.

Why: FRR keeps its configuration in each daemon's memory. When one daemon is killed and
started again (watchfrr does that, or a pod restart), it comes back empty or with whatever
/etc/frr/frr.conf held, while the other daemons keep theirs. vtysh's `show running-config`
merges every daemon's config, so the combined text still looks right and frr-reload.py sees
nothing to do (issue 9, defect 1). And while a daemon is dead, vtysh sends it nothing and
still exits 0. A daemon's identity (its PID and process start time, read from the pid file FRR
writes in its run directory) is what tells a restart apart.

Reading is cheap (a few small files, no vtysh process), so the agent checks every second.
Where the agent cannot see FRR's processes (another PID namespace), the pid file's content and
modification time stand in for the start time; liveness then comes from `show daemons`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from frrnode.frr.instance import FRR_CONF_ROOT, FRR_RUN_ROOT, process_state
from frrnode.frr.vtysh import DEFAULT_DAEMONS


@dataclass(frozen=True)
class DaemonProcess:
    """One running daemon process: a new `started` (or pid) means the daemon was restarted."""

    pid: int
    started: int
    """Start time in clock ticks after boot (/proc/PID/stat), or the pid file's mtime in ns when
    /proc does not show the process."""


@dataclass(frozen=True)
class DaemonEvents:
    """What changed since the previous check."""

    died: tuple[str, ...] = ()
    """Were running, are not now."""
    restarted: tuple[str, ...] = ()
    """Run as a new process (after a death we saw, or between two checks)."""

    def __bool__(self) -> bool:
        return bool(self.died or self.restarted)


def run_dir(pathspace: str | None) -> Path:
    """FRR's run directory (pid files, vty sockets) of an instance."""
    return FRR_RUN_ROOT / pathspace if pathspace else FRR_RUN_ROOT


def startup_config(pathspace: str | None) -> Path:
    """The frr.conf an instance's daemons boot from (`vtysh -b`, watchfrr's restarts)."""
    return (FRR_CONF_ROOT / pathspace if pathspace else FRR_CONF_ROOT) / "frr.conf"


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    # After the command: state is field 3, starttime field 22 (1-based) -> index 19 here.
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _is_daemon(pid: int, daemon: str) -> bool:
    """PID runs FRR's `daemon` binary (guards against a reused PID in a stale pid file)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0.decode(errors="replace")) == daemon


def read_pidfile(directory: Path, daemon: str) -> tuple[int, int] | None:
    """(pid, mtime in ns) of the daemon's pid file, None when there is none."""
    pidfile = directory / f"{daemon}.pid"
    try:
        return int(pidfile.read_text().strip()), pidfile.stat().st_mtime_ns
    except (OSError, ValueError):
        return None


def visible_process(pid: int, daemon: str) -> DaemonProcess | None:
    """PID as a running `daemon` process seen in /proc, None if it is not (gone, a zombie, or
    a reused PID running something else)."""
    if process_state(pid) in (None, "Z", "X") or not _is_daemon(pid, daemon):
        return None
    ticks = _start_ticks(pid)
    return None if ticks is None else DaemonProcess(pid, ticks)


class DaemonWatch:
    """Compares the daemons' identities between calls of `check()`.

    Identities come from the pid files and /proc. If /proc never shows a daemon (FRR in
    another PID namespace), `alive` (e.g. `lambda: vtysh.daemons()`, may raise when FRR is
    unreachable) says which run, and the pid file's (pid, mtime) is the identity: a daemon
    rewrites it when it starts.
    """

    def __init__(
        self,
        directory: Path,
        daemons: Iterable[str] = DEFAULT_DAEMONS,
        alive: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        self.directory = directory
        self.daemons = tuple(daemons)
        self.alive = alive
        self._seen: dict[str, DaemonProcess | None] = {}
        self._checked = False
        self._visible = False
        """Set once /proc showed one of the daemons: from then on /proc is the truth."""
        self.alive_interval = 5.0
        """Without /proc, `alive` (a vtysh process) is asked at most this often; a daemon that
        rewrites its pid file (a restart) is still seen at every check."""
        self._answering: tuple[float, set[str]] | None = None

    @property
    def processes(self) -> Mapping[str, DaemonProcess | None]:
        """Daemon -> its process at the last check (None: not running)."""
        return dict(self._seen)

    @property
    def down(self) -> tuple[str, ...]:
        """Daemons not running at the last check."""
        return tuple(d for d in self.daemons if self._checked and self._seen.get(d) is None)

    def read(self) -> dict[str, DaemonProcess | None]:
        files = {d: read_pidfile(self.directory, d) for d in self.daemons}
        procs = {d: visible_process(f[0], d) if f else None for d, f in files.items()}
        if any(procs.values()):
            self._visible = True
        if self._visible or self.alive is None:
            return procs if self._visible else {d: DaemonProcess(*f) if f else None for d, f in files.items()}
        answering = self._ask_alive(files)
        out: dict[str, DaemonProcess | None] = {}
        for daemon, f in files.items():
            out[daemon] = (DaemonProcess(*f) if f else DaemonProcess(0, 0)) if daemon in answering else None
        return out

    def _ask_alive(self, files: Mapping[str, tuple[int, int] | None]) -> set[str]:
        assert self.alive is not None
        now = time.monotonic()
        changed = any(
            f is not None and (before := self._seen.get(d)) is not None and DaemonProcess(*f) != before
            for d, f in files.items()
        )
        if self._answering is None or changed or now - self._answering[0] >= self.alive_interval:
            try:
                answering = set(self.alive())
            except Exception:  # FRR unreachable: none of them answers
                answering = set()
            self._answering = (now, answering)
        return self._answering[1]

    def check(self) -> DaemonEvents:
        """Read the daemons; report deaths and restarts since the previous call (none at the
        first call, which only learns the current processes)."""
        now = self.read()
        first, self._checked = not self._checked, True
        before, self._seen = self._seen, now
        if first:
            return DaemonEvents()
        died = tuple(d for d in self.daemons if before.get(d) is not None and now[d] is None)
        restarted = tuple(d for d in self.daemons if now[d] is not None and before.get(d) != now[d])
        return DaemonEvents(died, restarted)
