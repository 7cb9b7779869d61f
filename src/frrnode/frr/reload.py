"""Applying a rendered FRR configuration: the `Applier` protocol and its frr-reload.py implementation.

An applier takes the full desired configuration text and makes the running FRR match it,
without resetting sessions that did not change. On failure it raises `FrrError` with FRR's
message and FRR keeps (or is put back to) its previous configuration. Retrying is the
caller's business: appliers are synchronous and deterministic.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from frrnode.errors import FrrError
from frrnode.files import write_atomic
from frrnode.frr.vtysh import Vtysh

RELOAD_SCRIPT = "/usr/lib/frr/frr-reload.py"
MAX_RELOADS = 3


@dataclass(frozen=True)
class ApplyResult:
    """What an apply did. `changed` is False when FRR already ran exactly this configuration."""

    changed: bool
    method: str
    seconds: float
    output: str = ""
    residual: tuple[str, ...] = ()
    """Diff lines FRR still shows after the last reload (e.g. a default value that FRR never
    displays, so frr-reload wants to add it forever); empty when FRR converged."""


class Applier(Protocol):
    def apply(self, config: str) -> ApplyResult:
        """Make FRR run `config`. Raises FrrError; on failure FRR keeps the previous config."""
        ...


_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_HOSTNAME_RE = re.compile(r"^hostname\s+\S+\s*$")
_FORWARDING_RE = re.compile(r"^(no\s+)?ip(v6)?\s+forwarding\s*$")


def carry_over_host_lines(config: str, running: str) -> str:
    """Replace `hostname` and `ip[v6] forwarding` lines of `config` by those of `running`.

    Why: FRR 8.4 keeps `hostname` in vtysh only, so the running config always shows the system
    hostname and a different rendered one is a diff on every reload (`no hostname X`). And
    zebra shows the kernel's forwarding state as `[no] ip forwarding`: a rendered config
    without that line makes frr-reload "delete" `no ip forwarding`, i.e. turn forwarding ON.
    Forwarding is the host's business, not the agent's, so both are taken from the running
    config and never changed by an apply.
    """
    keep = [line for line in running.splitlines() if _HOSTNAME_RE.match(line) or _FORWARDING_RE.match(line)]
    body = [
        line for line in config.splitlines() if not (_HOSTNAME_RE.match(line) or _FORWARDING_RE.match(line))
    ]
    return "\n".join(keep + body) + "\n"


def parse_test_output(text: str) -> tuple[list[str], list[str]]:
    """Split `frr-reload.py --test` stdout into (lines to delete, lines to add)."""
    delete: list[str] = []
    add: list[str] = []
    current: list[str] | None = None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() == "Lines To Delete" and nxt.startswith("==="):
            current = delete
        elif line.strip() == "Lines To Add" and nxt.startswith("==="):
            current = add
        elif line.startswith("===") or not line.strip():
            continue
        elif current is not None:
            current.append(line.rstrip())
    return delete, add


class ReloadApplier:
    """Applies configurations with FRR's own `frr-reload.py` (a diff against the running config).

    Steps: carry over hostname/forwarding (see `carry_over_host_lines`); write the file
    atomically (mode 0600) into `workdir` (never /etc/frr/<ps>/frr.conf, which `--reload`
    overwrites with `write`); check it with `vtysh --dryrun`; `--test` to see whether anything
    changes (no change: no reload); `--reload`; then `--test` again and reload again while
    lines are left and the diff still shrinks, at most 3 reloads (removing BFD needs two: lab
    README §4). If a reload fails half-way (a line a daemon refuses after the earlier lines
    were applied), the previous running config is reloaded before FrrError is raised.
    """

    method = "frr-reload"

    def __init__(
        self,
        vtysh: Vtysh,
        workdir: Path,
        reload_script: str = RELOAD_SCRIPT,
        timeout: float = 120.0,
    ) -> None:
        self.vtysh = vtysh
        self.workdir = Path(workdir)
        self.reload_script = reload_script
        self.timeout = timeout
        # Two frr-reload runs against one FRR would interleave their vtysh calls.
        self._lock = threading.Lock()

    @property
    def config_path(self) -> Path:
        return self.workdir / "frr.conf"

    def _script(self, mode: str, path: Path) -> subprocess.CompletedProcess[str]:
        cmd = [self.reload_script, mode, "--stdout"]
        if self.vtysh.pathspace:
            cmd += ["-N", self.vtysh.pathspace]
        cmd.append(str(path))
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise FrrError(f"frr-reload.py {mode} timed out after {self.timeout:.0f}s") from exc
        except OSError as exc:
            raise FrrError(f"cannot run {self.reload_script}: {exc}") from exc

    def diff(self, path: Path | None = None) -> list[str]:
        """What `frr-reload.py --test` would change to run `path` (default `config_path`):
        `- line` to delete, `+ line` to add (with frr-reload's context lines)."""
        proc = self._script("--test", path or self.config_path)
        if proc.returncode != 0:
            raise FrrError("frr-reload.py --test failed", _reload_errors(proc.stdout + proc.stderr))
        delete, add = parse_test_output(proc.stdout)
        return [f"- {line}" for line in delete] + [f"+ {line}" for line in add]

    def write(self, config: str, path: Path | None = None) -> Path:
        """Write `config` atomically (temp file + rename, mode 0600) to `path` (`config_path`)."""
        path = path or self.config_path
        self.workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, config, 0o600)
        return path

    def apply(self, config: str) -> ApplyResult:
        with self._lock:
            return self._apply(config)

    def _apply(self, config: str) -> ApplyResult:
        start = time.monotonic()
        previous_config = self.vtysh.running_config()
        self.write(carry_over_host_lines(config, previous_config))
        self.vtysh.dryrun(self.config_path)
        diff = self.diff()
        if not diff:
            return ApplyResult(False, self.method, time.monotonic() - start)
        residual = diff
        for _ in range(MAX_RELOADS):
            proc = self._script("--reload", self.config_path)
            if proc.returncode != 0:
                errors = _reload_errors(proc.stdout + proc.stderr)
                rollback = self._rollback(previous_config)
                raise FrrError(
                    f"frr-reload.py --reload failed (exit {proc.returncode}); {rollback}",
                    errors,
                    permanent=_refused(proc.stdout + proc.stderr),
                )
            previous, residual = residual, self.diff()
            if not residual or residual == previous or _repeated_negations(residual, previous):
                break  # converged, or another reload would not change anything
        return ApplyResult(True, self.method, time.monotonic() - start, "\n".join(diff), tuple(residual))

    def _rollback(self, previous_config: str) -> str:
        """Put back the configuration FRR ran before a failed reload; say how that went.

        frr-reload.py checks the grammar of the whole file first, but a line a daemon refuses
        (e.g. an unknown peer-group) fails only after other lines were applied, which would
        leave FRR half-way. The previous running config is known to be accepted.
        """
        path = self.workdir / "rollback.conf"
        try:
            self.write(previous_config, path)
            for _ in range(MAX_RELOADS):
                proc = self._script("--reload", path)
                if proc.returncode != 0:
                    return "rolling back to the previous configuration failed too"
                if not self.diff(path):
                    return "the previous configuration was restored"
        except FrrError as exc:
            return f"rolling back to the previous configuration failed: {exc}"
        return "the previous configuration was restored, with differences left"


def _repeated_negations(residual: list[str], previous: list[str]) -> bool:
    """Only `no ...` commands are left, and the last reload ran them already: FRR never shows
    a `no X` it executed (e.g. a raw `no router bgp 64512`), and running it again would fail
    (`% Can't find BGP instance`)."""
    return all(line.startswith("+ no ") and line in previous for line in residual)


_REFUSED_RE = re.compile(r"^line \d+: |vtysh failed to process new configuration|^% ", re.MULTILINE)


def _refused(output: str) -> bool:
    """frr-reload.py failed because FRR refused a line of the config (not a timeout or a dead
    daemon): the same config will fail again."""
    return bool(_REFUSED_RE.search(_ANSI_RE.sub("", output)))


def _reload_errors(output: str) -> str:
    """FRR's error lines from frr-reload output, or its tail when no line looks like an error."""
    lines = [_ANSI_RE.sub("", line) for line in output.splitlines() if line.strip()]
    errors = [
        line
        for line in lines
        if "ERROR" in line or "% " in line or "failed" in line.lower() or line.startswith("line ")
    ]
    return "\n".join(errors or lines[-30:])
