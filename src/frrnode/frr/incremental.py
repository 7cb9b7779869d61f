"""Incremental applier: diff the last applied config with the new one, push one `vtysh -f` batch.

Why (issue #3): frr-reload.py costs 0.3-1.1 s even for a one-line change (show running-config,
parse, diff), deletes one `vtysh -c` per line (removing 98 neighbors took ~200 s) and has
wrong-diff bugs. This applier keeps the tree it applied last in memory, so a change costs one
dry-run grammar check plus one `vtysh -f` of only the changed lines, computed by the differ
(frr/delta.py: batch order, whole-object deletes, which neighbors to soft-refresh).

What goes to the fallback (frr-reload.py) instead:
- the first apply, and any apply after `reset(reason)` or a failed apply (FRR's state is
  unknown), unless FRR runs nothing but host lines (a fresh or restarted FRR: the whole config
  is then one delta from empty, see `_cold_start`, which is the same diff against FRR's real
  running config that frr-reload.py would make);
- a change the differ cannot express (`UnsupportedChange`: an ASN change, a context it does
  not model, such as raw snippets' `interface` or `router ospf`);
- a batch that FRR rejects: the grammar is checked with `vtysh --dryrun` first (nothing is
  applied if it fails; the fallback then reports FRR's error) — except a change of
  advertised prefixes (prefix-list entries and `network` lines only, `prefix_change`), whose
  few line shapes are checked here; if a daemon refuses a line
  while applying, the fallback reconciles, and if that fails too the last applied config is
  put back with the fallback before the error is raised.

FRR restarts are not detected here: the agent watches the daemons (frr/daemons.py), repairs
a restarted one (frr/repair.py) and calls `reset(reason)` so that the next apply goes through
the fallback, as its periodic check and configs with raw snippets do. A restarted daemon gets
the whole config fed as a cold start feeds an empty FRR (`push`: one delta from nothing,
prefix-lists to bgpd alone), so there is one way of feeding a daemon that lost its config.

After a delta, the neighbors whose policy changed get `clear bgp [vrf V] <peer> soft in|out`,
and FRR's start-up file (`startup_config`, /etc/frr/<ps>/frr.conf) is rewritten with the config
FRR now runs, as frr-reload.py's `write` does after a reload: a daemon that watchfrr (or a
container restart) boots again reads it, and would otherwise boot the config of the last
fallback apply, older than every delta sent since.

Prefix-list lines go to bgpd alone (`vtysh -d bgpd`, chunks of `PLIST_CHUNK` lines) unless
another daemon may use them (`filters_used_outside_bgp`): FRR 8.4 adds entries in time
quadratic in the list's length, in every daemon that receives them (bench/README.md).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import time
from collections.abc import Iterable
from pathlib import Path
from tempfile import TemporaryDirectory

from frrnode.errors import FrrError
from frrnode.files import write_atomic
from frrnode.frr.delta import Delta, UnsupportedChange, filters_used_outside_bgp, plan_delta
from frrnode.frr.reload import Applier, ApplyResult, carry_over_host_lines
from frrnode.frr.tree import Context, parse_config
from frrnode.frr.vtysh import Vtysh

log = logging.getLogger(__name__)

METHOD = "incremental"


class IncrementalApplier:
    """`Applier` that sends FRR only the difference to the config it applied last.

    `vtysh` talks to the FRR instance; `fallback` (normally `ReloadApplier`) handles the first
    apply, unsupported changes and failed batches (see the module docstring). `batch_timeout`
    bounds the `vtysh -f` of a delta (a timed-out batch counts as failed: the fallback
    reconciles). Not thread-safe: the agent applies from one reconcile loop.
    """

    method = METHOD

    def __init__(
        self,
        vtysh: Vtysh,
        fallback: Applier,
        batch_timeout: float = 600.0,
        plists_to_bgpd_only: bool = True,
        startup_config: Path | None = None,
    ) -> None:
        self.vtysh = vtysh
        self.startup_config = startup_config
        """FRR's start-up file, rewritten after each applied delta (None: left alone)."""
        self.fallback = fallback
        # The batch gets its own, longer timeout: adding neighbors with 1,000-entry prefix-lists
        # takes FRR 8.4 about a minute (quadratic lists), far beyond a show command's timeout.
        self._batch_vtysh = Vtysh(
            vtysh.pathspace, timeout=max(batch_timeout, vtysh.timeout), binary=vtysh.binary
        )
        self.plists_to_bgpd_only = plists_to_bgpd_only
        self._plists_elsewhere = True
        """Daemons other than bgpd may hold prefix-list entries (after frr-reload.py)."""
        self._applied: Context | None = None
        self._applied_text = ""
        self._host_lines = ""
        self._unknown_reason = "first apply: FRR's state is unknown"
        self.last_fallback_reason: str | None = None
        """Why the last apply went through the fallback (None: it did not)."""

    @property
    def applied(self) -> Context | None:
        """The tree FRR runs as far as this applier knows (None: unknown, next apply falls back)."""
        return self._applied

    def reset(self, reason: str = "FRR's state is unknown") -> None:
        """Forget what FRR runs (e.g. FRR restarted): the next apply goes through the fallback,
        which diffs against FRR's real running config; `reason` is what the log says."""
        self._applied = None
        self._applied_text = ""
        self._unknown_reason = reason

    def _prepare(self, config: str) -> str:
        # Same hostname/forwarding handling as ReloadApplier, with the host lines read once
        # at the last fallback apply instead of a `show running-config` per apply.
        return carry_over_host_lines(config, self._host_lines)

    def apply(self, config: str) -> ApplyResult:
        start = time.monotonic()
        self.last_fallback_reason = None
        if self._applied is None and not self._cold_start(config):
            return self._fallback(config, self._unknown_reason, start)
        assert self._applied is not None
        prepared = self._prepare(config)
        if prepared == self._applied_text:
            # Same text as last time (the agent re-applies on every resync): no parse, no diff.
            return ApplyResult(False, self.method, time.monotonic() - start)
        new = parse_config(prepared)
        try:
            delta = plan_delta(self._applied, new, self._plists_elsewhere)
        except UnsupportedChange as exc:
            return self._fallback(config, str(exc), start)
        if delta.empty:
            self._applied_text = prepared
            return ApplyResult(False, self.method, time.monotonic() - start)
        batch = delta.text()
        if not prefix_change(delta.commands):  # those lines are checked here (a vtysh less)
            with TemporaryDirectory(prefix="frrnode-delta-") as tmp:
                path = Path(tmp) / "delta.conf"
                path.write_text(batch)
                try:
                    self.vtysh.dryrun(path)
                except FrrError as exc:
                    # Nothing was applied; the fallback validates the full file and reports
                    # FRR's error the same way (FRR keeps its config).
                    reason = f"batch rejected by vtysh --dryrun: {exc.args[0]}"
                    return self._fallback(config, reason, start)
        try:
            self._send(delta, new)
        except FrrError as exc:
            log.warning(
                "incremental batch failed, reconciling with %s: %s", type(self.fallback).__name__, exc
            )
            return self._fallback(config, f"batch failed: {exc}", start, restore_on_error=True)
        self._applied, self._applied_text = new, prepared
        self._soft_clear(delta)
        self._persist(prepared)
        output = batch + "".join(f"! then: {c}\n" for c in delta.clear_commands())
        return ApplyResult(True, self.method, time.monotonic() - start, output)

    def _persist(self, text: str) -> None:
        """Make the start-up file what FRR runs now (same mode and owner: it holds passwords).
        A failure is logged, not raised: FRR runs the config; only a later daemon restart
        would boot an older one, which the agent's daemon watch repairs."""
        path = self.startup_config
        if path is None:
            return
        try:
            try:
                st = path.stat()
                mode, owner = st.st_mode & 0o777, (st.st_uid, st.st_gid)
            except FileNotFoundError:
                parent = path.parent.stat()
                mode, owner = 0o640, (parent.st_uid, parent.st_gid)
            write_atomic(path, text if text.endswith("\n") else text + "\n", mode, owner)
        except OSError as exc:
            log.warning("could not write FRR's start-up config %s: %s", path, exc)

    def _cold_start(self, config: str) -> bool:
        """If FRR runs nothing but host lines (a fresh or restarted FRR), take that as the
        applied tree, so that the whole config goes out as one delta (prefix-lists to bgpd
        alone) instead of through frr-reload.py. False (FRR's state unknown) otherwise."""
        try:
            running = parse_config(self.vtysh.running_config())
        except FrrError:
            return False
        if running.children or not all(
            _HOST_LINE_RE.match(line) or line in _BOOT_LINES for line in running.lines
        ):
            return False
        log.info(
            "FRR runs no configuration (%s): sending the whole configuration as one delta",
            self._unknown_reason,
        )
        self._host_lines = "\n".join(line for line in running.lines if _HOST_LINE_RE.match(line))
        new = parse_config(self._prepare(config))
        self._applied = Context("", {line: None for line in running.lines if line in new.lines})
        self._plists_elsewhere = False
        self._applied_text = ""
        self.last_fallback_reason = None
        return True

    def _other_daemons_hold_plists(self) -> bool:
        """Whether a daemon other than bgpd holds a prefix-list (frr-reload.py feeds them all).
        FRR's summary names the daemon of each list (`ZEBRA: ip prefix-list X:`)."""
        try:
            out = self.vtysh.run("show ip prefix-list summary", "show ipv6 prefix-list summary")
        except FrrError:
            return True
        return any(m.group(1) != "BGP" for m in _PLIST_SUMMARY_RE.finditer(out))

    def plists_in_bgpd_only(self, tree: Context) -> bool:
        """Whether new prefix-list entries of `tree` go to bgpd alone (no other daemon uses
        them; see `PLIST_CHUNK`). The per-daemon check (frr/repair.py) expects them there."""
        return self.plists_to_bgpd_only and not filters_used_outside_bgp(tree)

    def _send(self, delta: Delta, new: Context, daemon: str | None = None) -> None:
        """One `vtysh -f` of the whole batch, to every daemon or to `daemon` alone; or, when
        only bgpd uses prefix-lists, the prefix-list runs to bgpd alone, in chunks (see
        `PLIST_CHUNK`): a daemon other than bgpd fed alone gets none of them."""
        if not self.plists_in_bgpd_only(new):
            self._batch_vtysh.configure(delta.text(), daemon=daemon)
            return
        plist_lines = sum(len(lines) for is_plist, lines in delta.segments if is_plist)
        if plist_lines <= PLIST_CHUNK and all(p or _bgpd_only(lines) for p, lines in delta.segments):
            # Everything is bgpd's (a prefix change: list entries, `network` lines): one vtysh.
            self._batch_vtysh.configure(delta.text(), daemon="bgpd")
            return
        for is_plist, lines in delta.segments:
            if not is_plist:
                self._batch_vtysh.configure(lines, daemon=daemon)
            elif daemon in (None, "bgpd"):
                for start in range(0, len(lines), PLIST_CHUNK):
                    self._batch_vtysh.configure(lines[start : start + PLIST_CHUNK], daemon="bgpd")

    def push(self, config: str, daemon: str) -> None:
        """Feed the whole `config` (host lines already carried over) to `daemon` alone, as a
        restarted daemon needs it: the delta from nothing that a cold start sends, fed the same
        way (`_send`). Contexts the differ does not model (raw snippets) go as plain text. What
        this applier believes FRR runs is not changed (the caller resets it)."""
        new = parse_config(config)
        try:
            delta = plan_delta(Context(""), new, plists_elsewhere=False)
        except UnsupportedChange:
            self._batch_vtysh.configure(config, daemon=daemon)
            return
        self._send(delta, new, daemon)

    def _soft_clear(self, delta: Delta) -> None:
        """Route-refresh neighbors whose policy changed. Failures (e.g. a peer not yet
        Established) are logged, not raised: the config itself is applied."""
        commands = delta.clear_commands()
        if not commands:
            return
        try:
            self.vtysh.run(*commands)
        except FrrError as exc:
            log.info("soft clear after incremental apply: %s", exc)

    def _fallback(
        self, config: str, reason: str, start: float, restore_on_error: bool = False
    ) -> ApplyResult:
        self.last_fallback_reason = reason
        log.info("applying with %s: %s", type(self.fallback).__name__, reason)
        previous_text = self._applied_text
        self._applied, self._applied_text = None, ""
        try:
            result = self.fallback.apply(config)
        except FrrError:
            self._unknown_reason = "the last apply failed: FRR's state is unknown"
            if restore_on_error and previous_text:
                # Our partial batch is FRR's "previous" config now; put back the last good one.
                try:
                    self.fallback.apply(previous_text)
                    self._applied, self._applied_text = parse_config(previous_text), previous_text
                except FrrError as exc2:
                    log.warning("restoring the last applied config failed: %s", exc2)
            raise
        try:
            running = self.vtysh.running_config()
            self._host_lines = "\n".join(line for line in running.splitlines() if _HOST_LINE_RE.match(line))
        except FrrError as exc:
            # The config is applied; keep the host lines we knew (they rarely change).
            log.warning("could not read the running config for hostname/forwarding: %s", exc)
        self._plists_elsewhere = self._other_daemons_hold_plists()
        prepared = self._prepare(config)
        self._applied, self._applied_text = parse_config(prepared), prepared
        self._persist(prepared)  # frr-reload.py writes only when it changed something
        return ApplyResult(
            result.changed,
            f"{self.method}/{result.method}",
            time.monotonic() - start,
            f"fallback: {reason}\n{result.output}".rstrip(),
            result.residual,
        )


