"""Check upstream FRR-K8s naming and numbering invariants on rendered FRR text (spec §12.2).

Works on text, not on the plan, so it also checks the templates and can be pointed at any
file (an upstream golden, our output). Used by the renderer's tests.
"""

from __future__ import annotations

import re
from collections import defaultdict

_PL = re.compile(r"^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) ")
_RM = re.compile(r"^route-map (\S+) (permit|deny) (\d+)$")
_NB_RM = re.compile(r"^\s+neighbor (\S+) route-map (\S+) (in|out)$")


def check_invariants(text: str) -> list[str]:
    """Return a description of every violated invariant (empty when the text is fine)."""
    problems: list[str] = []
    pl_seqs: dict[str, list[int]] = defaultdict(list)
    pl_order: list[str] = []  # first appearance of each prefix-list name
    rm_entries: dict[str, list[tuple[str, int]]] = defaultdict(list)
    rm_order: list[str] = []
    referenced: set[tuple[str, str]] = set()

    for line in text.splitlines():
        if m := _PL.match(line):
            name = m.group(2)
            if name not in pl_seqs:
                pl_order.append(name)
            pl_seqs[name].append(int(m.group(3)))
        elif m := _RM.match(line):
            name = m.group(1)
            if name not in rm_entries:
                rm_order.append(name)
            rm_entries[name].append((m.group(2), int(m.group(3))))
        elif m := _NB_RM.match(line):
            referenced.add((m.group(2), m.group(3)))

    # FRR orders entries by seq, so only the set matters (the ip and ipv6 halves of an `-inpl-`
    # list share one counter and may interleave).
    for name, seqs in pl_seqs.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            problems.append(f"prefix-list {name}: seq numbers {seqs} are not 1..{len(seqs)}")

    ids = sorted(
        {n[: -len("-out")] for n in rm_entries if n.endswith("-out")}
        | {n[: -len("-in")] for n in rm_entries if n.endswith("-in")}
    )
    for nid in ids:
        out, inb = rm_entries.get(f"{nid}-out", []), rm_entries.get(f"{nid}-in", [])
        if not out or not inb:
            problems.append(f"neighbor {nid}: needs both {nid}-in and {nid}-out")
            continue
        numbers = [n for _, n in out] + [n for _, n in inb]
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"neighbor {nid}: route-map numbers out→in {numbers} are not 1..{len(numbers)}")
        actions = [a for a, _ in inb]
        if "deny" in actions and actions.index("permit") < len(actions) - actions[::-1].index("deny") - 1:
            problems.append(f"neighbor {nid}: {nid}-in has a permit before a deny")
        mine = [p for p in pl_order if p.startswith(f"{nid}-")]
        own = re.compile(re.escape(nid) + r"-(large:)?[\d:]+-(ip|ipv6)-(localpref|community)-prefixes$")
        props = [p for p in mine if own.match(p)]
        allowed = f"{nid}-allowed-ipv4"
        if allowed not in mine:
            problems.append(f"neighbor {nid}: no {allowed} prefix-list")
        else:
            if any(mine.index(p) > mine.index(allowed) for p in props):
                problems.append(f"neighbor {nid}: a property list comes after {allowed}")
            if props != sorted(props):
                problems.append(f"neighbor {nid}: property lists not in name order: {props}")

    for name, direction in sorted(referenced):
        if name not in rm_entries:
            problems.append(f"route-map {name} ({direction}) is used by a neighbor but not defined")
        elif not name.endswith(f"-{direction}"):
            problems.append(f"route-map {name} is applied {direction}")
    return problems
