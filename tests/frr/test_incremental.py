"""IncrementalApplier against real FRR 8.4.4: a node FRR and a peer FRR in two namespaces.

The namespaces (`ia<pid>n`, `ia<pid>p`, joined by one veth pair, 172.30.9.0/24 inside them
only) and both FRR instances are created per module and always removed (fixture finalizer).
After every incremental apply, `frr-reload.py --test` against the node must report nothing to
add or delete: the delta reached exactly the target configuration.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from frrnode.errors import FrrError
from frrnode.frr.incremental import IncrementalApplier
from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier, carry_over_host_lines
from frrnode.frr.render import render_config
from frrnode.frr.samples import feature_node, neighbor
from frrnode.model import L2VNI, Advertise, BFDProfile, LocalPref, NodeConfig, Receive, Router, Selector

pytestmark = [pytest.mark.frr, pytest.mark.lab]

PREFIX = f"ia{os.getpid() % 100000}"
NODE_NS, PEER_NS = f"{PREFIX}n", f"{PREFIX}p"
NODE_IP, PEER_IP = "172.30.9.1", "172.30.9.2"
PEER_NETS = ("10.100.0.0/24", "10.100.1.0/24", "10.100.2.0/24", "10.100.3.0/24")

PEER_CONFIG = f"""\
frr defaults traditional
bgp route-map delay-timer 1
router bgp 64513
 bgp router-id {PEER_IP}
 coalesce-time 100
 no bgp ebgp-requires-policy
 no bgp network import-check
 no bgp default ipv4-unicast
 neighbor {NODE_IP} remote-as 64512
 neighbor {NODE_IP} timers connect 1
 neighbor {NODE_IP} update-source {PEER_IP}
 address-family ipv4 unicast
{"".join(f"  network {n}{chr(10)}" for n in PEER_NETS)}  neighbor {NODE_IP} activate
 exit-address-family
