"""The differ of the incremental applier: the FRR commands that take one config tree to another.

`plan_delta(old, new)` is pure: two parsed configs (frr/tree.py) in, one `Delta` out — the
batch of commands for one `vtysh -f`, and the neighbors to soft-refresh afterwards. The
incremental applier (frr/incremental.py) sends it; `frrnode diff` prints it.

Batch order: top-level lines, prefix-lists (an entry whose seq exists is replaced in place;
removed seqs get `no`; when values move to other seqs — an insertion shifts the tail — the old
entries go first, because FRR silently ignores an entry whose value already sits at another
seq), BFD profiles (timers without a `no` form are reset to bfdd's defaults), vrf blocks,
route-map entries (no `exit` between them, FRR#15706), routers (new VRF routers, changed
routers, new default router); then whole-object deletions: routers (VRF ones first),
route-maps, prefix-lists, BFD profiles, top-level lines. Inside a context, deletions come
first (in reverse order, so `no neighbor X bfd profile P` precedes `no neighbor X bfd`), except
for single-valued settings (`neighbor X route-map R in`, `neighbor X remote-as`, timers,
router-id ...) whose new value simply replaces the old one: no `no` is sent for those, so a
route-map swap never leaves a neighbor unfiltered (FRR#8337) and a remote-as change does not
delete the neighbor. Whole objects are deleted whole (`no neighbor X`, `no route-map X permit
N`, `no ip prefix-list X`).

What the differ cannot express raises `UnsupportedChange` (the applier then falls back to
frr-reload.py):
- a router whose ASN changes for the same VRF (needs `no router bgp` + rebuild), and removing
  the default router while VRF routers remain;
- any change inside a context the differ does not model: everything except top-level lines,
  prefix-lists, route-maps, `router bgp` (with address-families and EVPN `vni` blocks),
  `bfd` (profiles, peers) and `vrf` blocks — e.g. `interface`, `router ospf`, `key chain`
  from raw snippets.

Soft refresh: every kept neighbor whose inbound policy changed (its `-in` route-map, or a
prefix-list that route-map matches) is in `Delta.soft_in` (`clear bgp [vrf V] <peer> soft in`),
likewise `soft_out`: the new filter takes effect at once, without a session reset and without
waiting for `bgp route-map delay-timer`.

`Delta.segments` splits the batch into runs of new prefix-list entries and the rest, so that
the applier can send prefix-lists to bgpd alone unless another daemon may use them
(`filters_used_outside_bgp`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from frrnode.frr.tree import Context, emit_context, exit_line, parse_config


class UnsupportedChange(Exception):
    """The differ cannot express this change safely: use the fallback applier."""


@dataclass(frozen=True, order=True)
class PeerRef:
    """A BGP neighbor to soft-clear: its router's VRF (`""` = default) and its peer word."""

    vrf: str
    peer: str

    def clear_command(self, direction: str) -> str:
        vrf = f" vrf {self.vrf}" if self.vrf else ""
        return f"clear bgp{vrf} {self.peer} soft {direction}"


@dataclass(frozen=True)
class Delta:
    """The commands that take FRR from one config tree to another."""

    commands: tuple[str, ...] = ()
    """One `vtysh -f` batch (indentation is cosmetic; vtysh follows context keywords)."""
    soft_in: tuple[PeerRef, ...] = ()
    soft_out: tuple[PeerRef, ...] = ()
    segments: tuple[tuple[bool, tuple[str, ...]], ...] = ()
    """The same commands in the same dependency order, split into runs of lines only bgpd needs
    (True: new prefix-list entries) and lines for every daemon (False)."""

    @property
    def empty(self) -> bool:
        return not self.commands

    def text(self) -> str:
        return "\n".join(self.commands) + ("\n" if self.commands else "")

    def clear_commands(self) -> list[str]:
        return [p.clear_command("in") for p in self.soft_in] + [p.clear_command("out") for p in self.soft_out]


# --------------------------------------------------------------------------------------------
# Line-level rules

