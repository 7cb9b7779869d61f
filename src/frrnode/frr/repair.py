"""Check what each FRR daemon really runs, and put restarted daemons back on the config.

`show running-config` merges every daemon's config. A daemon that was restarted empty (or with
an old frr.conf) is hidden when another daemon holds the same lines: after a `kill -9` of
bgpd, zebra and bfdd still show the prefix-lists and route-maps, the merged view looks right
and frr-reload.py sees nothing to do, while bgpd runs without them (issue 9, defect 1). So
each daemon's own config (`show running-config DAEMON`) is compared with the merged one, for
the lines that daemon must hold (`owners`, measured on FRR 8.4.4 and checked against real
daemons by tests/frr/test_repair.py):

| lines                                                  | held by              |
|--------------------------------------------------------|----------------------|
| `ip[v6] prefix-list ...`                               | zebra, bgpd, bfdd (*) |
| `route-map N A S` entries, their prefix-list matches and `set ip next-hop` | zebra, bgpd |
| other `set` lines of our route-maps (community, local-preference, IPv6 next hop) | bgpd |
| `router bgp ...` and everything in it, top-level `bgp ...` lines | bgpd        |
| `bfd` and everything in it                             | bfdd                 |
| `vrf V` blocks, `ip[v6] nht ...`                       | zebra                |

(*) frr-reload.py feeds prefix-lists to every daemon; the incremental applier feeds them to
bgpd alone when no other daemon uses them (`IncrementalApplier.plists_in_bgpd_only`: FRR 8.4
pays a quadratic cost per daemon), and then only bgpd must hold them (`plist_holders`).

Lines of other kinds (raw snippets: `interface`, other route-map clauses ...) are left to the
merged comparison frr-reload.py makes.

Repair (`Repairer.repair`): push the whole desired config to each restarted daemon alone
(`vtysh -d D -f`: D takes its share, skips the rest; with the incremental applier, fed as its
cold start feeds an empty FRR: `IncrementalApplier.push`), then let the applier's fallback
(frr-reload.py) reconcile the merged view (it removes what an old frr.conf left), then
`complete`: check every daemon; a daemon still missing lines gets the push once more, and if
it still misses them the repair fails with the lines named. The agent's periodic check (and
its check after the first apply, or a fallback) is `complete` alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from frrnode.errors import FrrError
from frrnode.frr.incremental import IncrementalApplier
from frrnode.frr.reload import Applier, ApplyResult, carry_over_host_lines
from frrnode.frr.tree import Context, parse_config
from frrnode.frr.vtysh import DEFAULT_DAEMONS, Vtysh

log = logging.getLogger(__name__)

PREFIX_LIST_HOLDERS = ("zebra", "bgpd", "bfdd")
"""Where frr-reload.py (and a plain `vtysh -f`) puts prefix-lists."""
_ROUTE_MAP_HOLDERS = ("zebra", "bgpd")
_ROUTE_MAP_SHARED = ("match ip address prefix-list ", "match ipv6 address prefix-list ", "set ip next-hop ")
_ROUTE_MAP_BGPD = (
    "set local-preference ",
    "set community ",
    "set large-community ",
    "set ipv6 next-hop ",
    "set comm-list ",
)


def owners(
    path: tuple[str, ...], line: str, plist_holders: tuple[str, ...] = PREFIX_LIST_HOLDERS
) -> tuple[str, ...]:
    """The daemons that must hold `line` of context `path` (`line == ""`: the header of
    `path[-1]`); () when not checked per daemon. `plist_holders`: where prefix-lists belong
    (see the module docstring)."""
    if not path:
        if line.startswith(("ip prefix-list ", "ipv6 prefix-list ")):
            return plist_holders
        if line.startswith(("ip nht ", "ipv6 nht ")):
            return ("zebra",)
        if line.startswith("bgp "):
            return ("bgpd",)
        return ()
    top = path[0]
    if top.startswith("router bgp "):
        return ("bgpd",)
    if top == "bfd":
        return ("bfdd",)
    if top.startswith("vrf "):
        return ("zebra",)
    if top.startswith("route-map ") and len(path) == 1:
        if line == "" or line.startswith(_ROUTE_MAP_SHARED):
            return _ROUTE_MAP_HOLDERS
        if line.startswith(_ROUTE_MAP_BGPD):
            return ("bgpd",)
    return ()


def _describe(path: tuple[str, ...], line: str) -> str:
    return " / ".join((*path, line) if line else path)


def missing_lines(
    combined: str | Context,
    per_daemon: Mapping[str, str],
    daemons: Iterable[str],
    plist_holders: tuple[str, ...] = PREFIX_LIST_HOLDERS,
) -> dict[str, list[str]]:
    """Per daemon, the lines of the merged running config `combined` it must hold but does
    not (a daemon absent from `per_daemon` is not running: it misses all of its lines)."""
    merged = parse_config(combined) if isinstance(combined, str) else combined
    held = {d: set(parse_config(text).walk()) for d, text in per_daemon.items()}
    wanted = set(daemons)
    missing: dict[str, list[str]] = {}
    for path, line in merged.walk():
        for daemon in owners(path, line, plist_holders):
            if daemon in wanted and (path, line) not in held.get(daemon, ()):
                missing.setdefault(daemon, []).append(_describe(path, line))
    return missing


@dataclass(frozen=True)
class RepairResult:
    daemons: tuple[str, ...]
    """The daemons the full config was pushed to."""
    seconds: float
    apply: ApplyResult
    """What the merged reconcile (frr-reload.py) did afterwards."""
    second_push: tuple[str, ...] = ()
    """Daemons that still missed lines after the first round and got the config again."""


def summary(missing: Mapping[str, list[str]], limit: int = 3) -> str:
    """`bgpd lacks 12 line(s), e.g. ...` for logs and errors."""
    parts = []
    for daemon, lines in sorted(missing.items()):
        shown = "; ".join(lines[:limit]) + (" ..." if len(lines) > limit else "")
        parts.append(f"{daemon} lacks {len(lines)} line(s) ({shown})")
    return ", ".join(parts)


class Repairer:
    """Per-daemon checks and repairs of one FRR instance, around the agent's applier.

    `applier` makes FRR's merged config match (its `reset(reason)`, when it has one, makes its
    next apply diff against the real running config: frr-reload.py).
    """

    def __init__(self, vtysh: Vtysh, applier: Applier, daemons: Iterable[str] = DEFAULT_DAEMONS) -> None:
        self.vtysh = vtysh
        self.applier = applier
        self.daemons = tuple(daemons)

    def plist_holders(self, tree: Context) -> tuple[str, ...]:
        """The daemons that must hold the prefix-lists of `tree`: those the applier feeds."""
        if isinstance(self.applier, IncrementalApplier) and self.applier.plists_in_bgpd_only(tree):
            return ("bgpd",)
        return PREFIX_LIST_HOLDERS

    def check(self) -> dict[str, list[str]]:
        """Lines each daemon should hold but does not ({} when every daemon is complete)."""
        combined = parse_config(self.vtysh.running_config())
        per_daemon = self.vtysh.daemon_configs(self.daemons)
        return missing_lines(combined, per_daemon, self.daemons, self.plist_holders(combined))

    def push(self, config: str, daemons: Iterable[str]) -> None:
        """Send the whole config to each daemon alone. FRR's complaints are logged, not raised
        (a line the daemon refuses does not stop the rest of the file; the check that follows
        says what is still missing)."""
        prepared = carry_over_host_lines(config, self.vtysh.running_config())
        problems = []
        for daemon in daemons:
            try:
                if isinstance(self.applier, IncrementalApplier):
                    self.applier.push(prepared, daemon)
                else:
                    self.vtysh.configure(prepared, daemon=daemon)
            except FrrError as exc:
                problems.append(f"{daemon}: {exc}")
        if problems:
            log.warning("pushing the configuration to FRR daemons: %s", "; ".join(problems))

    def complete(self, config: str) -> dict[str, list[str]]:
        """Check every daemon; push `config` to those lacking lines and check once more.
        Returns what was missing ({}: every daemon was complete). Raises FrrError naming the
        lines a daemon still lacks."""
        missing = self.check()
        if missing:
            log.warning(
                "FRR daemons lack configuration others hold: %s; pushing it to them", summary(missing)
            )
            self.push(config, missing)
            still = self.check()
            if still:
                raise FrrError(f"FRR daemons still lack configuration after a re-push: {summary(still)}")
        return missing

    def repair(self, config: str, daemons: Iterable[str], reason: str) -> RepairResult:
        """Put FRR back on `config` after `daemons` were restarted (see the module docstring).
        Raises FrrError when FRR refuses the config or a daemon still lacks lines."""
        start = time.monotonic()
        pushed = tuple(d for d in self.daemons if d in set(daemons))
        self.push(config, pushed)
        pushed_at = time.monotonic()
        reset = getattr(self.applier, "reset", None)
        if reset is not None:
            reset(reason)
        result = self.applier.apply(config)
        applied_at = time.monotonic()
        again = self.complete(config)
        log.info(
            "repair of %s: push %.2fs, merged reconcile %.2fs (%s), per-daemon check %.2fs",
            ", ".join(pushed),
            pushed_at - start,
            applied_at - pushed_at,
            "changed" if result.changed else "no change",
            time.monotonic() - applied_at,
        )
        return RepairResult(pushed, time.monotonic() - start, result, tuple(sorted(again)))
