"""Regenerate tests/fixtures/vtysh/*.json from real FRR (run as root: python tests/frr/st_capture.py).

Brings up the st_topology lab under the prefix `stcap`, waits until it settled, dumps the
vtysh outputs the state readers consume, and always tears the lab down.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import st_topology as topo
from st_netlab import Netlab, wait_for

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "vtysh"


def build(prefix: str) -> Netlab:
    lab = Netlab(prefix)
    try:
        for i, name in enumerate(("node", "r1", "r2", "r3", "r4"), start=1):
            lab.add_host(name, i)
        # No kernel VRF module here: `router bgp ... vrf red` stays configured but inactive in FRR.
        node = "172.29.0.1"
        lab.start_frr("node", topo.node_config())
        lab.start_frr(
            "r1",
            topo.router_config(
                64513, "172.29.0.2", node, topo.R1_V4, topo.R1_V6, password=topo.R1_PASSWORD, bfd=True
            ),
        )
        lab.start_frr(
            "r2",
            topo.router_config(64514, "172.29.0.3", node, ("10.102.0.0/24",), password=topo.R2_PEER_PASSWORD),
        )
        lab.start_frr(
            "r3",
            topo.router_config(64515, "fd00:29::4", "fd00:29::1", (), topo.R3_V6, router_id="172.29.0.4"),
        )
        lab.start_frr("r4", topo.router_config(64516, "172.29.0.5", node))
    except BaseException:
        lab.close()
        raise
    return lab


COMMANDS = {
    "neighbors": "show bgp vrf all neighbors json",
    "summary": "show bgp vrf all summary json",
    "bfd_peers": "show bfd peers json",
    "bfd_counters": "show bfd peers counters json",
    "r1_v4_received": "show bgp ipv4 unicast neighbors 172.29.0.2 received-routes json",
    "r1_v4_accepted": "show bgp ipv4 unicast neighbors 172.29.0.2 routes json",
    "r1_v4_advertised": "show bgp ipv4 unicast neighbors 172.29.0.2 advertised-routes json",
    "r1_v6_received": "show bgp ipv6 unicast neighbors 172.29.0.2 received-routes json",
    "r1_v6_accepted": "show bgp ipv6 unicast neighbors 172.29.0.2 routes json",
    "r3_v6_received": "show bgp ipv6 unicast neighbors fd00:29::4 received-routes json",
    "r3_v6_accepted": "show bgp ipv6 unicast neighbors fd00:29::4 routes json",
    "r1_v4_prefix_counts": "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 prefix-counts json",
    "r3_v6_prefix_counts": "show bgp vrf default ipv6 unicast neighbors fd00:29::4 prefix-counts json",
    "red_accepted": "show bgp vrf red ipv4 unicast neighbors 172.28.0.2 routes json",
    "daemons": "show daemons",
}


def main() -> None:
    lab = build("stcap")
    try:

        def settled() -> bool:
            n = lab.vtysh_json("node", "show bgp vrf all neighbors json")["default"]
            bfd = lab.vtysh_json("node", "show bfd peers json")
            return (
                n["172.29.0.2"]["bgpState"] == "Established"
                and n["fd00:29::4"]["bgpState"] == "Established"
                and "lastNotificationReason" in n["172.29.0.5"]
                and any(p["status"] == "up" for p in bfd)
                and n["172.29.0.2"]["addressFamilyInfo"]["ipv4Unicast"].get("acceptedPrefixCounter") == 2
                and n["fd00:29::4"]["addressFamilyInfo"]["ipv6Unicast"].get("acceptedPrefixCounter") == 3
            )

        wait_for(settled, timeout=40)
        OUT.mkdir(parents=True, exist_ok=True)
        for name, cmd in COMMANDS.items():
            text = lab.vtysh("node", cmd)
            suffix = "txt" if name == "daemons" else "json"
            if suffix == "json":
                text = json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"
            (OUT / f"{name}.{suffix}").write_text(text)
        (OUT / "running_config.txt").write_text(lab.vtysh("node", "show running-config"))
        # The link-down / notification variants for the transitions.
        lab.link("r1", up=False)
        wait_for(
            lambda: (
                lab.vtysh_json("node", "show bgp vrf all neighbors json")["default"]["172.29.0.2"]["bgpState"]
                != "Established"
            ),
            timeout=20,
        )
        for name in ("neighbors", "bfd_peers"):
            text = lab.vtysh("node", COMMANDS[name])
            (OUT / f"{name}_r1_down.json").write_text(
                json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"
            )
        print("captured into", OUT)
    finally:
        lab.close()


def _unnumbered_config(asn: int, router_id: str, networks: tuple[str, ...]) -> str:
    nets = "".join(f"  network {n}\n" for n in networks)
    return f"""frr defaults traditional
bgp route-map delay-timer 1
router bgp {asn}
 bgp router-id {router_id}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor eth0 interface remote-as external
 neighbor eth0 timers connect 1
 address-family ipv4 unicast
{nets}  neighbor eth0 soft-reconfiguration inbound
 exit-address-family
 address-family ipv6 unicast
  neighbor eth0 activate
  neighbor eth0 soft-reconfiguration inbound
 exit-address-family
exit
"""


def main_unnumbered() -> None:
    """An interface (unnumbered) session: the neighbor key is `eth0`."""
    lab = Netlab("stcapu")
    try:
        for i, name in enumerate(("node", "r1"), start=1):
            lab.add_host(name, i)
        lab.start_frr("node", _unnumbered_config(64512, "172.29.0.1", ()))
        lab.start_frr("r1", _unnumbered_config(64513, "172.29.0.2", ("10.9.0.0/24", "10.9.1.0/24")))
        wait_for(
            lambda: (
                lab.vtysh_json("node", "show bgp vrf all neighbors json")["default"]["eth0"][
                    "addressFamilyInfo"
                ]["ipv4Unicast"].get("acceptedPrefixCounter")
                == 2
            ),
            timeout=40,
        )
        for name, cmd in (
            ("unnumbered_neighbors", "show bgp vrf all neighbors json"),
            (
                "unnumbered_v4_prefix_counts",
                "show bgp vrf default ipv4 unicast neighbors eth0 prefix-counts json",
            ),
        ):
            doc = json.loads(lab.vtysh("node", cmd))
            (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    finally:
        lab.close()


if __name__ == "__main__":
    main()
    main_unnumbered()