# Single-valued settings: a new line with the same key replaces the old value in FRR, so the
# old line must not be negated (that would drop the setting, or for remote-as the neighbor).
_REPLACE_KEYS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^(hostname) ",
        r"^(log stdout)\b",
        r"^(log syslog)\b",
        r"^(log timestamp precision) ",
        r"^(bgp route-map delay-timer) ",
        r"^(bgp router-id) ",
        r"^(neighbor \S+) (?:interface (?:v6only )?)?(remote-as) ",
        r"^(neighbor \S+ timers connect) ",
        r"^(neighbor \S+ timers) \d+ \d+$",
        r"^(neighbor \S+ port) ",
        r"^(neighbor \S+ password) ",
        r"^(neighbor \S+ update-source) ",
        r"^(neighbor \S+ ebgp-multihop)\b",
        r"^(neighbor \S+ local-as) ",
        r"^(neighbor \S+ bfd profile) ",
        r"^(neighbor \S+ description) ",
        r"^(neighbor \S+ route-map) \S+ (in|out)$",
        r"^(neighbor \S+ prefix-list) \S+ (in|out)$",
        r"^(receive-interval|transmit-interval|detect-multiplier|minimum-ttl) ",
        r"^(echo transmit-interval|echo receive-interval|echo-interval) ",
    )
)

# BFD timers have no `no` form in FRR 8.4 (`no receive-interval` is an unknown command):
# removing one means setting bfdd's default again.
_BFD_DEFAULTS: dict[str, str] = {
    "receive-interval": "300",
    "transmit-interval": "300",
    "detect-multiplier": "3",
    "echo transmit-interval": "50",
    "echo receive-interval": "50",
    "echo-interval": "50",
}

_NEIGHBOR_DEF_RE = re.compile(r"^neighbor (\S+) (?:interface (?:v6only )?)?remote-as \S+$")
_NEIGHBOR_RM_RE = re.compile(r"^neighbor (\S+) route-map (\S+) (in|out)$")
_ROUTER_RE = re.compile(r"^router bgp (\d+)(?: vrf (\S+))?$")
_ROUTE_MAP_RE = re.compile(r"^route-map (\S+) (permit|deny) (\d+)$")
_PLIST_RE = re.compile(r"^(ip|ipv6) prefix-list (\S+) (?:seq (\d+) )?(?:permit|deny) ")
_SEQ_RE = re.compile(r" seq \d+ ")
_MATCH_PLIST_RE = re.compile(r"^match (ip|ipv6) address prefix-list (\S+)$")


def replace_key(line: str) -> str | None:
    """The setting a single-valued line configures (`neighbor X route-map in`), else None."""
    for pat in _REPLACE_KEYS:
        m = pat.match(line)
        if m:
            return " ".join(g for g in m.groups() if g)
    return None


def negate(line: str) -> str:
    """The command that removes `line` (`no bgp default ipv4-unicast` -> `bgp default ...`)."""
    setting = line.rsplit(" ", 1)[0]
    if setting in _BFD_DEFAULTS:
        return f"{setting} {_BFD_DEFAULTS[setting]}"
    return line[3:] if line.startswith("no ") else f"no {line}"


def _diff_lines(
    old: Iterable[str], new: Iterable[str], skip: set[str] | None = None
) -> tuple[list[str], list[str]]:
    """(deletions, additions) between two ordered line sets of one context.

    Deletions are negated, in reverse order, without lines whose setting the new lines
    replace and without `skip` (lines removed with a whole object, e.g. `no neighbor X`).
    """
    old_l, new_l = list(old), list(new)
    old_s, new_s = set(old_l), set(new_l)
    new_keys = {k for k in map(replace_key, new_l) if k}
    dels = [
        negate(line)
        for line in reversed(old_l)
        if line not in new_s
        and not (skip and line in skip)
        and (replace_key(line) is None or replace_key(line) not in new_keys)
    ]
    adds = [line for line in new_l if line not in old_s]
    return dels, adds


def _ctx(headers: Iterable[str], body: list[str]) -> list[str]:
    """Wrap `body` in the given context headers (and their exit lines)."""
    hs = list(headers)
    if not body:
        return []
    out = [" " * i + h for i, h in enumerate(hs)]
    out += [" " * len(hs) + line for line in body]
    for i, h in reversed(list(enumerate(hs))):
        leave = exit_line(h)
        if leave:
            out.append(" " * i + leave)
    return out


def _full(ctx: Context, depth: int = 0) -> list[str]:
    out: list[str] = []
    emit_context(ctx, depth, out)
    return out


# --------------------------------------------------------------------------------------------
# The differ


