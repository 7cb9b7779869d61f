"""Log and status redaction found by the e2e status tests (tests/e2e/test_agent_status.py)."""

from __future__ import annotations

import logging

import pytest

from frrnode.agent.reconcile import Result
from frrnode.agent.status import SecretsLogFilter, build_node_state, redact_log


def test_redact_log_hides_frr_password_lines_and_known_values_only() -> None:
    frr_error = "line 4: % Unknown command:  neighbor 1.2.3.4 password s3cret extra"
    assert redact_log(frr_error) == "line 4: % Unknown command:  neighbor 1.2.3.4 password <retracted> extra"
    assert redact_log("neighbor Zq7 remote-as 1", {"Zq7"}) == "neighbor <retracted> remote-as 1"
    # Ordinary messages that mention passwords stay readable (upstream's `password.*` cut them).
    msg = "multiple passwords specified for 64513@172.30.0.2 in FRRConfiguration/ns/a"
    assert redact_log(msg) == msg


def test_conversion_result_keeps_its_message() -> None:
    msg = "failed: neighbor 64513@172.30.0.2 specifies both cleartext password and secret ref"
    state = build_node_state("n", "", last_conversion=Result(False, msg, 0.0), secrets={"pw1"})
    assert state.status.last_conversion_result == msg
    reload_msg = "FRR rejected: neighbor 1.2.3.4 password pw1"
    state = build_node_state("n", "", last_reload=Result(False, reload_msg, 0.0), secrets={"pw1"})
    assert "pw1" not in state.status.last_reload_result


def test_log_filter_scrubs_messages_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("frrnode.test_status_redaction")
    filt = SecretsLogFilter()
    secrets = {"Zq7secret"}
    filt.add_source(lambda: secrets)
    filt.attach("frrnode.test_status_redaction")
    try:
        with caplog.at_level(logging.DEBUG, logger="frrnode.test_status_redaction"):
            logger.warning("vtysh failed: %s", "neighbor Zq7secret remote-as 1")
            logger.info("line: neighbor 1.2.3.4 password other%d", 9)
            secrets.add("late")  # sources are read at every record
            logger.debug("late value")
            try:
                raise RuntimeError("boom Zq7secret")
            except RuntimeError:
                logger.exception("failed")
        text = caplog.text
        assert "Zq7secret" not in text and "other9" not in text and "late" not in text
        assert "neighbor <retracted> remote-as 1" in text and "password <retracted>" in text
        assert "boom <retracted>" in text
    finally:
        logger.removeFilter(filt)


def test_failed_reload_reads_error_like_upstream() -> None:
    failed = build_node_state("n", "", last_reload=Result(False, "FRR rejected: line 3", 0.0))
    assert failed.status.last_reload_result == "ERROR: FRR rejected: line 3"
    ok = build_node_state("n", "", last_reload=Result(True, "success", 0.0))
    assert ok.status.last_reload_result == "success"
