"""Fuzzing the loader and the whole pipeline with damaged valid manifests (issue 9): about
10,000 documents in all, many per example. Whatever the damage: no exception but
`ConfigErrors`, no hang, every refusal names the file (and the object and field when there is
one) on a single line, and what builds renders to text without control characters (the FRR
side, `vtysh --dryrun` on a sample, is tests/frr/test_manifest_fuzz_dryrun.py)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from manifest_fuzz import FILE, damaged_documents, damaged_text

from frrnode.api.loader import load_documents
from frrnode.errors import ConfigError, ConfigErrors, ConflictError
from frrnode.frr.render import render_config
from frrnode.model import NodeConfig
from frrnode.pipeline import Settings, build_node_config

SETTINGS = Settings(node_name="node-1", node_labels={"kubernetes.io/hostname": "node-1"})
DOCUMENT_LEVEL = (
    "invalid YAML",
    "a document must be a mapping",
    "document has no apiVersion/kind",
    "List items must be a sequence",
    "more than",
    "refused",
)
COUNTS = {"documents": 0, "built": 0, "refused": 0}


def check_refusal(error: ConfigError) -> None:
    text = str(error)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text, repr(text)
    if isinstance(error, ConflictError):
        assert error.obj is not None and error.other is not None and error.path and error.other_path, text
        return
    if error.path.startswith("hostname"):
        return
    assert error.location.file == FILE, text
    if error.obj is None:
        assert error.message.startswith(DOCUMENT_LEVEL), text
    else:
        assert error.path or error.message.startswith("secret"), text


def run_pipeline(text: str) -> NodeConfig | None:
    """The loader and the pipeline as the agent runs them; None when refused."""
    try:
        resources = load_documents(text, FILE, default_namespace="frr-k8s-system")
        node = build_node_config(resources, SETTINGS)
    except ConfigErrors as exc:
        assert exc.errors
        for error in exc.errors:
            check_refusal(error)
        COUNTS["refused"] += 1
        return None
    rendered = render_config(node)
    assert all(line.isprintable() for line in rendered.splitlines()), rendered
    COUNTS["built"] += 1
    return node


@pytest.mark.timeout(240)
@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(damaged_text(), min_size=15, max_size=15))
def test_damaged_text(texts: list[str]) -> None:
    # Each damaged file alone (an error in one must not crash the loader), then all together.
    for text in texts:
        run_pipeline(text)
    COUNTS["documents"] += sum(t.count("---") + 1 for t in texts)


@pytest.mark.timeout(240)
@settings(max_examples=130, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=damaged_documents(50))
def test_damaged_objects(docs: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)
    run_pipeline(text)
    for chunk in range(0, len(docs), 5):  # small groups build more often than 50 objects together
        run_pipeline(yaml.safe_dump_all(docs[chunk : chunk + 5], sort_keys=False, allow_unicode=True))
    COUNTS["documents"] += len(docs)


def test_the_fuzzing_was_not_vacuous() -> None:
    """Runs after the two above (file order): enough documents, and both outcomes seen."""
    if COUNTS["documents"] == 0:
        pytest.skip("run with the fuzz tests above")
    assert COUNTS["documents"] >= 9000, COUNTS
    assert COUNTS["built"] >= 50 and COUNTS["refused"] >= 50, COUNTS