exit
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Lab:
    node: FrrInstance
    peer: FrrInstance
    workdir: Path

    def applier(self) -> IncrementalApplier:
        return IncrementalApplier(self.node.vtysh, ReloadApplier(self.node.vtysh, self.workdir / "reload"))

    def residual(self, config: str) -> list[str]:
        """What frr-reload.py --test still wants to change to reach `config` (empty = converged)."""
        prepared = carry_over_host_lines(config, self.node.vtysh.running_config())
        check = ReloadApplier(self.node.vtysh, self.workdir / "check")
        return check.diff(check.write(prepared))

    def peer_counters(self) -> tuple[int, int, str]:
        peer = self.node.vtysh.json("show bgp summary json")["ipv4Unicast"]["peers"][PEER_IP]
        return peer["connectionsEstablished"], peer["connectionsDropped"], peer["state"]

    def kernel_routes(self) -> str:
        return subprocess.run(
            ["ip", "-n", NODE_NS, "-4", "route"], capture_output=True, text=True, check=True
        ).stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    node, peer = FrrInstance(NODE_NS, NODE_NS), FrrInstance(PEER_NS, PEER_NS)
    try:
        for ns in (NODE_NS, PEER_NS):
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", f"{PREFIX}a", "netns", NODE_NS, "type", "veth", "peer", "name", f"{PREFIX}b",
            "netns", PEER_NS)  # fmt: skip
        for ns, dev, addr in ((NODE_NS, f"{PREFIX}a", NODE_IP), (PEER_NS, f"{PREFIX}b", PEER_IP)):
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
        node.start("")
        peer.start(PEER_CONFIG)
        yield Lab(node, peer, tmp_path_factory.mktemp("ia"))
    finally:
        for inst in (node, peer):
            inst.cleanup()
        for ns in (NODE_NS, PEER_NS):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def wait_for(cond: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# ------------------------------------------------------------------------------- configs

IDLE_PEERS = ("172.30.9.50", "172.30.9.51")  # no one answers: sessions stay Active
ADVERTISED = ("192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "198.51.100.0/24")


def node_config(
    accept: tuple[str, ...] = ("10.100.0.0/24",),
    advertise: tuple[str, ...] = ("192.0.2.10/32",),
    idle: tuple[str, ...] = (),
    bfd: str | None = None,
    bfd_interval: int = 100,
    local_pref: int | None = None,
    vrf_neighbor: bool = False,
    accept_all: bool = False,
    networks: tuple[str, ...] = (),
) -> str:
    main = neighbor(
        PEER_IP,
        asn="64513",
        advertise=Advertise(
            prefixes_v4=advertise,
            local_prefs=(LocalPref(local_pref, "ipv4", advertise[:1]),) if local_pref and advertise else (),
        ),
        receive=Receive(all=True) if accept_all else Receive(selectors_v4=tuple(Selector(p) for p in accept)),
        keepalive_time=1,
        hold_time=3,
        connect_time=1,
    )
    others = [
        neighbor(ip, asn=str(64600 + i), bfd_profile=bfd, advertise=Advertise(prefixes_v4=advertise[-1:]))
        for i, ip in enumerate(idle)
    ]
    routers = [
        Router(
            asn=64512,
            router_id=NODE_IP,
            prefixes_v4=tuple(sorted(set(advertise) | set(networks))),
            neighbors=tuple(sorted([main, *others], key=lambda n: n.id)),
        )
    ]
    if vrf_neighbor:
        routers.append(Router(asn=64512, vrf="red", neighbors=(neighbor("172.30.99.2", vrf="red"),)))
    profiles = (
        (BFDProfile(bfd, receive_interval=bfd_interval, transmit_interval=bfd_interval),) if bfd else ()
    )
    return render_config(NodeConfig(hostname="node", routers=tuple(routers), bfd_profiles=profiles))


STEPS = [
    node_config(),
    node_config(accept=("10.100.0.0/24", "10.100.1.0/24"), advertise=ADVERTISED[:2]),
    node_config(accept=("10.100.1.0/24",), advertise=ADVERTISED[:3], idle=IDLE_PEERS, bfd="fast"),
    node_config(
        accept=("10.100.1.0/24",),
        advertise=ADVERTISED,
        idle=IDLE_PEERS,
        bfd="fast",
        bfd_interval=200,
        local_pref=150,
    ),
    node_config(
        accept=("10.100.2.0/24",), advertise=ADVERTISED, idle=IDLE_PEERS[:1], bfd="slow", local_pref=120
    ),
    node_config(accept_all=True, advertise=ADVERTISED[1:], vrf_neighbor=True),
    node_config(accept=("10.100.3.0/24",), advertise=ADVERTISED[:1], idle=IDLE_PEERS[1:], vrf_neighbor=True),
    node_config(),
]


# ------------------------------------------------------------------------------- tests


def test_sequence_converges_after_every_incremental_step(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(STEPS[0])  # through frr-reload.py, or a cold start if FRR runs nothing yet
    assert lab.residual(STEPS[0]) == []
    for i, config in enumerate(STEPS[1:], 1):
        result = applier.apply(config)
        assert result.method == "incremental", (i, applier.last_fallback_reason)
        assert result.changed
        assert lab.residual(config) == [], (i, result.output)
    # Same config again: nothing to do, nothing sent.
    again = applier.apply(STEPS[-1])
    assert not again.changed and again.method == "incremental"


def test_reset_forces_the_fallback(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(STEPS[1])
    assert applier.apply(STEPS[2]).method == "incremental"
    applier.reset()
    result = applier.apply(STEPS[3])
    assert result.method.startswith("incremental/frr-reload")
    assert lab.residual(STEPS[3]) == []


configs = st.builds(
    node_config,
    accept=st.lists(st.sampled_from(PEER_NETS), unique=True, max_size=3).map(lambda x: tuple(sorted(x))),
    advertise=st.lists(st.sampled_from(ADVERTISED), unique=True, min_size=1, max_size=4).map(
        lambda x: tuple(sorted(x))
    ),
    idle=st.lists(st.sampled_from(IDLE_PEERS), unique=True, max_size=2).map(lambda x: tuple(sorted(x))),
    bfd=st.sampled_from([None, "fast", "slow"]),
    bfd_interval=st.sampled_from([100, 200]),  # 300 is bfdd's default: FRR hides it
    local_pref=st.sampled_from([None, 120, 150]),
    vrf_neighbor=st.booleans(),
    accept_all=st.booleans(),
)


@pytest.fixture
def walker(lab: Lab) -> IncrementalApplier:
    """One applier per walk test, kept across its examples (hypothesis runs them all within one
    call of a function-scoped fixture): only its first apply goes through frr-reload.py. Not
    module-scoped: other tests change FRR with their own appliers in between, and a stale
    memory of FRR's state makes wrong deltas (the agent calls reset() for that).

    (Starting every example with a fallback apply from an arbitrary state hit an frr-reload.py
    8.4.4 crash: UnboundLocalError `rm_match` in ignore_delete_re_add_lines when one diff adds
    a new `router bgp ... vrf` block and changes a neighbor route-map line.)
    """
    applier = lab.applier()
    applier.apply(STEPS[0])
    return applier


# Each example drives real FRR (~1 s per step): few examples, no shrinking.
@settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(walk=st.lists(configs, min_size=1, max_size=4))
def test_random_walk_converges(lab: Lab, walker: IncrementalApplier, walk: list[str]) -> None:
    for config in walk:
        result = walker.apply(config)
        assert result.method == "incremental", walker.last_fallback_reason
        assert lab.residual(config) == [], result.output


def test_policy_changes_keep_the_session_and_reach_the_kernel(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(node_config(accept=("10.100.0.0/24",)))
    wait_for(lambda: lab.peer_counters()[2] == "Established", "the BGP session")
    wait_for(lambda: "10.100.0.0/24" in lab.kernel_routes(), "10.100.0.0/24 in the node's kernel")
    established, dropped, _ = lab.peer_counters()

    # Newly allowed by the inbound prefix-list: appears (soft inbound refresh, no reset).
    result = applier.apply(node_config(accept=("10.100.0.0/24", "10.100.1.0/24")))
    assert result.method == "incremental"
    assert f"clear bgp {PEER_IP} soft in" in result.output
    wait_for(lambda: "10.100.1.0/24" in lab.kernel_routes(), "10.100.1.0/24 in the node's kernel")

    # Outbound change too (advertise one more prefix), and the inbound one removed again.
    result = applier.apply(node_config(accept=("10.100.0.0/24",), advertise=ADVERTISED[:2]))
    assert f"clear bgp {PEER_IP} soft out" in result.output
    wait_for(lambda: "10.100.1.0/24" not in lab.kernel_routes(), "10.100.1.0/24 to leave the kernel")
    peer_routes = lambda: lab.peer.vtysh.json("show bgp ipv4 unicast json")["routes"]  # noqa: E731
    wait_for(lambda: "192.0.2.11/32" in peer_routes(), "the peer to receive 192.0.2.11/32")

    assert lab.peer_counters() == (established, dropped, "Established")
    assert dropped == 0


def test_invalid_delta_falls_back_and_keeps_the_previous_config(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(STEPS[1])
    before = lab.node.vtysh.running_config()
    # A grammar error: vtysh --dryrun rejects the batch, the fallback rejects the file.
    with pytest.raises(FrrError):
        applier.apply(STEPS[2] + "ip prefix-list bad seq 1 permit 10.0.0.0/33\n")
    assert applier.last_fallback_reason is not None and "dryrun" in applier.last_fallback_reason
    assert lab.node.vtysh.running_config() == before

    # A line only bgpd refuses (passes the grammar check): the batch half-applies, the fallback
    # fails too, and the last applied config is put back.
    applier.apply(STEPS[1])
    bad = STEPS[2].replace(
        f"  neighbor {PEER_IP} remote-as 64513\n",
        f"  neighbor {PEER_IP} remote-as 64513\n  neighbor {PEER_IP} peer-group nosuchgroup\n",
    )
    assert bad != STEPS[2]
    with pytest.raises(FrrError):
        applier.apply(bad)
    assert applier.last_fallback_reason is not None and "batch failed" in applier.last_fallback_reason
    assert lab.residual(STEPS[1]) == []
    # And it recovers: the next valid apply works (through the fallback, state was unknown).
    applier.apply(STEPS[2])
    assert lab.residual(STEPS[2]) == []
    assert applier.apply(STEPS[3]).method == "incremental"


def test_unsupported_change_goes_through_the_fallback(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(STEPS[0])
    other_asn = STEPS[0].replace("router bgp 64512", "router bgp 64599")
    result = applier.apply(other_asn)
    assert result.method.startswith("incremental/frr-reload")
    assert "ASN" in (applier.last_fallback_reason or "")
    assert lab.residual(other_asn) == []
    applier.apply(STEPS[0])
    assert lab.residual(STEPS[0]) == []


def test_change_that_crashes_frr_reload_applies_incrementally(lab: Lab) -> None:
    # frr-reload.py 8.4.4 crashes (UnboundLocalError `rm_match` in ignore_delete_re_add_lines)
    # when one diff removes a neighbor that has a route-map and adds a new `router bgp ... vrf`.
    before = node_config(idle=IDLE_PEERS)
    after = node_config(vrf_neighbor=True)
    reload = ReloadApplier(lab.node.vtysh, lab.workdir / "crash")
    reload.apply(before)
    with pytest.raises(FrrError, match="frr-reload"):
        reload.apply(after)
    assert lab.residual(before) == []  # the crash happened before frr-reload changed anything

    applier = lab.applier()
    applier.apply(before)
    result = applier.apply(after)
    assert result.method == "incremental"
    assert lab.residual(after) == []


def feature_variants() -> list[str]:
    """feature_node (VRFs, EVPN, dual-stack, unnumbered, always-block, communities, local-pref,
    BFD, raw) and two variants that change or remove a bit of everything."""
    base = feature_node()
    default, red = base.routers
    dual, evpn_only, v6, unnumbered = default.neighbors
    # `neighbor X graceful-restart` is refused by a running bgpd that has sessions configured
    # ("not valid at this moment"): only a fresh FRR takes it. Not an applier matter.
    dual = dataclasses.replace(dual, graceful_restart=False)
    # Same ASN as the simple configs, so walks can move between both kinds incrementally.
    default = dataclasses.replace(default, asn=64512, neighbors=(dual, evpn_only, v6, unnumbered))
    red = dataclasses.replace(red, asn=64512)
    base = dataclasses.replace(base, routers=(default, red))
    assert default.evpn is not None
    v1_dual = dataclasses.replace(
        dual,
        hold_time=30,
        keepalive_time=10,
        password="other",
        bfd_profile="plain",
        advertise=dataclasses.replace(
            dual.advertise,
            local_prefs=(LocalPref(200, "ipv4", ("192.0.2.0/24",)),),
            communities=dual.advertise.communities[1:],
        ),
    )
    v1 = dataclasses.replace(
        base,
        log_level="informational",
        always_block=("192.168.0.0/16",),
        routers=(dataclasses.replace(default, neighbors=(v1_dual, evpn_only, v6, unnumbered)), red),
        bfd_profiles=(dataclasses.replace(base.bfd_profiles[0], receive_interval=200), base.bfd_profiles[1]),
    )
    v2_evpn = dataclasses.replace(
        default.evpn, advertise_svi=False, l2vnis=(L2VNI(100, rd="65000:101", import_rts=("65000:100",)),)
    )
    v2 = dataclasses.replace(
        v1,
        routers=(dataclasses.replace(default, imports=(), neighbors=(v1_dual, v6), evpn=v2_evpn),),
        bfd_profiles=base.bfd_profiles[1:],
        raw=(dataclasses.replace(base.raw[0], text="route-map 10.0.0.1-in permit 100\n  set metric 8\n"),),
    )
    return [render_config(n) for n in (base, v1, v2, base)]


FEATURE_VARIANTS = feature_variants()[:3]


def test_feature_rich_changes_reach_what_frr_reload_reaches(lab: Lab) -> None:
    """Configs using every feature cannot converge to an empty `--test` (FRR prints some
    upstream lines differently, docs/compatibility.md); the incremental result must leave
    exactly the residual that frr-reload.py itself leaves for the same config."""
    applier = lab.applier()
    reload = ReloadApplier(lab.node.vtysh, lab.workdir / "features")
    variants = feature_variants()
    applier.apply(variants[0])
    for i, config in enumerate(variants[1:], 1):
        result = applier.apply(config)
        assert result.method == "incremental", (i, applier.last_fallback_reason)
        after_incremental = without_l3vni_rd(lab.residual(config))
        reload.apply(config)  # frr-reload from the incremental result: only display quirks left
        assert without_l3vni_rd(lab.residual(config)) == after_incremental, (i, result.output)
    applier.apply(STEPS[0])  # leave a plain config for the next test


def test_soft_refresh_applies_new_filters_even_without_delay_timer(lab: Lab) -> None:
    """With `bgp route-map delay-timer 0` FRR never re-evaluates routes after a policy change
    by itself (lab README §4): a newly allowed prefix can only show up because the applier
    sent `clear bgp X soft in|out` -- and that must not reset the session."""

    def config(accept: tuple[str, ...], advertise: tuple[str, ...]) -> str:
        text = node_config(accept=accept, advertise=advertise, networks=ADVERTISED[:2])
        assert "bgp route-map delay-timer 1\n" in text
        return text.replace("bgp route-map delay-timer 1\n", "bgp route-map delay-timer 0\n")

    peer_routes = lambda: lab.peer.vtysh.json("show bgp ipv4 unicast json")["routes"]  # noqa: E731
    applier = lab.applier()
    applier.apply(config(("10.100.0.0/24",), ADVERTISED[:1]))
    wait_for(lambda: lab.peer_counters()[2] == "Established", "the BGP session")
    wait_for(lambda: "10.100.0.0/24" in lab.kernel_routes(), "10.100.0.0/24 in the node's kernel")
    wait_for(lambda: ADVERTISED[0] in peer_routes(), f"the peer to receive {ADVERTISED[0]}")
    assert "10.100.1.0/24" not in lab.kernel_routes()
    assert ADVERTISED[1] not in peer_routes()  # a node network, but not allowed to this peer
    established, dropped, _ = lab.peer_counters()

    result = applier.apply(config(("10.100.0.0/24", "10.100.1.0/24"), ADVERTISED[:2]))
    assert result.method == "incremental"
    assert (
        f"clear bgp {PEER_IP} soft in" in result.output and f"clear bgp {PEER_IP} soft out" in result.output
    )
    wait_for(lambda: "10.100.1.0/24" in lab.kernel_routes(), "10.100.1.0/24 in the node's kernel")
    wait_for(lambda: ADVERTISED[1] in peer_routes(), f"the peer to receive {ADVERTISED[1]}")
    assert lab.peer_counters() == (established, dropped, "Established")
    applier.apply(STEPS[0])


_quirks: dict[str, list[str]] = {}

# FRR 8.4 drops the configured `rd` of an L3VNI VRF asynchronously (~1 s after zebra associates
# `vrf red / vni 3000`; our lab VRF has no kernel device): measured 8 of 8 times after
# frr-reload.py and 7 of 8 after the incremental applier, for the same config change. Not an
# applier difference, so residual comparisons leave that line out.
_L3VNI_RD = ("+ router bgp 64512 vrf red", "+  address-family l2vpn evpn", "+   rd 65000:3000")


def without_l3vni_rd(residual: list[str]) -> list[str]:
    out = list(residual)
    for i in range(len(out) - 2):
        if tuple(out[i : i + 3]) == _L3VNI_RD:
            return out[:i] + out[i + 3 :]
    return out


_history: list[str] = []


def _label(config: str) -> str:
    if config in FEATURE_VARIANTS:
        return f"feature{FEATURE_VARIANTS.index(config)}"
    return f"simple{hash(config) % 1000}{'+vrf' if 'vrf red' in config else ''}"


# Few examples (each step drives real FRR, plus one frr-reload per new config), no shrinking.
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(walk=st.lists(st.one_of(configs, st.sampled_from(FEATURE_VARIANTS)), min_size=1, max_size=4))
def test_random_walk_through_feature_configs_matches_frr_reload(
    lab: Lab, walker: IncrementalApplier, walk: list[str]
) -> None:
    """Walks mixing simple and feature-rich configs (VRF routers, EVPN, unnumbered peers come
    and go): after each incremental step FRR shows exactly the residual frr-reload.py leaves
    for that config (display quirks only; empty for the simple configs)."""
    reload = ReloadApplier(lab.node.vtysh, lab.workdir / "walk-reload")
    for config in walk:
        result = walker.apply(config)
        assert result.method == "incremental", walker.last_fallback_reason
        residual = without_l3vni_rd(lab.residual(config))
        if config not in _quirks:
            reload.apply(config)  # FRR already runs `config`: frr-reload only retries quirks
            _quirks[config] = without_l3vni_rd(lab.residual(config))
        _history.append(_label(config))
        assert residual == _quirks[config], (_history[-6:], residual, _quirks[config], result.output)


# ------------------------------------------------------------------------------- prefix-lists in bgpd alone


def _plist_entries(lab: Lab, daemon: str) -> int:
    out = subprocess.run(
        ["vtysh", "-N", NODE_NS, "-d", daemon, "-c", "show ip prefix-list"], capture_output=True, text=True
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip().startswith("seq "))


def _restart_empty(lab: Lab) -> None:
    lab.node.stop()
    lab.node.start("")


def test_cold_start_sends_the_whole_config_as_a_delta_with_prefix_lists_in_bgpd_only(lab: Lab) -> None:
    """An empty FRR gets the config without frr-reload.py; prefix-lists reach bgpd alone (FRR 8.4
    pays their quadratic cost per daemon) and the running config is the same as when every
    daemon gets them."""
    config = STEPS[3]
    _restart_empty(lab)
    reference = IncrementalApplier(
        lab.node.vtysh, ReloadApplier(lab.node.vtysh, lab.workdir / "ref"), plists_to_bgpd_only=False
    )
    assert reference.apply(config).method == "incremental"
    everywhere = lab.node.vtysh.running_config()
    assert _plist_entries(lab, "zebra") > 0  # the reference really fed every daemon

    _restart_empty(lab)
    applier = lab.applier()
    result = applier.apply(config)
    assert result.method == "incremental", applier.last_fallback_reason
    assert lab.residual(config) == []
    assert lab.node.vtysh.running_config() == everywhere
    assert _plist_entries(lab, "bgpd") > 0
    assert _plist_entries(lab, "zebra") == _plist_entries(lab, "bfdd") == 0

    # Later deltas keep them in bgpd alone; frr-reload.py (the fallback) still reconciles them.
    step = applier.apply(STEPS[4])
    assert step.method == "incremental" and lab.residual(STEPS[4]) == []
    assert _plist_entries(lab, "zebra") == 0
    applier.reset()
    assert applier.apply(STEPS[1]).method.startswith("incremental/frr-reload")
    assert lab.residual(STEPS[1]) == []


def test_a_configured_frr_is_not_taken_for_an_empty_one(lab: Lab) -> None:
    applier = lab.applier()
    applier.apply(STEPS[0])
    fresh = lab.applier()  # knows nothing; FRR runs STEPS[0]
    result = fresh.apply(STEPS[2])
    assert result.method.startswith("incremental/frr-reload")
    assert lab.residual(STEPS[2]) == []


def test_prefix_lists_go_to_every_daemon_when_zebra_uses_route_maps(lab: Lab) -> None:
    _restart_empty(lab)
    config = STEPS[1] + "ip protocol bgp route-map 172.30.9.2-in\n"
    applier = lab.applier()
    assert applier.apply(config).method == "incremental"
    assert lab.residual(config) == []
    assert _plist_entries(lab, "zebra") > 0
