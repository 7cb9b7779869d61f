"""The reconciler's decisions around FRR faults (issue 9), with FRR replaced by recording fakes;
tests/e2e/test_faults.py runs the same situations against real FRR daemons.

- While a daemon is down nothing is applied or reported as applied, no version is claimed live.
- A restart is repaired (whole config, every daemon checked), counted, and said in the status.
- FRR's permanent refusals are not retried until the input changes; they name the raw object.
- After a config with raw snippets, the applier must diff against FRR itself.
"""

from __future__ import annotations

from typing import Any

from pl_helpers import SETTINGS, config, dump, neighbor, node, router

from frrnode.agent.reconcile import Reconciler
from frrnode.agent.sources import Snapshot
from frrnode.api.loader import load_documents
from frrnode.errors import FrrError
from frrnode.frr.daemons import DaemonProcess, DaemonWatch
from frrnode.frr.reload import ApplyResult
from frrnode.frr.repair import RepairResult

DAEMONS = ("zebra", "bgpd", "staticd", "bfdd")


class FakeWatch(DaemonWatch):
    """DaemonWatch whose processes the test sets (`procs`)."""

    def __init__(self) -> None:
        super().__init__(directory=None, daemons=DAEMONS)  # type: ignore[arg-type]
        self.procs: dict[str, DaemonProcess | None] = {
            d: DaemonProcess(100 + i, 1) for i, d in enumerate(DAEMONS)
        }

    def read(self) -> dict[str, DaemonProcess | None]:
        return dict(self.procs)


class FakeApplier:
    def __init__(self) -> None:
        self.applied: list[str] = []
        self.resets: list[str] = []
        self.fail: FrrError | None = None

    def apply(self, config: str) -> ApplyResult:
        if self.fail is not None:
            raise self.fail
        self.applied.append(config)
        return ApplyResult(True, "incremental", 0.01)

    def reset(self, reason: str = "") -> None:
        self.resets.append(reason)


class FakeRepairer:
    def __init__(self) -> None:
        self.repairs: list[tuple[str, tuple[str, ...]]] = []
        self.missing: dict[str, list[str]] = {}
        """What the next per-daemon check finds lacking (then pushed again)."""

    def repair(self, config: str, daemons: Any, reason: str) -> RepairResult:
        self.repairs.append((config, tuple(daemons)))
        return RepairResult(tuple(daemons), 0.5, ApplyResult(False, "frr-reload", 0.3))

    def complete(self, config: str) -> dict[str, list[str]]:
        missing, self.missing = self.missing, {}
        return missing


def snapshot(asn: int = 65001, raw: str | None = None) -> Snapshot:
    docs = [config("a", router(neighbor(asn=asn))), node("node1")]
    if raw is not None:
        docs.append(config("raw-one", raw={"rawConfig": raw}))
    return Snapshot(resources=load_documents(dump(*docs), "test.yaml"))


def reconciler() -> tuple[Reconciler, FakeWatch, FakeApplier, FakeRepairer]:
    watch, applier, repairer = FakeWatch(), FakeApplier(), FakeRepairer()
    rec = Reconciler(SETTINGS, applier, watch=watch, repairer=repairer)  # type: ignore[arg-type]
    assert rec.reconcile(snapshot()).error is None
    return rec, watch, applier, repairer


def test_nothing_is_applied_or_claimed_while_bgpd_is_down() -> None:
    rec, watch, applier, repairer = reconciler()
    assert rec.state.applied_generations and rec.state.last_reload and rec.state.last_reload.ok
    watch.procs["bgpd"] = None
    assert rec.check_daemons().died == ("bgpd",)
    st = rec.state
    assert st.frr_down == ("bgpd",) and st.stale and not st.in_sync
    assert st.applied_generations == {}
    assert st.last_reload is not None and not st.last_reload.ok and "bgpd" in st.last_reload.message

    outcome = rec.reconcile(snapshot(asn=65002))  # a change while bgpd is dead
    assert outcome.retry and outcome.error and "bgpd" in outcome.error
    assert len(applier.applied) == 1 and repairer.repairs == []
    assert st.applied_generations == {} and not st.last_reload.ok


def test_a_restart_is_repaired_with_the_desired_config_and_reported() -> None:
    rec, watch, _, repairer = reconciler()
    generations = dict(rec.state.applied_generations)
    watch.procs["bgpd"] = None
    rec.check_daemons()
    watch.procs["bgpd"] = DaemonProcess(999, 2)
    assert rec.check_daemons().restarted == ("bgpd",)
    assert rec.state.pending_repair == {"bgpd"} and rec.state.applied_generations == {}

    outcome = rec.reconcile(snapshot())
    assert outcome.error is None
    assert repairer.repairs == [(rec.state.desired_config, ("bgpd",))]
    st = rec.state
    assert st.pending_repair == set() and st.in_sync and not st.stale
    assert st.applied_generations == generations
    assert st.last_reload is not None and st.last_reload.ok
    assert st.last_repair is not None and "bgpd" in st.last_repair.message
    assert st.repairs["daemon_restart"] == 1 and st.daemons["bgpd"].restarts == 1


