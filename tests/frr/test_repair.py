"""frr.repair and frr.daemons against real FRR 8.4 daemons (issue 9, defect 1).

The ownership table of `frr.repair.owners` is checked on a feature-rich config: a healthy FRR
lacks nothing, and each daemon holds lines of its own (the check is not vacuous). Then each
daemon is killed and started empty: the merged `show running-config` may still look complete,
but `missing_lines` names that daemon, the DaemonWatch sees the restart, and `Repairer.repair`
brings it back (every daemon complete, frr-reload.py has nothing left to change). With the
incremental applier, prefix-lists live in bgpd alone, and a restarted daemon is fed the way its
cold start feeds an empty FRR.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_frr_helpers import frr_in_netns

from frrnode.frr.daemons import DaemonWatch, run_dir
from frrnode.frr.incremental import IncrementalApplier
from frrnode.frr.instance import FrrInstance
from frrnode.frr.reload import ReloadApplier, carry_over_host_lines
from frrnode.frr.render import render_config
from frrnode.frr.repair import Repairer, missing_lines, owners
from frrnode.frr.samples import feature_node
from frrnode.frr.tree import parse_config
from frrnode.frr.vtysh import DEFAULT_DAEMONS
from frrnode.model import Neighbor, NodeConfig, Receive, Selector

pytestmark = pytest.mark.frr


def _without_graceful_restart(node: NodeConfig) -> NodeConfig:
    """feature_node minus graceful restart: frr-reload.py re-sends `neighbor X graceful-restart`
    on every reload, which FRR 8.4 refuses for an existing session (FRR#15880)."""
    routers = tuple(
        dataclasses.replace(
            r, neighbors=tuple(dataclasses.replace(n, graceful_restart=False) for n in r.neighbors)
        )
        for r in node.routers
    )
    return dataclasses.replace(node, routers=routers)


CONFIG = render_config(_without_graceful_restart(feature_node()))


@pytest.fixture(scope="module")
def frr() -> Iterator[FrrInstance]:
    with frr_in_netns("rp") as inst:
        yield inst


@pytest.fixture
def loaded(frr: FrrInstance, tmp_path: Path) -> ReloadApplier:
    """FRR started afresh, on CONFIG."""
    frr.stop()
    frr.start("")
    applier = ReloadApplier(frr.vtysh, tmp_path)
    applier.apply(CONFIG)
    return applier


def test_healthy_frr_lacks_nothing_and_every_daemon_owns_lines(
    frr: FrrInstance, loaded: ReloadApplier
) -> None:
    vtysh = frr.vtysh
    per_daemon = vtysh.daemon_configs()
    assert set(per_daemon) == set(DEFAULT_DAEMONS)
    assert missing_lines(vtysh.running_config(), per_daemon, DEFAULT_DAEMONS) == {}
    owned: dict[str, int] = {}
    for path, line in parse_config(vtysh.running_config()).walk():
        for daemon in owners(path, line):
            owned[daemon] = owned.get(daemon, 0) + 1
    assert {d for d, n in owned.items() if n > 0} == {"zebra", "bgpd", "bfdd"}, owned


@pytest.mark.parametrize("daemon", ["bgpd", "zebra", "bfdd"])
def test_a_daemon_restarted_empty_is_found_and_repaired(
    frr: FrrInstance, loaded: ReloadApplier, daemon: str
) -> None:
    vtysh = frr.vtysh
    # What frr-reload.py would still change on a healthy FRR: values FRR never displays
    # (tests/e2e/test_render_load.py lists them); the repair must end on the same.
    residual = sorted(loaded.diff(loaded.write(carry_over_host_lines(CONFIG, vtysh.running_config()))))
    watch = DaemonWatch(run_dir(frr.pathspace), alive=vtysh.daemons)
    assert not watch.check()  # learns the processes
    frr.kill_daemon(daemon)
    assert watch.check().died == (daemon,)
    frr.restart_daemon(daemon, boot=False)
    assert watch.check().restarted == (daemon,)

    missing = missing_lines(vtysh.running_config(), vtysh.daemon_configs(), DEFAULT_DAEMONS)
    assert set(missing) == {daemon}, missing
    # What hid defect 1: lines the daemon lost are still in the merged view (others hold them).
    merged = set(parse_config(vtysh.running_config()).flat())
    hidden = [line for line in missing[daemon] if line in merged]
    assert any(" prefix-list " in line for line in hidden), hidden
    result = Repairer(vtysh, loaded).repair(CONFIG, [daemon], f"{daemon} restarted")
    assert result.daemons == (daemon,)
    assert missing_lines(vtysh.running_config(), vtysh.daemon_configs(), DEFAULT_DAEMONS) == {}
    after = loaded.diff(loaded.write(carry_over_host_lines(CONFIG, vtysh.running_config())))
    assert sorted(after) == residual


def _plist_lines(frr: FrrInstance) -> dict[str, int]:
    """Prefix-list entries per daemon (not the route-maps' `match ... prefix-list` lines)."""
    return {
        d: sum(1 for line in text.splitlines() if line.startswith(("ip prefix-list ", "ipv6 prefix-list ")))
        for d, text in frr.vtysh.daemon_configs().items()
    }


def test_with_the_incremental_applier_prefix_lists_stay_in_bgpd_through_repairs(
    frr: FrrInstance, tmp_path: Path
) -> None:
    """The incremental applier feeds prefix-lists to bgpd alone (FRR 8.4 pays for them in every
    daemon that gets them): after its cold start nothing is missing, and a restarted bgpd or
    zebra is repaired without putting them in zebra or bfdd."""
    frr.stop()
    frr.start("")
    reload = ReloadApplier(frr.vtysh, tmp_path)
    applier = IncrementalApplier(frr.vtysh, reload)
    assert applier.apply(CONFIG).method == "incremental"  # the cold start, not frr-reload.py
    residual = sorted(reload.diff(reload.write(carry_over_host_lines(CONFIG, frr.vtysh.running_config()))))
    repairer = Repairer(frr.vtysh, applier)
    assert repairer.check() == {}
    counts = _plist_lines(frr)
    assert counts["bgpd"] > 0 and counts["zebra"] == counts["bfdd"] == 0, counts
    for daemon in ("bgpd", "zebra"):
        frr.kill_daemon(daemon)
        frr.restart_daemon(daemon, boot=False)
        assert set(repairer.check()) == {daemon}
        result = repairer.repair(CONFIG, [daemon], f"{daemon} restarted")
        assert result.daemons == (daemon,) and result.second_push == ()
        assert repairer.check() == {}
        assert _plist_lines(frr) == counts
        after = reload.diff(reload.write(carry_over_host_lines(CONFIG, frr.vtysh.running_config())))
        assert sorted(after) == residual


def _other_filter(node: NodeConfig) -> NodeConfig:
    """`node` with another receive filter on its neighbors that have selectors (a version 2)."""
    wider = Receive(selectors_v4=(Selector("203.0.113.0/24", le=30, ge=25), Selector("198.18.0.0/15")))

    def edit(n: Neighbor) -> Neighbor:
        return dataclasses.replace(n, receive=wider) if n.receive.selectors_v4 else n

    routers = tuple(dataclasses.replace(r, neighbors=tuple(map(edit, r.neighbors))) for r in node.routers)
    return dataclasses.replace(node, routers=routers)


def test_a_daemon_booted_again_like_watchfrr_runs_what_the_deltas_applied(
    frr: FrrInstance, tmp_path: Path
) -> None:
    """The incremental applier rewrites FRR's start-up file after each delta (frr-reload.py's
    `write` does so after a reload): a bgpd that watchfrr starts again boots the latest
    version, before any repair, instead of an empty or older one."""
    frr.stop()
    frr.start("")
    startup = frr.config_dir / "frr.conf"
    before = startup.stat()
    version2 = render_config(_other_filter(_without_graceful_restart(feature_node())))
    assert version2 != CONFIG
    reload = ReloadApplier(frr.vtysh, tmp_path)
    applier = IncrementalApplier(frr.vtysh, reload, startup_config=startup)
    assert applier.apply(CONFIG).method == "incremental"  # the cold start
    result = applier.apply(version2)
    assert result.changed and result.method == "incremental", result
    text = startup.read_text()
    assert "198.18.0.0/15" in text and text == carry_over_host_lines(version2, frr.vtysh.running_config())
    after = startup.stat()  # it holds the neighbors' passwords: FRR's mode and owner kept
    assert (after.st_mode & 0o777, after.st_uid, after.st_gid) == (
        before.st_mode & 0o777,
        before.st_uid,
        before.st_gid,
    )
    residual = sorted(reload.diff(reload.write(carry_over_host_lines(version2, frr.vtysh.running_config()))))

    frr.kill_daemon("bgpd")
    frr.restart_daemon("bgpd", boot=True)  # no applier, no repair from here on
    vtysh = frr.vtysh  # prefix-lists went to bgpd alone (the cold start): bgpd must have them
    assert missing_lines(vtysh.running_config(), vtysh.daemon_configs(), DEFAULT_DAEMONS, ("bgpd",)) == {}
    now = reload.diff(reload.write(carry_over_host_lines(version2, frr.vtysh.running_config())))
    assert sorted(now) == residual
