"""Log and status redaction found by the e2e status tests (tests/e2e/test_agent_status.py)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from frrnode.agent.reconcile import Result
from frrnode.agent.status import (
    SecretsLogFilter,
    StatusWriter,
    build_node_state,
    build_session_states,
    redact_log,
)
from frrnode.frr.state import SessionState


def test_redact_log_hides_frr_secret_arguments_by_position() -> None:
    frr_error = "line 4: % Unknown command:  neighbor 1.2.3.4 password s3cret extra"
    assert redact_log(frr_error) == "line 4: % Unknown command:  neighbor 1.2.3.4 password <retracted>"
    # FRR reads `password LINE` to the end of the line: only that line is touched.
    two = "neighbor 1.2.3.4 password a b\nneighbor 1.2.3.4 remote-as 1"
    assert redact_log(two) == "neighbor 1.2.3.4 password <retracted>\nneighbor 1.2.3.4 remote-as 1"
    assert redact_log(" key-string k3y") == " key-string <retracted>"
    assert (
        redact_log(" ip ospf message-digest-key 1 md5 k3y") == " ip ospf message-digest-key 1 md5 <retracted>"
    )
    # Ordinary messages that mention passwords stay readable (upstream's `password.*` cut them).
    msg = "multiple passwords specified for 64513@172.30.0.2 in FRRConfiguration/ns/a"
    assert redact_log(msg) == msg
    assert redact_log("invalid password for neighbor 64513@1.2.3.4: too long") == (
        "invalid password for neighbor 64513@1.2.3.4: too long"
    )
    # No value search: numbers that happen to equal a Secret stay.
    assert redact_log("router bgp 64512") == "router bgp 64512"


def test_conversion_result_keeps_its_message() -> None:
    msg = "failed: neighbor 64513@172.30.0.2 specifies both cleartext password and secret ref"
    state = build_node_state("n", "", last_conversion=Result(False, msg, 0.0))
    assert state.status.last_conversion_result == msg
    reload_msg = "FRR rejected: neighbor 1.2.3.4 password pw1"
    state = build_node_state("n", "", last_reload=Result(False, reload_msg, 0.0))
    assert "pw1" not in state.status.last_reload_result


def test_log_filter_redacts_messages_args_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("frrnode.test_status_redaction")
    filt = SecretsLogFilter()
    filt.attach("frrnode.test_status_redaction")
    try:
        with caplog.at_level(logging.DEBUG, logger="frrnode.test_status_redaction"):
            logger.warning("vtysh failed: %s", "neighbor 1.2.3.4 password Zq7secret")
            logger.info("line: neighbor 1.2.3.4 password other%d", 9)
            logger.info("applied router bgp %d", 64512)
            try:
                raise RuntimeError("boom neighbor 1.2.3.4 password Zq7secret")
            except RuntimeError:
                logger.exception("failed")
        text = caplog.text
        assert "Zq7secret" not in text and "other9" not in text
        assert text.count("password <retracted>") >= 3  # message, arg, traceback
        assert "applied router bgp 64512" in text
    finally:
        logger.removeFilter(filt)


def test_failed_reload_reads_error_like_upstream() -> None:
    failed = build_node_state("n", "", last_reload=Result(False, "FRR rejected: line 3", 0.0))
    assert failed.status.last_reload_result == "ERROR: FRR rejected: line 3"
    ok = build_node_state("n", "", last_reload=Result(True, "success", 0.0))
    assert ok.status.last_reload_result == "success"


def test_status_files_redact_every_string_like_the_api_sink(tmp_path: Path) -> None:
    """The file sink and the API sink (kube.status) write the same redacted status: FRR's text
    quoting a failing line is redacted wherever it lands, not only in the running config."""
    quoted = "line 2: % Unknown command: neighbor 1.2.3.4 password 1"
    session = SessionState(vrf="", peer="1.2.3.4", bgp_state="Active", bfd_status="N/A", last_error=quoted)
    node = build_node_state("n1", "router bgp 64512\n", notes=[quoted], status_write_error=quoted)
    StatusWriter(tmp_path).write(node, build_session_states("n1", [session]))
    for path in tmp_path.glob("*.yaml"):
        text = path.read_text()
        assert "password 1" not in text and "password <retracted>" in text, path.name
    assert "router bgp 64512" in (tmp_path / "frrnodestate-n1.yaml").read_text()
