"""`frrnode migrate bgpextras`: the raw `bgpextras` text -> FRRConfiguration `toReceive` filters.

The recipe users append (spec §3.12): prefix-lists, and for each MetalLB peer a re-declared
`route-map <id>-in permit 20` matching them. It maps onto one FRRConfiguration per group of
peers with the same node selector, with MetalLB's session parameters (so frrnode merges it
with MetalLB's own object) and `toReceive` selectors equal to the prefix-list entries. What
has no exact equivalent stays FRR text in a `rawConfig` object, and every such line is
reported with the reason. Native-mode semantics are kept: MetalLB's `deny 20` ends every
`<id>-in` map, so an entry numbered above 20 never had an effect.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from frrnode.api.v1beta1 import GROUP_VERSION, LabelSelector
from frrnode.metallb.config import BFD, Peer
from frrnode.metallb.receive import Receive, receive_configuration

METALLB_DENY_SEQ = 20


@dataclass(frozen=True)
class Line:
    number: int
    text: str


@dataclass
class Block:
    """A top-level line and the indented lines under it."""

    head: Line
    body: list[Line] = field(default_factory=list)

    @property
    def lines(self) -> list[Line]:
        return [self.head, *self.body]


@dataclass(frozen=True)
class Entry:
    """One prefix-list entry."""

    line: Line
    seq: int
    action: str
    prefix: str
    le: int | None
    ge: int | None


@dataclass
class Result:
    objects: list[dict[str, Any]] = field(default_factory=list)
    raw: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """One per input line: what became of it."""


_PLIST = re.compile(
    r"^(ip|ipv6) prefix-list (\S+)(?: seq (\d+))? (permit|deny) (any|\S+)"
    r"(?: ge (\d+))?(?: le (\d+))?(?: ge (\d+))?$"
)
_RMAP = re.compile(r"^route-map (\S+) (permit|deny) (\d+)$")
_MATCH = re.compile(r"^match (ip|ipv6) address prefix-list (\S+)$")


def blocks(text: str) -> tuple[list[Block], list[Line]]:
    """Top-level blocks, and the comment/blank lines (ignored)."""
    out: list[Block] = []
    ignored: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = Line(number, raw)
        stripped = raw.strip()
        if not stripped or stripped.startswith(("!", "#")):
            ignored.append(line)
        elif out and (raw[0].isspace() or stripped in ("exit", "end")):
            out[-1].body.append(line)
        else:
            out.append(Block(line))
    return out, ignored


def _entries(plists: list[Block]) -> tuple[dict[tuple[str, str], list[Entry]], list[Line]]:
    """Prefix-list entries by (family word, name), in sequence order; unparsable lines."""
    lists: dict[tuple[str, str], list[Entry]] = {}
    bad: list[Line] = []
    for block in plists:
        m = _PLIST.match(block.head.text.strip())
        if m is None or block.body:
            bad += block.lines
            continue
        fam, name, seq, action, prefix, ge1, le, ge2 = m.groups()
        entries = lists.setdefault((fam, name), [])
        number = int(seq) if seq else (max((e.seq for e in entries), default=0) + 5)
        ge = ge1 or ge2
        entries.append(
            Entry(block.head, number, action, prefix, int(le) if le else None, int(ge) if ge else None)
        )
    for entries in lists.values():
        entries.sort(key=lambda e: e.seq)
    return lists, bad


def _selectors(fam: str, entries: list[Entry]) -> tuple[list[tuple[str, int | None, int | None]], str]:
    """The permit entries as selectors, or why the list has no toReceive equivalent."""
    out: list[tuple[str, int | None, int | None]] = []
    seen_permit_after_deny = False
    denied = False
    for e in entries:
        if e.action == "deny":
            denied = True
            continue
        if denied:
            seen_permit_after_deny = True
        if e.prefix == "any":
            out.append(("0.0.0.0/0", 32, None) if fam == "ip" else ("::/0", 128, None))
            continue
        try:
            network = ipaddress.ip_network(e.prefix, strict=False)
        except ValueError:
            return [], f"line {e.line.number}: {e.prefix!r} is not a prefix"
        if (network.version == 4) != (fam == "ip"):
            return [], f"line {e.line.number}: {e.prefix} is not an {fam} prefix"
        out.append((str(network), e.le, e.ge))
    if seen_permit_after_deny:
        return [], "a deny entry comes before a permit entry (toReceive has no deny)"
    return out, ""


def _neighbor_ids(peers: Sequence[Peer]) -> dict[str, Peer]:
    out = {}
    for p in peers:
        base = p.address or p.interface
        out[f"{base}-{p.vrf}" if p.vrf else base] = p
    return out


def _selector_key(selector: LabelSelector | None) -> str:
    return json.dumps(selector.model_dump(by_alias=True) if selector else {}, sort_keys=True)


def migrate(
    extras: str,
    peers: Sequence[Peer],
    bfd_profiles: Mapping[str, BFD],
    name: str = "metallb-bgpextras",
    namespace: str = "frr-k8s-system",
) -> Result:
    """Map `extras` onto FRRConfigurations for MetalLB's `peers`."""
    result = Result()
    all_blocks, _ignored = blocks(extras)
    plist_blocks = [b for b in all_blocks if b.head.text.split()[1:2] == ["prefix-list"]]
    lists, bad_plists = _entries(plist_blocks)
    by_id = _neighbor_ids(peers)
    receive: dict[str, list[tuple[str, int | None, int | None]]] = {}
    receive_all: set[str] = set()
    used_lists: set[tuple[str, str]] = set()
    raw_blocks: list[tuple[Block, str]] = [
        (Block(line), "not a prefix-list entry FRR accepts") for line in bad_plists
    ]
    mapped: list[tuple[Line, str]] = []
    for block in all_blocks:
        if block in plist_blocks:
            continue
        m = _RMAP.match(block.head.text.strip())
        if m is None:
            raw_blocks.append((block, "only route-map <peer>-in entries and prefix-lists map to toReceive"))
            continue
        rmap, action, seq_text = m.groups()
        seq = int(seq_text)
        nid = rmap.removesuffix("-in")
        if not rmap.endswith("-in") or nid not in by_id:
            raw_blocks.append((block, f"route-map {rmap} is not the inbound map of a MetalLB peer"))
            continue
        if seq > METALLB_DENY_SEQ:
            for line in block.lines:
                result.notes.append(
                    f"line {line.number}: {line.text.strip()!r}: dropped, it never had an effect "
                    f"(MetalLB's `route-map {rmap} deny {METALLB_DENY_SEQ}` matches every route first)"
                )
            continue
        body = [ln for ln in block.body if ln.text.strip() not in ("exit", "!")]
        if action == "deny":
            if seq == METALLB_DENY_SEQ and not body:
                mapped.append((block.head, "MetalLB's own default (frrnode receives nothing unless allowed)"))
                continue
            raw_blocks.append((block, "a deny entry has no toReceive equivalent"))
            continue
        matches = [_MATCH.match(ln.text.strip()) for ln in body]
        if not all(matches):
            raw_blocks.append((block, "only `match ip|ipv6 address prefix-list` clauses map to toReceive"))
            continue
        families = {mm.group(1) for mm in matches if mm}
        if len(families) > 1:
            raw_blocks.append((block, "an entry matching both an ip and an ipv6 prefix-list matches nothing"))
            continue
        if not body:
            receive_all.add(nid)
            mapped.append((block.head, f"toReceive mode all for {nid}"))
            continue
        selectors: list[tuple[str, int | None, int | None]] = []
        problem = ""
        for mm in matches:
            assert mm is not None
            key = (mm.group(1), mm.group(2))
            if key not in lists:
                problem = f"prefix-list {key[1]} is not defined in bgpextras"
                break
            found, problem = _selectors(key[0], lists[key])
            if problem:
                break
            selectors += found
            used_lists.add(key)
        if problem:
            raw_blocks.append((block, problem))
            continue
        receive.setdefault(nid, []).extend(selectors)
        for line in block.lines:
            mapped.append((line, f"toReceive prefixes of {nid}"))
    for key, entries in lists.items():
        for e in entries:
            if key in used_lists:
                mapped.append(
                    (
                        e.line,
                        f"toReceive selector {e.prefix} ({e.action})"
                        if e.action == "permit"
                        else "implicit: toReceive refuses what it does not list",
                    )
                )
            else:
                raw_blocks.append((Block(e.line), f"prefix-list {key[1]} is not used by a mapped route-map"))
    # One object per node selector: a MetalLB peer only exists on the nodes it selects.
    groups: dict[str, tuple[LabelSelector | None, list[tuple[Peer, Receive]]]] = {}
    for nid, peer in sorted(by_id.items()):
        if nid not in receive and nid not in receive_all:
            continue
        rec = (
            Receive("all") if nid in receive_all else Receive("filtered", tuple(dict.fromkeys(receive[nid])))
        )
        for selector in peer.node_selectors or (None,):
            groups.setdefault(_selector_key(selector), (selector, []))[1].append((peer, rec))
    for index, (selector, members) in enumerate(groups.values()):
        obj_name = name if len(groups) == 1 else f"{name}-{index + 1}"
        result.objects.append(receive_configuration(obj_name, namespace, members, bfd_profiles, selector))
    for block, reason in raw_blocks:
        result.raw += block.lines
        for line in block.lines:
            result.notes.append(f"line {line.number}: {line.text.strip()!r}: left as rawConfig ({reason})")
    if result.raw:
        text = "\n".join(line.text for line in sorted(result.raw, key=lambda ln: ln.number)) + "\n"
        result.objects.append(
            {
                "apiVersion": GROUP_VERSION,
                "kind": "FRRConfiguration",
                "metadata": {"name": f"{name}-raw", "namespace": namespace},
                "spec": {"raw": {"rawConfig": text}},
            }
        )
    for line, what in mapped:
        result.notes.append(f"line {line.number}: {line.text.strip()!r}: mapped ({what})")
    result.notes.sort(key=lambda n: int(n.split(":", 1)[0].removeprefix("line ")))
    return result
