"""Nothing invalid reaches FRR (issue 9's fuzzing, the FRR side): damaged valid manifests either
are refused by the loader and the pipeline, or render to a configuration `vtysh --dryrun`
accepts (`rawConfig` aside: it is the one free-text field, passed to FRR as written). A sample
(FRR's check costs a process per config); the loader side runs 10,000
documents in tests/unit/test_loader_fuzz.py with the same strategies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from manifest_fuzz import CONFIGURATIONS, FILE, damaged_documents

from frrnode.api.loader import load_documents
from frrnode.errors import ConfigErrors
from frrnode.frr.render import render_config
from frrnode.pipeline import Settings, build_node_config

pytestmark = pytest.mark.frr

SETTINGS = Settings(node_name="node-1", node_labels={"kubernetes.io/hostname": "node-1"})
CHECKED: list[int] = []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=damaged_documents(1, pool=CONFIGURATIONS))
def test_what_builds_is_accepted_by_frr(
    docs: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    for doc in docs:  # select this node, so what builds has routers
        if isinstance(doc.get("spec"), dict):
            doc["spec"].pop("nodeSelector", None)
    try:
        resources = load_documents(yaml.safe_dump_all(docs), FILE, default_namespace="frr-k8s-system")
        node = build_node_config(resources, SETTINGS)
    except ConfigErrors:
        return
    if node.raw:
        return  # rawConfig is free text by design (FRR's own check refuses it at apply time)
    text = render_config(node)
    path = tmp_path_factory.mktemp("fuzz") / "frr.conf"
    path.write_text(text)
    proc = subprocess.run(["vtysh", "--dryrun", "-f", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr + text
    CHECKED.append(1)


def test_the_sample_was_not_vacuous() -> None:
    if not CHECKED:
        pytest.skip("run with the test above")
    assert len(CHECKED) >= 10, f"only {len(CHECKED)} damaged sets built: the sample checks too little"
