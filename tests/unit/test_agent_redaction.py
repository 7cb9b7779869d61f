"""The agent's redaction end to end without FRR (issue 9, defect 5): a Secret whose value is `1`
must not alter `router bgp 64512` in the status files, the logs or the metrics.

The agent used to collect every Secret value and replace each occurrence anywhere; now it
redacts by position only (the argument of `password` and other secret-taking FRR commands).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from pl_helpers import SETTINGS, config, dump, neighbor, node, router, secret
from st_fixtures import ReplayVtysh

from frrnode.agent import wiring
from frrnode.agent.metrics import AgentMetrics
from frrnode.agent.reconcile import Reconciler
from frrnode.agent.sources import Snapshot
from frrnode.api.loader import load_documents
from frrnode.frr.reload import ApplyResult


class RecordingApplier:
    def __init__(self) -> None:
        self.applied: list[str] = []

    def apply(self, config: str) -> ApplyResult:
        self.applied.append(config)
        return ApplyResult(True, "test", 0.01)


class RunningVtysh(ReplayVtysh):
    """FRR whose running config is what was applied last."""

    def __init__(self, applier: RecordingApplier) -> None:
        super().__init__()
        self.applier = applier

    def run(self, *commands: str) -> str:
        if commands == ("show running-config",):
            return self.applier.applied[-1]
        return super().run(*commands)

    def running_config(self) -> str:
        return self.run("show running-config")


def test_secret_value_one_changes_nothing_in_status_logs_or_metrics(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    docs: list[dict[str, Any]] = [
        config("a", router(neighbor(address="172.29.0.2", asn=64513, password="pw-9"), asn=64512)),
        secret("unrelated", password="1"),
        node("node1"),
    ]
    resources = load_documents(dump(*docs), "test.yaml")
    applier = RecordingApplier()
    reconciler = Reconciler(SETTINGS, applier)
    metrics = AgentMetrics(process_metrics=False)
    publisher = wiring.StatusPublisher(SETTINGS, RunningVtysh(applier), tmp_path, metrics)  # type: ignore[arg-type]
    wiring.observers(SETTINGS, RunningVtysh(applier), None, None)  # attaches the log filter  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="frrnode"):
        outcome = reconciler.reconcile(Snapshot(resources=resources))
        assert outcome.error is None
        publisher.observe(reconciler.state)
        publisher.poll(reconciler.state)
        logging.getLogger("frrnode.agent.reconcile").info("FRR runs router bgp %s", 64512)

    status = yaml.safe_load((tmp_path / "frrnodestate-node1.yaml").read_text())["status"]
    assert "router bgp 64512" in status["runningConfig"]
    assert "neighbor 172.29.0.2 password <retracted>" in status["runningConfig"]
    assert "pw-9" not in status["runningConfig"]
    files = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "<retracted>" in files and files.count("<retracted>") == 1
    assert "FRR runs router bgp 64512" in caplog.text
    assert "645<retracted>" not in caplog.text + files + metrics.exposition().decode()