@dataclass
class _Plan:
    top_adds: list[str] = field(default_factory=list)
    plist_updates: list[str] = field(default_factory=list)
    """Prefix-list lines every daemon gets (removals, and replacements in place of entries other
    daemons may hold)."""
    plist_adds: list[str] = field(default_factory=list)
    """New prefix-list entries: only bgpd needs them (see `filters_used_outside_bgp`)."""
    bfd_updates: list[str] = field(default_factory=list)
    vrf_updates: list[str] = field(default_factory=list)
    rmap_updates: list[str] = field(default_factory=list)
    router_updates: list[str] = field(default_factory=list)
    router_dels: list[str] = field(default_factory=list)
    rmap_dels: list[str] = field(default_factory=list)
    plist_dels: list[str] = field(default_factory=list)
    bfd_dels: list[str] = field(default_factory=list)
    top_dels: list[str] = field(default_factory=list)
    changed_plists: set[tuple[str, str]] = field(default_factory=set)
    changed_rmaps: set[str] = field(default_factory=set)

    def commands(self) -> list[str]:
        return [line for _, part in self.segments() for line in part]

    def segments(self) -> list[tuple[bool, tuple[str, ...]]]:
        """Non-empty runs of (is prefix-list, lines), in batch order."""
        rmaps = self.rmap_updates
        parts: list[tuple[bool, list[str]]] = [
            (False, self.top_adds + self.plist_updates),
            (True, self.plist_adds),
            (False, self.bfd_updates + self.vrf_updates),
            # One `exit` closes the run of route-map entries (none between them).
            (False, [*rmaps, "exit"] if rmaps else []),
            (False, self.router_updates + self.router_dels + self.rmap_dels),
            (False, self.plist_dels),
            (False, self.bfd_dels + self.top_dels),
        ]
        out: list[tuple[bool, tuple[str, ...]]] = []
        for is_plist, lines in parts:
            if not lines:
                continue
            if out and out[-1][0] == is_plist:
                out[-1] = (is_plist, out[-1][1] + tuple(lines))
            else:
                out.append((is_plist, tuple(lines)))
        return out


def _split_root(root: Context) -> tuple[dict[str, None], dict[tuple[str, str], dict[str, str]]]:
    """Top-level lines other than prefix-list entries, and prefix-lists as
    (afi, name) -> entry key (seq, or the line without seq) -> line."""
    plain: dict[str, None] = {}
    plists: dict[tuple[str, str], dict[str, str]] = {}
    for line in root.lines:
        m = _PLIST_RE.match(line)
        if m:
            afi, name, seq = m.groups()
            plists.setdefault((afi, name), {})[seq or line] = line
        else:
            plain[line] = None
    return plain, plists


def _routers(root: Context) -> dict[str, tuple[int, Context]]:
    out: dict[str, tuple[int, Context]] = {}
    for header, ctx in root.children.items():
        m = _ROUTER_RE.match(header)
        if m:
            out[m.group(2) or ""] = (int(m.group(1)), ctx)
    return out


def _route_maps(root: Context) -> dict[tuple[str, int], tuple[str, Context]]:
    out: dict[tuple[str, int], tuple[str, Context]] = {}
    for header, ctx in root.children.items():
        m = _ROUTE_MAP_RE.match(header)
        if m:
            out[(m.group(1), int(m.group(3)))] = (m.group(2), ctx)
    return out


def _is_modelled(header: str) -> bool:
    return (
        bool(_ROUTER_RE.match(header) or _ROUTE_MAP_RE.match(header))
        or header == "bfd"
        or (header.startswith("vrf "))
    )


def plan_delta(old: Context, new: Context, plists_elsewhere: bool = True) -> Delta:
    """The batch that turns FRR running `old` into `new`; raises UnsupportedChange when the
    change must go through the fallback (see the module docstring). `plists_elsewhere`: daemons
    other than bgpd may hold prefix-list entries (frr-reload.py feeds every daemon), so an entry
    replaced in place is sent to every daemon (new entries always to bgpd alone)."""
    for header in set(old.children) | set(new.children):
        if not _is_modelled(header) and old.children.get(header) != new.children.get(header):
            raise UnsupportedChange(f"change in a context the incremental applier does not model: {header!r}")
    plan = _Plan()
    _plan_top_lines(old, new, plan, plists_elsewhere)
    _plan_route_maps(old, new, plan)
    _plan_bfd(old, new, plan)
    _plan_vrfs(old, new, plan)
    # A route-map whose matched prefix-list changed filters differently: count it as changed.
    plan.changed_rmaps |= _rmaps_matching(new, plan.changed_plists)
    soft_in, soft_out = _plan_routers(old, new, plan)
    return Delta(
        tuple(plan.commands()), tuple(sorted(soft_in)), tuple(sorted(soft_out)), tuple(plan.segments())
    )