_HOST_LINE_RE = re.compile(r"^(hostname\s+\S+|(no\s+)?ipv?6?\s+forwarding)\s*$")
_PLIST_SUMMARY_RE = re.compile(r"^(\S+): ipv?6? prefix-list ", re.MULTILINE)
# What an FRR started without configuration shows besides host lines.
_BOOT_LINES = ("service integrated-vtysh-config",)

# Prefix-lists: FRR 8.4 checks every new entry against every entry of its list (`plist_is_dup`
# in lib/filter_nb.c walks the list in the YANG tree), in every daemon that receives the line:
# quadratic in the list's length, paid by zebra, bgpd and bfdd alike. Only bgpd uses them in
# what frrnode renders, so they go to bgpd alone (`vtysh -d bgpd`), in chunks of this many
# lines (bench/prefix_lists.py: a third of the time, less again in chunks). `show
# running-config` shows them the same (vtysh merges every daemon's config), and `no` lines
# sent to every daemon (frr-reload.py) still work.
PLIST_CHUNK = 100


# The lines of a change of advertised prefixes (what MetalLB does most): prefix-list entries
# and `network` lines of a BGP address family. Their grammar is checked here (the prefix with
# `ipaddress`), which spares the `vtysh --dryrun` process (~30 ms of a ~0.24 s apply). Should
# FRR still refuse one, the batch fails and the fallback reconciles (as for any batch).
_PLIST_ENTRY_RE = re.compile(r"^(?:no )?(ipv6|ip) prefix-list [!-~]+ seq \d{1,10} (?:permit|deny) (\S+)$")
_NETWORK_RE = re.compile(r"^  (?:no )?network (\S+)$")
_AF_RE = re.compile(r"^ address-family (ipv4|ipv6) unicast$")
_FRAME_RE = re.compile(r"^(?:router bgp \d{1,10}(?: vrf [!-~]+)?| exit-address-family|exit)$")


def _prefix_of(text: str, ipv6: bool) -> bool:
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return False
    return (network.version == 6) == ipv6


def prefix_change(lines: Iterable[str]) -> bool:
    """Whether `lines` are only prefix-list entries and BGP `network` lines, each well formed."""
    family = ""
    for line in lines:
        if match := _PLIST_ENTRY_RE.match(line):
            ok = _prefix_of(match.group(2), match.group(1) == "ipv6")
        elif match := _NETWORK_RE.match(line):
            ok = family != "" and _prefix_of(match.group(1), family == "ipv6")
        elif match := _AF_RE.match(line):
            family, ok = match.group(1), True
        else:
            ok = bool(_FRAME_RE.match(line))
        if not ok:
            return False
    return True


_BGPD_TOP_RE = re.compile(r"^(?:(?:no )?router bgp \d+(?: vrf \S+)?|exit)$")


def _bgpd_only(lines: Iterable[str]) -> bool:
    """Whether `lines` only configure `router bgp` blocks (indented lines are inside them)."""
    return all(line[:1].isspace() or _BGPD_TOP_RE.match(line) for line in lines)
