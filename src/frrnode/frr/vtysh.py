"""A small synchronous vtysh client for one FRR instance (optionally in a pathspace).

Every call is a separate `vtysh` process with a timeout: vtysh talks to the daemons over unix
sockets under /var/run/frr/<pathspace>/, so this works from any network namespace. Failures
raise `FrrError` carrying FRR's own output, which the status layer shows to the user.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from frrnode.errors import FrrError

VTYSH = "/usr/bin/vtysh"
DEFAULT_DAEMONS: tuple[str, ...] = ("zebra", "bgpd", "staticd", "bfdd")

# Header lines of `show running-config` that are not configuration: feeding them back to
# vtysh -f or frr-reload.py fails with "Unknown command" (lab README §4).
_RUNNING_CONFIG_HEADERS = ("Building configuration...", "Current configuration:")


def strip_running_config_headers(text: str) -> str:
    """Drop the non-configuration header lines `show running-config` prints first."""
    lines = text.splitlines()
    while lines and (lines[0].strip() in _RUNNING_CONFIG_HEADERS or lines[0].strip() in ("", "!")):
        lines.pop(0)
    return "\n".join(lines) + ("\n" if lines else "")


class Vtysh:
    """vtysh bound to one FRR instance.

    `pathspace` is FRR's `-N` name (None for the default instance); `timeout` bounds every
    call (seconds); `binary` is the vtysh executable.
    """

    def __init__(self, pathspace: str | None = None, timeout: float = 30.0, binary: str = VTYSH) -> None:
        self.pathspace = pathspace
        self.timeout = timeout
        self.binary = binary

    def __repr__(self) -> str:
        return f"Vtysh(pathspace={self.pathspace!r}, timeout={self.timeout})"

    # -- low level ---------------------------------------------------------------------------
    def _base(self) -> list[str]:
        base = [self.binary]
        if self.pathspace:
            base += ["-N", self.pathspace]
        return base

    def _exec(self, args: Sequence[str], what: str, timeout: float | None = None) -> str:
        """Run vtysh with `args`; return stdout; raise FrrError with FRR's output on failure.

        vtysh exits non-zero when a command or a line of a -f file fails (1: unknown command,
        2: a line of -f failed, 13: a daemon refused); FRR's messages go to stdout and stderr.
        """
        cmd = self._base() + list(args)
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=self.timeout if timeout is None else timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            out = _text(exc.stdout) + _text(exc.stderr)
            raise FrrError(f"vtysh timed out after {exc.timeout:.1f}s: {what}", out.strip()) from exc
        except OSError as exc:
            raise FrrError(f"cannot run {self.binary}: {exc}") from exc
        if proc.returncode != 0:
            detail = _clean(proc.stdout + proc.stderr)
            # 2: a line of -f failed, 4: unknown or incomplete command, 13: a daemon refused a
            # line (the input is the problem);
            # 1 is also "cannot connect to any daemon", which passes when FRR is back.
            permanent = proc.returncode in (2, 4, 13)
            raise FrrError(f"vtysh failed (exit {proc.returncode}): {what}", detail, permanent=permanent)
        return proc.stdout

    # -- public API --------------------------------------------------------------------------
    def run(self, *commands: str) -> str:
        """Run commands (`vtysh -c c1 -c c2 ...`) in one vtysh process; return stdout."""
        if not commands:
            raise ValueError("run() needs at least one command")
        args: list[str] = []
        for c in commands:
            args += ["-c", c]
        return self._exec(args, "; ".join(commands))

    def json(self, command: str) -> Any:
        """Run one `show ... json` command and parse its output.

        FRR answers `{}` or `[]` when there is nothing to show; no output at all means the
        daemon that owns the command is not running (vtysh still exits 0): an error."""
        out = self.run(command)
        if not out.strip():
            raise FrrError(f"no answer to {command!r}: the FRR daemon that serves it is not running")
        try:
            return json.loads(out)
        except json.JSONDecodeError as exc:
            raise FrrError(f"vtysh returned invalid JSON for {command!r}: {exc}", out[:2000]) from exc

    def configure(self, config: str | Iterable[str], daemon: str | None = None) -> str:
        """Feed configuration lines to the running daemons (`vtysh -f FILE`), or to `daemon`
        only (`vtysh -d DAEMON -f FILE`: each line goes there if that daemon handles it, and is
        skipped silently otherwise).

        The file is read as if typed after `configure terminal`, with indentation-free FRR
        syntax (`router bgp N` enters the BGP node, `exit` leaves it). Lines already applied
        before an error stay applied: FRR has no transactions across daemons. Note that vtysh
        skips a daemon that is not running and still exits 0.
        """
        text = config if isinstance(config, str) else "\n".join(config)
        if not text.endswith("\n"):
            text += "\n"
        fd, name = tempfile.mkstemp(prefix="frrnode-vtysh-", suffix=".conf")
        target = ["-d", daemon] if daemon else []
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            what = f"configure{' ' + daemon if daemon else ''} ({text.count(chr(10))} lines)"
            return self._exec([*target, "-f", name], what)
        finally:
            os.unlink(name)

    def dryrun(self, path: str | Path) -> None:
        """Check a configuration file's grammar without touching the daemons (`vtysh --dryrun`).

        Raises FrrError with FRR's message (`line N: % Unknown command: ...`). This is a
        grammar check only: semantic problems surface when the daemons apply the config.
        """
        try:
            proc = subprocess.run(
                [self.binary, "--dryrun", "-f", str(path)],
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise FrrError(f"vtysh --dryrun timed out after {exc.timeout:.1f}s", str(path)) from exc
        if proc.returncode != 0:
            raise FrrError(
                f"FRR rejected the configuration {path} (vtysh --dryrun exit {proc.returncode})",
                _clean(proc.stdout + proc.stderr),
                permanent=True,
            )

    def boot(self, daemon: str | None = None) -> None:
        """Apply /etc/frr/<pathspace>/frr.conf to the daemons (`vtysh -b`, as frrinit.sh does),
        or to `daemon` only (`vtysh -b -d D`, as after watchfrr restarts one)."""
        target = ["-d", daemon] if daemon else []
        self._exec(["-b", *target], f"boot configuration{' of ' + daemon if daemon else ''}")

    def running_config(self) -> str:
        """The running configuration, without the non-config header lines."""
        return strip_running_config_headers(self.run("show running-config"))

    def daemon_configs(self, daemons: Iterable[str] = DEFAULT_DAEMONS) -> dict[str, str]:
        """Each daemon's own running config (`show running-config DAEMON`), in one vtysh process.

        `show running-config` merges the daemons' configs, so a daemon that lost its config is
        hidden by the others; this shows each one alone. A daemon that is not running is left
        out (vtysh prints "D is not running" on stderr and nothing on stdout).
        """
        names = list(daemons)
        out = self.run(*(f"show running-config {d} no-header" for d in names))
        parts: list[list[str]] = [[]]
        for line in out.splitlines():
            parts[-1].append(line)
            if line.strip() == "end":  # each daemon's config ends with `end`
                parts.append([])
        blocks = ["\n".join(p) + "\n" for p in parts if any(x.strip() for x in p)]
        if len(blocks) == len(names):
            return dict(zip(names, blocks, strict=True))
        # Some daemon printed nothing (not running): ask one at a time to know which.
        return {d: text for d in names if (text := self.run(f"show running-config {d} no-header")).strip()}

    def daemons(self) -> list[str]:
        """Names of the daemons vtysh can currently reach (`show daemons`)."""
        return self.run("show daemons").split()

    def daemons_alive(self, daemons: Iterable[str] = DEFAULT_DAEMONS) -> bool:
        """True when every daemon in `daemons` answers vtysh; never raises."""
        try:
            running = set(self.daemons())
        except FrrError:
            return False
        return set(daemons) <= running


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _clean(text: str) -> str:
    """FRR's output minus harmless noise, for error messages."""
    return "\n".join(
        line.rstrip() for line in text.splitlines() if line.strip() and "Disabling MPLS support" not in line
    )