def _plan_top_lines(old: Context, new: Context, plan: _Plan, plists_elsewhere: bool) -> None:
    old_plain, old_pl = _split_root(old)
    new_plain, new_pl = _split_root(new)
    dels, adds = _diff_lines(old_plain, new_plain)
    plan.top_adds += adds
    plan.top_dels += dels
    for key, entries in new_pl.items():
        before = old_pl.get(key, {})
        added = [line for k, line in entries.items() if before.get(k) != line]
        gone = [line for k, line in before.items() if k not in entries]
        if not (added or gone):
            continue
        plan.changed_plists.add(key)
        # An entry at an existing seq is replaced in place (one northbound change instead of
        # two: each costs O(list size) in FRR 8.4) -- unless a new value already sits at
        # another seq: FRR silently ignores such a duplicate, so the old entries go first.
        old_values = {_SEQ_RE.sub(" ", line) for line in before.values()}
        if any(_SEQ_RE.sub(" ", line) in old_values for line in added):
            gone = [line for k, line in before.items() if entries.get(k) != line]
        plan.plist_updates += [negate(line) for line in gone]
        for line in added:
            m = _PLIST_RE.match(line)
            seq = m.group(3) if m else None
            in_place = seq is not None and seq in before and before[seq] not in gone
            (plan.plist_updates if in_place and plists_elsewhere else plan.plist_adds).append(line)
    for afi, name in old_pl:
        if (afi, name) not in new_pl:
            plan.changed_plists.add((afi, name))
            plan.plist_dels.append(f"no {afi} prefix-list {name}")


def _plan_route_maps(old: Context, new: Context, plan: _Plan) -> None:
    old_rm, new_rm = _route_maps(old), _route_maps(new)
    for (name, seq), (action, ctx) in new_rm.items():
        prev = old_rm.get((name, seq))
        if prev is None or prev[0] != action:
            if prev is not None:
                # Changing permit<->deny keeps FRR's match/set lines: rebuild the entry.
                plan.rmap_updates.append(f"no route-map {name} {prev[0]} {seq}")
            plan.rmap_updates += _full(ctx)
            plan.changed_rmaps.add(name)
            continue
        if (ctx.children or prev[1].children) and ctx.children != prev[1].children:
            raise UnsupportedChange(f"nested blocks in route-map {name} {seq}")
        dels, adds = _diff_lines(prev[1].lines, ctx.lines)
        if dels or adds:
            plan.changed_rmaps.add(name)
            plan.rmap_updates += _ctx([ctx.header], dels + adds)
    new_names = {name for name, _ in new_rm}
    gone_names: set[str] = set()
    for (name, seq), (action, _) in old_rm.items():
        if (name, seq) in new_rm:
            continue
        plan.changed_rmaps.add(name)
        if name in new_names:
            plan.rmap_dels.append(f"no route-map {name} {action} {seq}")
        elif name not in gone_names:
            gone_names.add(name)
            plan.rmap_dels.append(f"no route-map {name}")


def _diff_block(old: Context, new: Context, skip: set[str] | None = None) -> list[str]:
    """Body commands (relative to `new`'s header) turning `old` into `new`, recursively.
    Removed sub-blocks: address-families lose their lines, others get `no <header>`."""
    dels, adds = _diff_lines(old.lines, new.lines, skip)
    body = dels + adds
    for header, child in new.children.items():
        prev = old.children.get(header)
        if prev is None:
            body += _full(child)
        else:
            body += _ctx([header], _diff_block(prev, child, skip))
    for header, prev in reversed(old.children.items()):
        if header in new.children:
            continue
        if header.startswith("address-family ") or header.startswith("vrf "):
            body += _ctx([header], _diff_block(prev, Context(header), skip))
        else:
            body.append(negate(header))
    return body


def _plan_bfd(old: Context, new: Context, plan: _Plan) -> None:
    before, after = old.children.get("bfd", Context("bfd")), new.children.get("bfd", Context("bfd"))
    if before == after:
        return
    # Additions/changes before routers reference profiles; removals after they stopped.
    gone = Context(
        "bfd", dict(before.lines), {h: c for h, c in before.children.items() if h not in after.children}
    )
    kept = Context(
        "bfd", dict(before.lines), {h: c for h, c in before.children.items() if h in after.children}
    )
    plan.bfd_updates += _ctx(["bfd"], _diff_block(kept, after))
    if "bfd" not in new.children:
        # bfdd keeps an emptied `bfd` node in its running config: remove the node itself.
        plan.bfd_dels.append("no bfd")
        return
    removed = _diff_block(gone, Context("bfd", dict(before.lines)))
    plan.bfd_dels += _ctx(["bfd"], removed)


