"""Sample `NodeConfig`s: upstream's worked examples, a node using every feature, and scaled nodes.

Used by the renderer's tests, end-to-end load checks and benchmarks (`scaled_node`); built by
hand so they do not depend on the API pipeline.
"""

from __future__ import annotations

from frrnode.model import (
    EVPN,
    L2VNI,
    L3VNI,
    Advertise,
    BFDProfile,
    Community,
    CommunityPrefixes,
    Family,
    LocalPref,
    Neighbor,
    NodeConfig,
    ObjectRef,
    RawSnippet,
    Receive,
    Router,
    Selector,
)


def neighbor(
    addr: str, asn: str = "65001", vrf: str = "", family: Family | None = None, **kw: object
) -> Neighbor:
    """An address neighbor with upstream's ID rule (`<addr>[-<vrf>]`) and family from the address."""
    fam: Family = family or ("ipv6" if ":" in addr else "ipv4")
    return Neighbor(
        id=f"{addr}-{vrf}" if vrf else addr,
        peer=addr,
        family=fam,
        remote_as=asn,
        display_name=f"{asn}@{addr}",
        address=addr,
        **kw,  # type: ignore[arg-type]
    )


def example_a() -> NodeConfig:
    """Spec §5.12 worked example A (golden TestSingleSession)."""
    prefixes = ("192.169.1.0/24", "192.170.1.0/22")
    n = neighbor("192.168.1.2", port=4567, advertise=Advertise(prefixes_v4=prefixes))
    return NodeConfig(
        hostname="dummyhostname", routers=(Router(asn=65000, prefixes_v4=prefixes, neighbors=(n,)),)
    )


def example_b() -> NodeConfig:
    """Spec §5.13 worked example B (always-block, community, localPref, selector with le)."""
    n = neighbor(
        "172.30.0.3",
        asn="4200000000",
        advertise=Advertise(
            prefixes_v4=("192.168.10.0/24", "192.168.20.0/24"),
            local_prefs=(LocalPref(200, "ipv4", ("192.168.20.0/24",)),),
            communities=(CommunityPrefixes(Community("10:100", False), "ipv4", ("192.168.10.0/24",)),),
        ),
        receive=Receive(selectors_v4=(Selector("10.0.0.0/8", le=24),)),
    )
    router = Router(asn=64512, prefixes_v4=("192.168.10.0/24", "192.168.20.0/24"), neighbors=(n,))
    return NodeConfig(hostname="node-1", always_block=("192.167.9.0/24",), routers=(router,))


def feature_node() -> NodeConfig:
    """Most features at once: VRFs, dual-stack, unnumbered, always-block v4+v6, modifiers, BFD, EVPN, raw."""
    adv = Advertise(
        prefixes_v4=("192.0.2.0/24", "198.51.100.0/24"),
        prefixes_v6=("2001:db8:1::/48",),
        next_hop_v4="192.0.2.1",
        next_hop_v6="2001:db8::1",
        local_prefs=(LocalPref(150, "ipv4", ("192.0.2.0/24",)), LocalPref(150, "ipv6", ("2001:db8:1::/48",))),
        communities=(
            CommunityPrefixes(Community("123:456:7890", True), "ipv6", ("2001:db8:1::/48",)),
            CommunityPrefixes(Community("10:100", False), "ipv4", ("192.0.2.0/24", "198.51.100.0/24")),
        ),
    )
    dual = neighbor(
        "10.0.0.1",
        family="dual",
        advertise=adv,
        bfd_profile="fast",
        hold_time=9,
        keepalive_time=3,
        connect_time=5,
        password="s3cret",
        source_address="10.0.0.100",
        graceful_restart=True,
        local_asn=65100,
        ebgp_multihop=True,
        receive=Receive(
            selectors_v4=(Selector("203.0.113.0/24", le=28, ge=26),),
            selectors_v6=(Selector("2001:db8::/32"),),
        ),
    )
    v6 = neighbor("2001:db8::2", asn="external", disable_connected_check=True, receive=Receive(all=True))
    unnumbered = Neighbor(
        id="eth1",
        peer="eth1",
        family="dual",
        remote_as="internal",
        display_name="internal@eth1",
        interface="eth1",
        address_families=("evpn", "unicast"),
    )
    evpn_only = neighbor("10.0.0.10", address_families=("evpn",))
    red = neighbor("10.0.0.1", vrf="red")
    default = Router(
        asn=65000,
        router_id="10.0.0.100",
        prefixes_v4=("192.0.2.0/24", "198.51.100.0/24"),
        prefixes_v6=("2001:db8:1::/48",),
        imports=("red",),
        neighbors=(dual, evpn_only, v6, unnumbered),
        evpn=EVPN(
            advertise_vnis="All",
            advertise_svi=True,
            l2vnis=(
                L2VNI(100, rd="65000:100", import_rts=("65000:100",), export_rts=("65000:100",)),
                L2VNI(200),
            ),
        ),
    )
    red_router = Router(
        asn=65000,
        vrf="red",
        prefixes_v4=("192.0.2.128/25",),
        neighbors=(red,),
        evpn=EVPN(
            l3vni=L3VNI(
                3000,
                rd="65000:3000",
                import_rts=("65000:3000",),
                export_rts=("65000:3000",),
                advertise_prefixes=("unicast",),
            )
        ),
    )
    return NodeConfig(
        hostname="node-1",
        log_level="debugging",
        always_block=("192.168.0.0/16", "fd00::/8"),
        routers=(default, red_router),
        bfd_profiles=(
            BFDProfile(
                "fast",
                receive_interval=100,
                transmit_interval=100,
                echo_mode=True,
                echo_interval=50,
                passive_mode=True,
                minimum_ttl=250,
                detect_multiplier=5,
            ),
            BFDProfile("plain"),
        ),
        raw=(
            RawSnippet(
                0,
                "route-map 10.0.0.1-in permit 100\n  set metric 7\n",
                ObjectRef("FRRConfiguration", "ns", "a"),
            ),
            RawSnippet(5, "# comment", ObjectRef("FRRConfiguration", "ns", "b")),
        ),
    )


def scaled_node(neighbors: int, prefixes: int, hostname: str = "node-1") -> NodeConfig:
    """One router with `neighbors` IPv4 neighbors (172.31.x.y, no routes: sessions stay idle)
    each advertising all `prefixes` router prefixes and accepting `prefixes` selectors."""
    router_prefixes = tuple(
        sorted(f"198.{18 + i // 65536}.{(i // 256) % 256}.{i % 256}/32" for i in range(prefixes))
    )
    selectors = tuple(
        sorted(
            (Selector(f"100.{64 + i // 256}.{i % 256}.0/24", le=32) for i in range(prefixes)),
            key=lambda s: s.sort_key,
        )
    )
    nbs = sorted(
        (
            neighbor(
                f"172.31.{i // 250}.{i % 250 + 1}",
                asn=str(64600 + i),
                advertise=Advertise(prefixes_v4=router_prefixes),
                receive=Receive(selectors_v4=selectors),
            )
            for i in range(neighbors)
        ),
        key=lambda n: n.id,
    )
    return NodeConfig(
        hostname=hostname, routers=(Router(asn=64512, prefixes_v4=router_prefixes, neighbors=tuple(nbs)),)
    )
