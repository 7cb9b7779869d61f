"""FRR configs for the status tests: a node and routers that exercise every status field.

node (AS 64512, .1) peers with
- r1 (.2, AS 64513): password, BFD, soft-reconfiguration inbound, inbound filter (accepts 2 of 3 v4
  and 1 of 2 v6 prefixes), outbound allows 2 prefixes;
- r2 (.3, AS 64514): password mismatch, never comes up;
- r3 (fd00:29::4, AS 64515): IPv6 session, no soft-reconfiguration (received unknown), no filter;
- r4 (.5): the node expects AS 64599 but r4 is 64516, so the OPEN is refused with a NOTIFICATION;
- VRF red: 172.28.0.2 (AS 64600), nobody answers.
"""

from __future__ import annotations

import os

R1_PASSWORD = "s3cret-r1-pw"
R2_NODE_PASSWORD = "n0de-side-pw"
R2_PEER_PASSWORD = "r2-wrong-pw"
ALL_PASSWORDS = (R1_PASSWORD, R2_NODE_PASSWORD, R2_PEER_PASSWORD)

R1_V4 = ("10.101.0.0/24", "10.101.1.0/24", "10.101.2.0/24")
R1_V4_ACCEPTED = ("10.101.0.0/24", "10.101.1.0/24")
R1_V6 = ("fd00:101::/64", "fd00:102::/64")
R1_V6_ACCEPTED = ("fd00:101::/64",)
R3_V6 = ("fd00:103::/64", "fd00:104::/64", "fd00:105::/64")
NODE_TO_R1 = ("192.0.2.10/32", "192.0.2.11/32")


def _common() -> str:
    return f"""frr defaults traditional
hostname {os.uname().nodename}
bgp route-map delay-timer 1
ip nht resolve-via-default
ipv6 nht resolve-via-default
!
"""


BFD_PROFILE = """bfd
 profile fast
  receive-interval 100
  transmit-interval 100
 exit
exit
!
"""


def node_config(s4: str = "172.29.0", s6: str = "fd00:29:") -> str:
    r1, r2, r3, r4 = f"{s4}.2", f"{s4}.3", f"{s6}:4", f"{s4}.5"
    return (
        _common()
        + f"""ip prefix-list {r1}-inpl-ipv4 seq 1 permit {R1_V4_ACCEPTED[0]}
ip prefix-list {r1}-inpl-ipv4 seq 2 permit {R1_V4_ACCEPTED[1]}
ipv6 prefix-list {r1}-inpl-ipv6 seq 1 permit {R1_V6_ACCEPTED[0]}
route-map {r1}-in permit 3
 match ip address prefix-list {r1}-inpl-ipv4
exit
route-map {r1}-in permit 4
 match ipv6 address prefix-list {r1}-inpl-ipv6
exit
ip prefix-list {r1}-pl-ipv4 seq 1 permit {NODE_TO_R1[0]}
ip prefix-list {r1}-pl-ipv4 seq 2 permit {NODE_TO_R1[1]}
route-map {r1}-out permit 1
 match ip address prefix-list {r1}-pl-ipv4
exit
!
router bgp 64512
 bgp router-id {s4}.1
 coalesce-time 100
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor {r1} remote-as 64513
 neighbor {r1} password {R1_PASSWORD}
 neighbor {r1} timers 1 3
 neighbor {r1} timers connect 1
 neighbor {r1} bfd
 neighbor {r1} bfd profile fast
 neighbor {r2} remote-as 64514
 neighbor {r2} password {R2_NODE_PASSWORD}
 neighbor {r2} timers 1 3
 neighbor {r2} timers connect 1
 neighbor {r3} remote-as 64515
 neighbor {r3} timers 1 3
 neighbor {r3} timers connect 1
 neighbor {r4} remote-as 64599
 neighbor {r4} timers 1 3
 neighbor {r4} timers connect 1
 !
 address-family ipv4 unicast
  network 192.0.2.10/32
  network 192.0.2.11/32
  network 192.0.2.12/32
  neighbor {r1} activate
  neighbor {r1} soft-reconfiguration inbound
  neighbor {r1} route-map {r1}-in in
  neighbor {r1} route-map {r1}-out out
  neighbor {r2} activate
  neighbor {r4} activate
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor {r1} activate
  neighbor {r1} soft-reconfiguration inbound
  neighbor {r1} route-map {r1}-in in
  neighbor {r1} route-map {r1}-out out
  neighbor {r3} activate
 exit-address-family
exit
!
router bgp 64512 vrf red
 bgp router-id {s4}.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 172.28.0.2 remote-as 64600
 neighbor 172.28.0.2 timers connect 1
 !
 address-family ipv4 unicast
  neighbor 172.28.0.2 activate
 exit-address-family
exit
!
"""
        + BFD_PROFILE
    )


def router_config(
    asn: int,
    me: str,
    node: str,
    v4: tuple[str, ...] = (),
    v6: tuple[str, ...] = (),
    password: str | None = None,
    bfd: bool = False,
    node_asn: int = 64512,
    router_id: str | None = None,
) -> str:
    lines = [
        f"router bgp {asn}",
        f" bgp router-id {router_id or me}",
        " coalesce-time 100",
        " no bgp ebgp-requires-policy",
        " no bgp network import-check",
        " no bgp default ipv4-unicast",
        f" neighbor {node} remote-as {node_asn}",
        f" neighbor {node} timers 1 3",
        f" neighbor {node} timers connect 1",
        f" neighbor {node} update-source {me}",
    ]
    if password:
        lines.append(f" neighbor {node} password {password}")
    if bfd:
        lines += [f" neighbor {node} bfd", f" neighbor {node} bfd profile fast"]
    lines += [" address-family ipv4 unicast", *(f"  network {p}" for p in v4)]
    if ":" not in node:
        lines.append(f"  neighbor {node} activate")
    lines += [
        " exit-address-family",
        " address-family ipv6 unicast",
        *(f"  network {p}" for p in v6),
        f"  neighbor {node} activate",
        " exit-address-family",
        "exit",
        "!",
    ]
    return _common() + "\n".join(lines) + "\n" + (BFD_PROFILE if bfd else "")