def _plan_vrfs(old: Context, new: Context, plan: _Plan) -> None:
    # `vrf V` blocks are kept even when emptied: zebra owns the VRF itself.
    for header in list(new.children) + [h for h in old.children if h not in new.children]:
        if not header.startswith("vrf "):
            continue
        before = old.children.get(header, Context(header))
        after = new.children.get(header, Context(header))
        if before != after:
            plan.vrf_updates += _ctx([header], _diff_block(before, after))


def _neighbors(router: Context) -> set[str]:
    return {m.group(1) for m in map(_NEIGHBOR_DEF_RE.match, router.lines) if m}


def _plan_routers(old: Context, new: Context, plan: _Plan) -> tuple[set[PeerRef], set[PeerRef]]:
    old_r, new_r = _routers(old), _routers(new)
    soft_in: set[PeerRef] = set()
    soft_out: set[PeerRef] = set()
    for vrf, (asn, _) in new_r.items():
        if vrf in old_r and old_r[vrf][0] != asn:
            raise UnsupportedChange(
                f"router bgp for VRF {vrf or 'default'!r} changes ASN {old_r[vrf][0]} -> {asn}"
            )
    if "" in old_r and "" not in new_r and len(new_r) > 0:
        raise UnsupportedChange("removing the default router while VRF routers remain")

    new_vrf_routers: list[str] = []
    changed: list[str] = []
    new_default: list[str] = []
    for vrf, (_, ctx) in new_r.items():
        if vrf not in old_r:
            (new_vrf_routers if vrf else new_default).extend(_full(ctx))
            continue
        prev = old_r[vrf][1]
        gone_peers = _neighbors(prev) - _neighbors(ctx)
        skip = {line for _, line in prev.walk() if any(line.startswith(f"neighbor {p} ") for p in gone_peers)}
        body = [f"no neighbor {p}" for p in sorted(gone_peers)] + _diff_block(prev, ctx, skip)
        changed += _ctx([ctx.header], body)
        kept_peers = _neighbors(prev) & _neighbors(ctx)
        # Which kept neighbors need a soft refresh: their route-map (or a list it matches)
        # changed, or the neighbor's route-map line itself was replaced.
        old_bindings = _bindings(prev)
        for peer, rmap, direction in _bindings(ctx):
            if peer not in kept_peers:
                continue
            if rmap in plan.changed_rmaps or (peer, rmap, direction) not in old_bindings:
                (soft_in if direction == "in" else soft_out).add(PeerRef(vrf, peer))
    plan.router_updates += new_vrf_routers + changed + new_default
    # VRF routers go before the default one (FRR refuses to delete the default instance first).
    for vrf, (asn, _) in sorted(old_r.items(), key=lambda kv: kv[0] == ""):
        if vrf not in new_r:
            plan.router_dels.append(f"no router bgp {asn}" + (f" vrf {vrf}" if vrf else ""))
    return soft_in, soft_out


def _bindings(router: Context) -> set[tuple[str, str, str]]:
    """(peer, route-map, direction) for every `neighbor P route-map R in|out` in the router."""
    out: set[tuple[str, str, str]] = set()
    for _, line in router.walk():
        m = _NEIGHBOR_RM_RE.match(line)
        if m:
            out.add((m.group(1), m.group(2), m.group(3)))
    return out


def _rmaps_matching(root: Context, plists: set[tuple[str, str]]) -> set[str]:
    """Route-maps with an entry that matches one of `plists`."""
    names: set[str] = set()
    for (name, _), (_, ctx) in _route_maps(root).items():
        for line in ctx.lines:
            m = _MATCH_PLIST_RE.match(line)
            if m and (m.group(1), m.group(2)) in plists:
                names.add(name)
    return names


def plan_config_delta(old_text: str, new_text: str) -> Delta:
    """`plan_delta` on two config texts (for tests and the CLI)."""
    return plan_delta(parse_config(old_text), parse_config(new_text))


# Lines through which zebra (or another daemon) would use route-maps, and so prefix-lists.
_ZEBRA_FILTER_RE = re.compile(r"^(ip|ipv6) (protocol|import-table|nht) .*route-map ")


def filters_used_outside_bgp(tree: Context) -> bool:
    """Whether a daemon other than bgpd may use prefix-lists in `tree`: zebra route-map
    bindings, or any context frrnode does not model (raw snippets: `router ospf`, ...)."""
    for header, ctx in tree.children.items():
        if not _is_modelled(header):
            return True
        if header.startswith("vrf ") and any(_ZEBRA_FILTER_RE.match(line) for _, line in ctx.walk()):
            return True
    return any(_ZEBRA_FILTER_RE.match(line) for line in tree.lines)