def test_permanent_refusal_is_not_retried_until_the_input_changes() -> None:
    rec, _, applier, _ = reconciler()
    applier.fail = FrrError(
        "FRR rejected", "line 3: % Unknown command[25]:  neighbor 1.2.3.4 bogus", permanent=True
    )
    bad = snapshot(raw="router bgp 65000\n neighbor 1.2.3.4 bogus\n")
    outcome = rec.reconcile(bad)
    assert outcome.error and not outcome.retry
    assert "FRRConfiguration/frr-k8s-system/raw-one spec.raw.rawConfig line 2" in outcome.error
    failures = rec.state.apply_failures
    applier.fail = None
    assert rec.reconcile(bad).called_frr is False  # same desired config: not tried again
    assert rec.state.apply_failures == failures and not rec.state.last_reload.ok  # type: ignore[union-attr]
    rec.request_verify()  # SIGHUP tries again
    assert rec.reconcile(bad).called_frr is True


def test_transient_failure_asks_for_a_retry_and_claims_no_version() -> None:
    rec, _, applier, _ = reconciler()
    applier.fail = FrrError("vtysh timed out after 30.0s")
    assert rec.reconcile(snapshot(asn=65002)).retry
    assert rec.state.applied_generations == {}  # FRR may be half-way


def test_refusal_before_anything_was_sent_keeps_the_running_version() -> None:
    rec, _, applier, _ = reconciler()
    running = dict(rec.state.applied_generations)
    applier.fail = FrrError("FRR rejected the configuration x (vtysh --dryrun exit 2)", "", permanent=True)
    rec.reconcile(snapshot(asn=65002))
    assert rec.state.applied_generations == running


def test_restart_while_the_desired_config_is_refused_restores_the_last_good_one() -> None:
    rec, watch, applier, repairer = reconciler()
    good = rec.state.applied_config
    applier.fail = FrrError("FRR rejected", "", permanent=True)
    rec.reconcile(snapshot(asn=65002))
    watch.procs["bgpd"] = DaemonProcess(999, 2)
    rec.check_daemons()
    rec.reconcile(snapshot(asn=65002))
    assert repairer.repairs == [(good, ("bgpd",))]
    assert rec.state.applied_config == good
    assert rec.state.last_reload is not None and not rec.state.last_reload.ok  # still refused


def test_after_raw_snippets_the_applier_diffs_against_frr() -> None:
    rec, _, applier, _ = reconciler()
    rec.reconcile(snapshot(raw="no router bgp 65000\n"))
    assert applier.resets == []  # adding a snippet: the applier's memory is still right
    rec.reconcile(snapshot())  # the snippet is gone: what did it remove? ask FRR
    assert applier.resets and "raw snippets" in applier.resets[-1]


def test_periodic_check_is_named_so_not_first_apply() -> None:
    watch, applier, repairer = FakeWatch(), FakeApplier(), FakeRepairer()
    rec = Reconciler(SETTINGS, applier, verify_interval=0.0, watch=watch, repairer=repairer)  # type: ignore[arg-type]
    rec.reconcile(snapshot())
    applied = len(applier.applied)
    rec.reconcile(snapshot())  # unchanged, but the check is due
    assert len(applier.applied) == applied + 1
    assert applier.resets[-1] == "periodic check against FRR's running config"


def test_periodic_check_that_found_frr_empty_counts_as_drift() -> None:
    """The periodic check resets the applier; if FRR ran nothing, the incremental applier's cold
    start sends the whole config as one delta (not frr-reload.py): still a drift repair."""
    watch, applier, repairer = FakeWatch(), FakeApplier(), FakeRepairer()
    rec = Reconciler(SETTINGS, applier, verify_interval=0.0, watch=watch, repairer=repairer)  # type: ignore[arg-type]
    rec.reconcile(snapshot())
    assert rec.state.repairs["drift"] == 0
    batch = "router bgp 65000\n neighbor 192.168.1.2 remote-as 65001\nexit\n"
    applier.apply = lambda config: ApplyResult(True, "incremental", 0.01, batch)  # type: ignore[method-assign]
    rec.reconcile(snapshot())  # unchanged, the check is due, FRR was found empty
    assert rec.state.repairs["drift"] == 1
    assert rec.state.last_repair is not None and "2 line(s)" in rec.state.last_repair.message


def test_periodic_check_that_found_a_daemon_lacking_lines_counts_a_daemon_config_repair() -> None:
    watch, applier, repairer = FakeWatch(), FakeApplier(), FakeRepairer()
    rec = Reconciler(SETTINGS, applier, verify_interval=0.0, watch=watch, repairer=repairer)  # type: ignore[arg-type]
    rec.reconcile(snapshot())
    assert rec.state.repairs["daemon_config"] == 0
    repairer.missing = {"zebra": ["ip prefix-list a seq 1 permit 10.0.0.0/8"]}
    assert rec.reconcile(snapshot()).error is None  # unchanged, the check is due
    assert rec.state.repairs == {"daemon_restart": 0, "daemon_config": 1, "drift": 0}
    assert rec.state.last_repair is not None and "zebra lacks 1 line(s)" in rec.state.last_repair.message


def test_restoring_a_last_good_config_with_raw_snippets_keeps_diffing_against_frr() -> None:
    """A restart while the desired config is refused puts the last good one back: when that
    one has raw snippets, the next apply must still diff against FRR itself (defect 6)."""
    rec, watch, applier, _ = reconciler()
    rec.reconcile(snapshot(raw="no router bgp 65000\n"))  # the last good config has a snippet
    applier.fail = FrrError("FRR rejected", "", permanent=True)
    rec.reconcile(snapshot(asn=65002))  # refused (no snippet)
    watch.procs["bgpd"] = DaemonProcess(999, 2)
    rec.check_daemons()
    rec.reconcile(snapshot(asn=65002))  # the repair restores the last good config
    applier.fail, applier.resets = None, []
    rec.reconcile(snapshot(asn=65003))
    assert applier.resets and "raw snippets" in applier.resets[-1]
