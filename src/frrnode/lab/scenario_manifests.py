"""The FRRConfigurations of the four situations (docs/scenarios.md shows exactly these).

Lab addresses: node 172.30.0.1 (eth0, first segment) and 172.31.0.1 (eth1, second segment);
r1 172.30.0.2 (AS 64513), r2 172.30.0.3 (AS 64514), rv 172.31.0.2 (AS 64520).
The manifests are written as the page shows them (comments aligned) from small pieces, so that
each says only what sets it apart. A unit test checks that every manifest here appears
verbatim in docs/scenarios.md and builds.
"""

from __future__ import annotations

NODE_ASN = 64512
R1, R2, RV = "172.30.0.2", "172.30.0.3", "172.31.0.2"
_COMMENT_COLUMN = 35

_HEADER = """\
apiVersion: frrk8s.metallb.io/v1beta1
kind: FRRConfiguration
metadata:
  name: {name}
  namespace: frr-k8s-system
spec:
  bgp:
"""


def _lines(indent: int, *texts: str) -> str:
    """YAML lines at `indent`; the ` # comment` of a text goes to the comment column."""
    out = ""
    for text in texts:
        line, _, comment = text.partition(" # ")
        line = " " * indent + line
        out += (f"{line:<{_COMMENT_COLUMN}}# {comment}" if comment else line) + "\n"
    return out


def _note(comment: str) -> str:
    return f" # {comment}" if comment else ""


def neighbor(address: str, asn: int, *fields: str, note: str = "", receive: str = "") -> str:
    """A neighbor: further `fields` (`holdTime: 3s`), `receive` the one prefix it may send."""
    text = _lines(6, f"- address: {address}{_note(note)}") + _lines(8, f"asn: {asn}", *fields)
    if receive:
        text += _lines(8, "toReceive:") + _lines(10, "allowed:")
        text += _lines(12, "prefixes:", f"- prefix: {receive}")
    return text


def router(*neighbors: str, note: str = "", vrf: str = "", vrf_note: str = "") -> str:
    """The node's router (its AS), in the default VRF or in `vrf`."""
    text = _lines(4, f"- asn: {NODE_ASN}{_note(note)}")
    if vrf:
        text += _lines(6, f"vrf: {vrf}{_note(vrf_note)}")
    return text + _lines(6, "neighbors:") + "".join(neighbors)


def configuration(name: str, *routers: str, before: str = "", after: str = "") -> str:
    """An FRRConfiguration in frr-k8s-system: `before` the routers under `bgp:` (BFD
    profiles), `after` them under `spec:` (`raw`)."""
    return _HEADER.format(name=name) + before + _lines(4, "routers:") + "".join(routers) + after


DYNAMIC_ROUTING = configuration(
    "dynamic-routing",
    router(
        neighbor(R1, 64513, note="r1, first segment (eth0)", receive="10.100.0.0/24"),
        neighbor(RV, 64520, note="rv, second segment (eth1)", receive="10.250.0.0/24"),
    ),
)

SEGREGATION_DEFAULT_TABLE = configuration(
    "segregation",
    router(
        neighbor(R1, 64513, note="r1 (eth0) announces 10.250.0.0/24 too: accept nothing from it"),
        neighbor(RV, 64520, note="rv (eth1): the only way to 10.250.0.0/24", receive="10.250.0.0/24"),
    ),
)

SEGREGATION_VRF = configuration(
    "segregation",
    router(
        neighbor(R1, 64513, receive="10.250.0.0/24"),
        note="default table: r1 on eth0 has its own 10.250.0.0/24",
    ),
    router(
        neighbor(RV, 64520, receive="10.250.0.0/24"),
        vrf="red",
        vrf_note="VRF red (eth1 is enslaved to it): rv's 10.250.0.0/24",
    ),
)

ACTIVE_ACTIVE_SAME_AS = configuration(
    "active-active",
    router(
        neighbor(
            R1, 64513, "holdTime: 3s # failure detection without BFD: the hold timer", "keepaliveTime: 1s",
            note="r1, AS 64513", receive="10.60.0.0/24",
        ),
        neighbor(
            R2, 64513, "holdTime: 3s", "keepaliveTime: 1s", note="r2, also AS 64513", receive="10.60.0.0/24"
        ),
    ),
)  # fmt: skip

ACTIVE_ACTIVE_MULTI_AS = configuration(
    "active-active",
    router(
        neighbor(R1, 64513, "bfdProfile: fast", note="r1, AS 64513", receive="10.60.0.0/24"),
        neighbor(R2, 64514, "bfdProfile: fast", note="r2, AS 64514", receive="10.60.0.0/24"),
    ),
    before=_lines(4, "bfdProfiles:", "- name: fast # failure detection in 3 x 100 ms")
    + _lines(6, "receiveInterval: 100", "transmitInterval: 100", "detectMultiplier: 3"),
    after=_lines(2, 'raw: # no API field says "paths through different ASes are equal"')
    + _lines(4, "priority: 10", "rawConfig: |")
    + _lines(6, "router bgp 64512", "  bgp bestpath as-path multipath-relax", "exit"),
)

RETURN_PATH = configuration(
    "return-path",
    router(
        neighbor(
            RV, 64520, note="rv: the client networks behind the second segment", receive="10.250.0.0/24"
        ),
    ),
)

ALL = {
    "dynamic-routing": DYNAMIC_ROUTING,
    "segregation (default table)": SEGREGATION_DEFAULT_TABLE,
    "segregation (VRF)": SEGREGATION_VRF,
    "active-active (same AS)": ACTIVE_ACTIVE_SAME_AS,
    "active-active (different ASes)": ACTIVE_ACTIVE_MULTI_AS,
    "return-path": RETURN_PATH,
}
