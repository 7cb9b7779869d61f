"""ReloadApplier (frr-reload.py) against real FRR 8.4.4 daemons in a private network namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_frr_helpers import frr_in_netns, read_sysctl, write_sysctl

from frrnode.errors import FrrError
from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import Applier, ReloadApplier, carry_over_host_lines, parse_test_output

pytestmark = pytest.mark.frr

BASE = """\
log stdout informational
hostname not-the-system-hostname
ip nht resolve-via-default
ip prefix-list 192.0.2.2-inpl-ipv4 seq 1 permit 10.100.0.0/24
route-map 192.0.2.2-in permit 3
  match ip address prefix-list 192.0.2.2-inpl-ipv4
router bgp 64512
  no bgp ebgp-requires-policy
  no bgp default ipv4-unicast
  neighbor 192.0.2.2 remote-as 64513
  address-family ipv4 unicast
    neighbor 192.0.2.2 activate
    neighbor 192.0.2.2 route-map 192.0.2.2-in in
  exit-address-family
"""

BFD = """\
router bgp 64512
  neighbor 192.0.2.2 bfd
  neighbor 192.0.2.2 bfd profile fast
bfd
  profile fast
    receive-interval 100
    transmit-interval 100
"""


@pytest.fixture()
def inst() -> Iterator[FrrInstance]:
    with frr_in_netns("r") as i:
        yield i


@pytest.fixture()
def applier(inst: FrrInstance, tmp_path: Path) -> ReloadApplier:
    return ReloadApplier(inst.vtysh, tmp_path / "work")


def test_is_an_applier(applier: ReloadApplier) -> None:
    a: Applier = applier
    assert a is applier


def test_apply_change_and_noop(inst: FrrInstance, applier: ReloadApplier) -> None:
    r = applier.apply(BASE)
    assert r.changed and r.method == "frr-reload" and r.residual == ()
    running = inst.vtysh.running_config()
    assert "neighbor 192.0.2.2 remote-as 64513" in running
    assert "ip prefix-list 192.0.2.2-inpl-ipv4 seq 1 permit 10.100.0.0/24" in running
    # the same config again: no diff at all (the rendered hostname does not show as a change)
    again = applier.apply(BASE)
    assert not again.changed
    # a change
    r2 = applier.apply(BASE.replace("10.100.0.0/24", "10.100.1.0/24"))
    assert r2.changed and "10.100.1.0/24" in r2.output
    running = inst.vtysh.running_config()
    assert "permit 10.100.1.0/24" in running and "permit 10.100.0.0/24" not in running
    # the file was written in our workdir, privately; FRR's own frr.conf is not our input
    assert applier.config_path.stat().st_mode & 0o777 == 0o600


def test_invalid_config_refused_previous_kept(inst: FrrInstance, applier: ReloadApplier) -> None:
    applier.apply(BASE)
    before = inst.vtysh.running_config()
    with pytest.raises(FrrError) as err:
        applier.apply(BASE + "router bgp 64512\n  neighbor 192.0.2.3 bogus-keyword\n")
    assert "bogus-keyword" in str(err.value) and "Unknown command" in str(err.value)
    assert inst.vtysh.running_config() == before


def test_refused_by_daemon_rolls_back(inst: FrrInstance, applier: ReloadApplier) -> None:
    """Grammar is fine, bgpd refuses one line after others were applied: FRR is put back."""
    applier.apply(BASE)
    before = inst.vtysh.running_config()
    changed = (
        BASE.replace("10.100.0.0/24", "10.100.9.0/24")
        + "router bgp 64512\n  neighbor 192.0.2.7 peer-group NOPE\n"
    )
    with pytest.raises(FrrError) as err:
        applier.apply(changed)
    assert "peer-group" in str(err.value)
    assert "previous configuration was restored" in str(err.value)
    assert inst.vtysh.running_config() == before


@pytest.mark.parametrize("forwarding", ["0", "1"])
def test_forwarding_state_is_kept(inst: FrrInstance, applier: ReloadApplier, forwarding: str) -> None:
    ns = inst.netns
    assert ns is not None
    for path in ("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"):
        write_sysctl(ns, path, forwarding)
    # a rendered config that says the opposite, and one that says nothing
    opposite = (
        "ip forwarding\nipv6 forwarding\n" if forwarding == "0" else "no ip forwarding\nno ipv6 forwarding\n"
    )
    applier.apply(BASE)
    applier.apply(opposite + BASE.replace("10.100.0.0/24", "10.100.2.0/24"))
    assert read_sysctl(ns, "net/ipv4/ip_forward") == forwarding
    assert read_sysctl(ns, "net/ipv6/conf/all/forwarding") == forwarding


def test_bfd_removal_converges(inst: FrrInstance, applier: ReloadApplier) -> None:
    applier.apply(BASE + BFD)
    assert "neighbor 192.0.2.2 bfd profile fast" in inst.vtysh.running_config()
    r = applier.apply(BASE)  # needs two frr-reload passes (lab README §4)
    assert r.changed and r.residual == ()
    running = inst.vtysh.running_config()
    assert "bfd" not in running.replace("nht", "")
    assert applier.diff() == []


def test_residual_reported_not_raised(inst: FrrInstance, applier: ReloadApplier) -> None:
    # detect-multiplier 3 is FRR's default and never displayed: frr-reload keeps wanting it.
    r = applier.apply(BASE + BFD + "    detect-multiplier 3\n")
    assert r.changed
    assert any("detect-multiplier 3" in line for line in r.residual)


def test_carry_over_host_lines() -> None:
    running = "frr version 8.4.4\nhostname vm\nno ip forwarding\nipv6 forwarding\n"
    out = carry_over_host_lines("hostname other\nip forwarding\nrouter bgp 1\n hostname-like x\n", running)
    assert out.splitlines() == [
        "hostname vm",
        "no ip forwarding",
        "ipv6 forwarding",
        "router bgp 1",
        " hostname-like x",
    ]


def test_parse_test_output() -> None:
    text = (
        "\nLines To Delete\n===============\nno hostname vm\n\nLines To Add\n============\nrouter bgp 1\n x\n"
    )
    assert parse_test_output(text) == (["no hostname vm"], ["router bgp 1", " x"])
    assert parse_test_output("\nLines To Delete\n===============\n\nLines To Add\n============\n") == ([], [])
