"""Why FRR did not accept a received route: evaluate the neighbor's inbound route-map the way
FRR does, on the running config's route-maps and prefix-lists (for `frrnode routes`).

Only what frrnode renders (and what upstream raw snippets usually add) is evaluated: route-map
entries matching `ip[v6] address prefix-list`, prefix-list entries with `ge`/`le` and `any`.
An entry with another kind of match is reported as not evaluated instead of guessed. Before any
filter, FRR drops a route whose AS path already holds the node's own AS (loop check).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from frrnode.frr.tree import Context

_ROUTE_MAP_RE = re.compile(r"^route-map (\S+) (permit|deny) (\d+)$")
_MATCH_PLIST_RE = re.compile(r"^match (ip|ipv6) address prefix-list (\S+)$")
_PLIST_RE = re.compile(
    r"^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (any|\S+)(?: ge (\d+))?(?: le (\d+))?$"
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class PrefixListEntry:
    seq: int
    action: str
    prefix: Network | None
    """None for `any`."""
    ge: int | None = None
    le: int | None = None
    text: str = ""

    def matches(self, route: Network) -> bool:
        if self.prefix is None:
            return True
        if route.version != self.prefix.version or not route.subnet_of(self.prefix):  # type: ignore[arg-type]
            return False
        if self.ge is None and self.le is None:
            return route.prefixlen == self.prefix.prefixlen
        low = self.ge if self.ge is not None else self.prefix.prefixlen
        high = self.le if self.le is not None else route.max_prefixlen
        return low <= route.prefixlen <= high


def prefix_lists(root: Context) -> dict[tuple[str, str], list[PrefixListEntry]]:
    """(afi, name) -> entries in seq order, from a parsed running config."""
    out: dict[tuple[str, str], list[PrefixListEntry]] = {}
    for line in root.lines:
        m = _PLIST_RE.match(line)
        if not m:
            continue
        afi, name, seq, action, prefix, ge, le = m.groups()
        net = None if prefix == "any" else ipaddress.ip_network(prefix, strict=False)
        entry = PrefixListEntry(
            int(seq), action, net, int(ge) if ge else None, int(le) if le else None, line.split(" ", 3)[3]
        )
        out.setdefault((afi, name), []).append(entry)
    for entries in out.values():
        entries.sort(key=lambda e: e.seq)
    return out


def _plist_verdict(
    lists: dict[tuple[str, str], list[PrefixListEntry]], afi: str, name: str, route: Network
) -> tuple[bool, str]:
    """(permitted, why) for `route` against prefix-list `name`."""
    entries = lists.get((afi, name))
    if entries is None:
        # FRR: a route-map matching a prefix-list that does not exist matches nothing.
        return False, f"{afi} prefix-list {name} does not exist"
    for entry in entries:
        if entry.matches(route):
            return entry.action == "permit", f"{afi} prefix-list {name} {entry.text}"
    hint = " (not in the neighbor's toReceive.allowed)" if re.search(r"(?<!-denied)-inpl-\w+$", name) else ""
    return False, f"{afi} prefix-list {name} has no entry for it{hint}"


def why_not_accepted(
    root: Context, route_map: str | None, prefix: str, as_path: str, local_as: int | None
) -> str:
    """One sentence on why FRR did not accept `prefix` (with `as_path`) through `route_map`."""
    if local_as is not None and str(local_as) in as_path.replace("{", " ").replace("}", " ").split():
        return f"AS-path loop: the path ({as_path}) already holds this node's AS {local_as}, FRR drops it"
    if not route_map:
        return "no inbound route-map: not explained by a filter (e.g. not yet refreshed)"
    try:
        route = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return f"denied by route-map {route_map} (prefix {prefix!r} not evaluated)"
    afi = "ip" if route.version == 4 else "ipv6"
    lists = prefix_lists(root)
    entries = _route_map(root, route_map)
    if not entries:
        return f"route-map {route_map} does not exist (FRR then denies everything)"
    reasons = []
    for seq, action, ctx in entries:
        matches = [m for m in map(_MATCH_PLIST_RE.match, ctx.lines) if m]
        others = [line for line in ctx.lines if line.startswith("match ") and not _MATCH_PLIST_RE.match(line)]
        if others:
            return f"route-map {route_map} {action} {seq} matches on {others[0]!r} (not evaluated by frrnode)"
        verdicts = [
            _plist_verdict(lists, m.group(1), m.group(2), route) if m.group(1) == afi else (False, "")
            for m in matches
        ]
        if all(ok for ok, _ in verdicts):
            if action == "deny":
                why = "; ".join(w for _, w in verdicts) or "it matches everything"
                blocked = any("-denied-inpl-" in w for _, w in verdicts)
                return (
                    f"denied by route-map {route_map} deny {seq} ({why}){' (alwaysBlock)' if blocked else ''}"
                )
            return f"route-map {route_map} permit {seq} accepts it: not explained by the filter"
        reasons += [f"permit {seq}: {w}" for ok, w in verdicts if not ok and w and action == "permit"]
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    return f"no entry of route-map {route_map} permits it{detail}"


def _route_map(root: Context, name: str) -> list[tuple[int, str, Context]]:
    """(seq, action, entry) of route-map `name`, in seq order."""
    out = []
    for header, ctx in root.children.items():
        m = _ROUTE_MAP_RE.match(header)
        if m and m.group(1) == name:
            out.append((int(m.group(3)), m.group(2), ctx))
    return sorted(out, key=lambda e: e[0])
