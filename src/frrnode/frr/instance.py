"""Start and stop one FRR instance (zebra, bgpd, staticd, bfdd) in a network namespace.

Follows the measured recipe of ../shared/lab (lab.sh): each daemon is started directly
with `ip netns exec NS /usr/lib/frr/D -d -N PATHSPACE -F traditional -A 127.0.0.1 -P 0`, so
no systemd or watchfrr is needed. `-N` moves every path to /etc/frr/PATHSPACE and
/var/run/frr/PATHSPACE, which keeps instances apart. Everything is derived from the pathspace
(no in-memory state), so `stop()` also cleans up after a crashed process or test.
"""

from __future__ import annotations

import contextlib
import grp
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from frrnode.errors import FrrError
from frrnode.frr.vtysh import DEFAULT_DAEMONS, Vtysh

FRR_SBIN = Path("/usr/lib/frr")
FRR_CONF_ROOT = Path("/etc/frr")
FRR_RUN_ROOT = Path("/var/run/frr")
VTYSH_CONF = "service integrated-vtysh-config\n"


def _ids(user: str, group: str) -> tuple[int, int]:
    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def process_state(pid: int) -> str | None:
    """The state letter from /proc/PID/stat, or None if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    rest = stat.rsplit(")", 1)[-1].split()
    return rest[0] if rest else None


def pid_running(pid: int) -> bool:
    """Running and not a zombie: daemonized FRR processes are reaped late by this sandbox's
    PID 1 (about 2 s), so `kill -0` would report them alive long after they exited."""
    state = process_state(pid)
    return state is not None and state not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _is_our_daemon(pid: int, pathspace: str) -> bool:
    """True if PID is an FRR daemon started with `-N pathspace` (guards against PID reuse)."""
    args = _cmdline(pid)
    if not args or not args[0].startswith(str(FRR_SBIN) + "/"):
        return False
    return any(a == "-N" and b == pathspace for a, b in itertools.pairwise(args)) or (
        f"--pathspace={pathspace}" in args
    )


def terminate(pids: Iterable[int], grace: float, still_ours: Callable[[int], bool] = lambda _: True) -> None:
    """SIGTERM `pids`, wait up to `grace` seconds, then SIGKILL those still running and still ours
    (a PID can be reused while we wait)."""
    pids = set(pids)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(pid_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    for pid in pids:
        if pid_running(pid) and still_ours(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


class FrrInstance:
    """One FRR instance: daemons `daemons` with pathspace `pathspace` in network namespace `netns`.

    `netns=None` runs the daemons in the caller's namespace. Logs go to
    /var/run/frr/<pathspace>/<daemon>.log (removed by `cleanup()`).
    """

    def __init__(
        self,
        pathspace: str,
        netns: str | None,
        daemons: Iterable[str] = DEFAULT_DAEMONS,
        timeout: float = 30.0,
        log_level: str = "informational",
    ) -> None:
        if not pathspace or "/" in pathspace or pathspace.startswith("."):
            raise ValueError(f"invalid pathspace {pathspace!r}")
        self.pathspace = pathspace
        self.netns = netns
        self.daemons = tuple(daemons)
        if "zebra" not in self.daemons:
            raise ValueError("zebra is required")
        self.timeout = timeout
        self.log_level = log_level
        self._vtysh = Vtysh(pathspace, timeout=timeout)

    def __repr__(self) -> str:
        return f"FrrInstance(pathspace={self.pathspace!r}, netns={self.netns!r})"

    @property
    def vtysh(self) -> Vtysh:
        return self._vtysh

    @property
    def config_dir(self) -> Path:
        return FRR_CONF_ROOT / self.pathspace

    @property
    def run_dir(self) -> Path:
        return FRR_RUN_ROOT / self.pathspace

    def log_file(self, daemon: str) -> Path:
        return self.run_dir / f"{daemon}.log"

    # -- process bookkeeping -----------------------------------------------------------------
    def pids(self) -> dict[str, int]:
        """Daemon name -> PID of our running daemons (from pid files, checked against cmdline)."""
        found: dict[str, int] = {}
        for daemon in self.daemons:
            pidfile = self.run_dir / f"{daemon}.pid"
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            if pid_running(pid) and _is_our_daemon(pid, self.pathspace):
                found[daemon] = pid
        return found

    def _stray_pids(self) -> set[int]:
        """Our daemons that have no (valid) pid file, e.g. killed during startup."""
        pids: set[int] = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                pid = int(entry.name)
                if _is_our_daemon(pid, self.pathspace) and pid_running(pid):
                    pids.add(pid)
        return pids

    def alive(self) -> bool:
        """All daemons are running (process level; see `vtysh.daemons_alive()` for answering)."""
        return set(self.pids()) == set(self.daemons)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, config_text: str = "") -> None:
        """Start the daemons and apply `config_text` (written to /etc/frr/<ps>/frr.conf first).

        Idempotent: if every daemon already runs and answers, nothing happens. A partially
        running instance (after a crash) is stopped and started again. If FRR rejects a line
        of `config_text`, the daemons keep running and FrrError carries FRR's message.
        """
        if self.alive() and self._vtysh.daemons_alive(self.daemons):
            return
        self.stop()
        uid, gid = _ids("frr", "frr")
        _, vty_gid = _ids("frr", "frrvty")
        for d in (self.config_dir, self.run_dir):
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, uid, gid)
            d.chmod(0o755)
        vtysh_conf = self.config_dir / "vtysh.conf"
        vtysh_conf.write_text(VTYSH_CONF)  # else every vtysh -N call warns on stderr
        os.chown(vtysh_conf, uid, vty_gid)
        vtysh_conf.chmod(0o640)
        conf = self.config_dir / "frr.conf"
        conf.write_text(config_text)
        os.chown(conf, uid, gid)
        conf.chmod(0o640)

        for daemon in self.daemons:
            self._spawn(daemon)
            if daemon == "zebra":
                # Clients (bgpd, ...) connect to zebra's zserv.api: wait for it first.
                self._wait(lambda: (self.run_dir / "zserv.api").exists(), "zebra's zserv.api")
        self._wait(lambda: self._vtysh.daemons_alive(self.daemons), "the daemons to answer vtysh")
        if config_text.strip():
            # vtysh -b applies /etc/frr/<ps>/frr.conf, as frrinit.sh does at boot.
            self._vtysh.boot()

    def _spawn(self, daemon: str) -> None:
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        cmd = [
            *prefix,
            str(FRR_SBIN / daemon),
            "-d",
            "-N",
            self.pathspace,
            "-F",
            "traditional",
            "-A",
            "127.0.0.1",
            "-P",
            "0",
            "--log",
            f"file:{self.log_file(daemon)}",
            "--log-level",
            self.log_level,
        ]
        # -d forks; the parent exits once the daemon is initialised (pid file written).
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout, check=False)
        if proc.returncode != 0:
            err = (proc.stderr + proc.stdout).strip()
            self.stop()
            raise FrrError(f"{daemon} failed to start in {self.netns or 'the current netns'}", err)

    def kill_daemon(self, daemon: str, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send `sig` (default: kill -9) to one daemon; return its PID. Waits until it is gone."""
        pid = self.pids().get(daemon)
        if pid is None:
            raise FrrError(f"{daemon} of {self.pathspace} is not running")
        os.kill(pid, sig)
        self._wait(lambda: not pid_running(pid), f"{daemon} (pid {pid}) to exit")
        return pid

    def restart_daemon(self, daemon: str, boot: bool = True) -> None:
        """Start one daemon again, as watchfrr does after it died: the same command line, then
        (`boot`) `vtysh -b -d DAEMON`, which feeds it its share of /etc/frr/<ps>/frr.conf
        (frrcommon.sh's daemon_start in integrated-config mode)."""
        if daemon in self.pids():
            raise FrrError(f"{daemon} of {self.pathspace} is still running")
        self._spawn(daemon)
        self._wait(lambda: self._vtysh.daemons_alive([daemon]), f"{daemon} to answer vtysh")
        if boot and (self.config_dir / "frr.conf").read_text().strip():
            self._vtysh.boot(daemon)

    def _wait(self, cond: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not cond():
            if time.monotonic() > deadline:
                logs = self._log_tail()
                self.stop()
                msg = f"timed out after {self.timeout:.0f}s waiting for {what} ({self.pathspace})"
                raise FrrError(msg, logs)
            time.sleep(0.02)

    def _log_tail(self, lines: int = 20) -> str:
        out = []
        for daemon in self.daemons:
            with contextlib.suppress(OSError):
                tail = self.log_file(daemon).read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {daemon}.log\n" + "\n".join(tail))
        return "\n".join(out)

    def stop(self, grace: float = 5.0) -> None:
        """Stop our daemons: SIGTERM, then SIGKILL after `grace` seconds. Safe to call anytime.

        Only PIDs whose command line carries `-N <pathspace>` are signalled; zombies count
        as stopped (see `pid_running`).
        """
        pids = set(self.pids().values()) | self._stray_pids()
        terminate(pids, grace, still_ours=lambda pid: _is_our_daemon(pid, self.pathspace))
        for daemon in self.daemons:
            with contextlib.suppress(OSError):
                (self.run_dir / f"{daemon}.pid").unlink()

    def cleanup(self) -> None:
        """Stop and remove /etc/frr/<pathspace> and /var/run/frr/<pathspace> (logs included)."""
        self.stop()
        for d in (self.config_dir, self.run_dir):
            shutil.rmtree(d, ignore_errors=True)

    def __enter__(self) -> FrrInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
