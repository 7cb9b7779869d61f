"""Parse FRR configuration text into an ordered tree of contexts.

This mirrors what frr-reload.py's `Config`/`Context` do, but as typed data and without asking
vtysh to mark context ends (`vtysh -m`): our rendered config, raw snippets and
`show running-config` output all parse the same way, so two configs can be diffed structurally
(`frrnode.frr.delta.plan_delta`).

The tree: a root `Context` (header `""`) holds top-level single lines (`ip prefix-list ...`,
`log ...`) in `lines` and context blocks (`route-map NAME permit N`, `router bgp ASN [vrf V]`
with nested `address-family ...`, `bfd` with nested `profile P`, `vrf V`, ...) in `children`,
keyed by their header. A header that appears twice (frr-k8s renders one `address-family ipv4
unicast` block per neighbor) merges into one context. Lines keep their first-seen order and
are de-duplicated.

Where contexts end: an `exit*` line leaves one level, `end` leaves all; an unindented line that
can only be a top-level command (another `route-map`, `ip prefix-list`, `router ...`) leaves
all; otherwise indentation decides (a line indented no deeper than a nested context's header
leaves that context). Unindented text inside a block (raw snippets written flat) therefore
stays in the block, as vtysh would read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import ip_network

# Which lines open a context, per enclosing context (same table as frr-reload.py's
# `ctx_keywords`, trimmed of daemons we never configure but kept generic).
_ContextKeywords = dict[str, "_ContextKeywords"]
CONTEXT_KEYWORDS: _ContextKeywords = {
    "router bgp ": {
        "address-family ": {"vni ": {}},
        "vnc defaults": {},
        "vnc nve-group ": {},
        "vnc l2-group ": {},
        "vrf-policy ": {},
        "bmp targets ": {},
        "segment-routing srv6": {},
    },
    "router rip": {},
    "router ripng": {},
    "router isis ": {},
    "router openfabric ": {},
    "router ospf": {},
    "router ospf6": {},
    "router eigrp ": {},
    "router babel": {},
    "mpls ldp": {"address-family ": {"interface ": {}}},
    "l2vpn ": {"member pseudowire ": {}},
    "key chain ": {"key ": {}},
    "vrf ": {},
    "interface ": {"link-params": {}},
    "pseudowire ": {},
    "segment-routing": {},
    "nexthop-group ": {},
    "route-map ": {},
    "pbr-map ": {},
    "rpki": {},
    "bfd": {"peer ": {}, "profile ": {}},
    "line vty": {},
}

# Unindented lines that are only valid at the top level: seeing one closes any open context
# even without `exit` (frr-k8s renders route-maps and prefix-lists without `exit`).
TOP_LEVEL_PREFIXES: tuple[str, ...] = (
    *CONTEXT_KEYWORDS,
    "ip prefix-list ",
    "ipv6 prefix-list ",
    "ip route ",
    "ipv6 route ",
    "ip nht ",
    "ipv6 nht ",
    "ip forwarding",
    "ipv6 forwarding",
    "no ip forwarding",
    "no ipv6 forwarding",
    "ip protocol ",
    "ipv6 protocol ",
    "access-list ",
    "ipv6 access-list ",
    "bgp community-list ",
    "bgp large-community-list ",
    "bgp extcommunity-list ",
    "bgp as-path ",
    "bgp route-map delay-timer",
    "bgp send-extra-data",
    "hostname ",
    "domainname ",
    "log ",
    "no log ",
    "debug ",
    "no debug ",
    "service ",
    "password ",
    "enable password ",
    "agentx",
    "zebra ",
)

# Not configuration: headers of `show running-config`, and lines FRR prints but that are not
# ours to change (`frr defaults` is fixed when the daemons start).
_IGNORED_PREFIXES = (
    "!",
    "#",
    "frr version",
    "frr defaults",
    "Building configuration",
    "Current configuration",
)

_PREFIX_LIST_RE = re.compile(r"^(ip|ipv6) prefix-list (\S+)( seq \d+)? (permit|deny) (\S+)(.*)$")
_LE_GE_RE = re.compile(r"^(.*)le (\d+) ge (\d+)(.*)$")
_NETWORK_RE = re.compile(r"^network ([0-9A-Fa-f:./]+)(.*)$")
_ROUTE_RE = re.compile(r"^(ip|ipv6) route ([0-9A-Fa-f:./]+)(.*)$")


@dataclass
class Context:
    """One configuration context: `header` (`""` for the root), its own lines, its sub-contexts."""

    header: str
    lines: dict[str, None] = field(default_factory=dict)
    """Ordered set of the lines directly in this context (a dict keeps insertion order)."""
    children: dict[str, Context] = field(default_factory=dict)

    def add_line(self, line: str) -> None:
        self.lines.setdefault(line, None)

    def child(self, header: str) -> Context:
        """The sub-context `header`, created empty if absent (repeated blocks merge here)."""
        ctx = self.children.get(header)
        if ctx is None:
            ctx = self.children[header] = Context(header)
        return ctx

    def is_empty(self) -> bool:
        return not self.lines and all(c.is_empty() for c in self.children.values())

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
        """Every line as (context path, line), depth first, in order."""
        for line in self.lines:
            yield path, line
        for header, ctx in self.children.items():
            yield (*path, header), ""
            yield from ctx.walk((*path, header))

    def flat(self) -> list[str]:
        """Every line prefixed by its context headers (`router bgp 1 / neighbor ...`), for
        comparing trees in tests and messages."""
        return [" / ".join((*p, line) if line else p) for p, line in self.walk()]

    def to_text(self) -> str:
        """FRR config text for this tree, in the form vtysh reads back (one-space indentation,
        explicit exits)."""
        out: list[str] = []
        if self.header:
            emit_context(self, 0, out)
        else:
            out.extend(self.lines)
            for ctx in self.children.values():
                emit_context(ctx, 0, out)
        return "\n".join(out) + "\n"

    def __eq__(self, other: object) -> bool:
        # Order of lines and blocks does not change what FRR runs (prefix-lists and
        # route-maps are ordered by seq, not by position): compare as sets.
        if not isinstance(other, Context):
            return NotImplemented
        return (
            self.header == other.header
            and self.lines.keys() == other.lines.keys()
            and self.children == other.children
        )

    __hash__ = None  # type: ignore[assignment]  # mutable


def exit_line(header: str) -> str | None:
    """The line that leaves a context with this header (None: none needed, e.g. route-map,
    whose entries follow each other without `exit`, so vtysh batches them — FRR#15706)."""
    if header.startswith("address-family "):
        return "exit-address-family"
    if header.startswith("vni "):
        return "exit-vni"
    if header.startswith("vrf "):
        return "exit-vrf"
    if header.startswith("route-map "):
        return None
    return "exit"


def emit_context(ctx: Context, depth: int, out: list[str]) -> None:
    """Append the full text of `ctx` (header, lines, children, exit) at `depth`."""
    pad = " " * depth
    out.append(pad + ctx.header)
    out.extend(pad + " " + line for line in ctx.lines)
    for child in ctx.children.values():
        emit_context(child, depth + 1, out)
    leave = exit_line(ctx.header)
    if leave:
        out.append(pad + leave)


@lru_cache(maxsize=1 << 16)
def _network(addr: str) -> str:
    """`11.1.1.1/24` -> `11.1.1.0/24` (FRR shows the network; users may write host bits).
    Cached: ipaddress parsing was most of the parse time of a 5,000-line config."""
    if "/" not in addr or (addr.endswith("/32") and ":" not in addr):
        return addr
    try:
        net = ip_network(addr, strict=False)
    except ValueError:
        return addr
    return f"{net.network_address}/{net.prefixlen}"


def normalize_line(line: str, path: tuple[str, ...] = ()) -> str:
    """One line as FRR would print it: collapsed whitespace, network addresses without host
    bits, prefix-list `ge` before `le` (the normalizations frr-reload.py applies)."""
    line = " ".join(line.split())
    if not path:
        m = _PREFIX_LIST_RE.match(line)
        if m:
            afi, name, seq, action, prefix, rest = m.groups()
            lege = _LE_GE_RE.match(rest)
            if lege:
                rest = f"{lege.group(1)}ge {lege.group(3)} le {lege.group(2)}{lege.group(4)}"
            return f"{afi} prefix-list {name}{seq or ''} {action} {_network(prefix)}{rest}"
        m = _ROUTE_RE.match(line)
        if m:
            return f"{m.group(1)} route {_network(m.group(2))}{m.group(3)}"
    elif path[0].startswith("router bgp "):
        m = _NETWORK_RE.match(line)
        if m:
            return f"network {_network(m.group(1))}{m.group(2)}"
    return line


def _opens(keywords: _ContextKeywords, line: str) -> _ContextKeywords | None:
    if not keywords or not line.startswith(tuple(keywords)):
        return None
    for kw, sub in keywords.items():
        if line.startswith(kw):
            return sub
    return None


def is_top_level(line: str) -> bool:
    return line.startswith(TOP_LEVEL_PREFIXES)


def parse_config(text: str) -> Context:
    """Parse FRR config text (rendered, raw snippet, or `show running-config`) into a tree."""
    root = Context("")
    # Stack of open contexts: (context, keywords that open its sub-contexts, header indent).
    stack: list[tuple[Context, _ContextKeywords, int]] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith(_IGNORED_PREFIXES):
            continue
        indent = len(raw) - len(raw.lstrip())
        if stripped == "end":
            stack.clear()
            continue
        if stripped.startswith("exit") or stripped == "quit":
            if stack:
                stack.pop()
            continue
        if indent == 0 and is_top_level(stripped):
            stack.clear()
        elif indent > 0:
            # Leave nested contexts whose header is indented as deep as this line (a block
            # that ended without its exit line). The top-level context stays open.
            while len(stack) > 1 and stack[-1][2] >= indent:
                stack.pop()
        keywords = stack[-1][1] if stack else CONTEXT_KEYWORDS
        sub = _opens(keywords, stripped)
        path = tuple(c.header for c, _, _ in stack)
        if sub is not None:
            header = normalize_line(stripped, path)
            parent = stack[-1][0] if stack else root
            stack.append((parent.child(header), sub, indent))
            continue
        line = normalize_line(stripped, path)
        (stack[-1][0] if stack else root).add_line(line)
    _drop_empty(root)
    return root


def _drop_empty(ctx: Context) -> None:
    """Drop empty nested blocks FRR does not keep (an `address-family` with no lines)."""
    for header in list(ctx.children):
        child = ctx.children[header]
        _drop_empty(child)
        if ctx.header.startswith("router bgp ") and header.startswith("address-family ") and child.is_empty():
            del ctx.children[header]
