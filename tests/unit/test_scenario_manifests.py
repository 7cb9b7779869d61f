"""The situations' FRRConfigurations (lab/scenario_manifests.py) are valid, and docs/scenarios.md
shows exactly them (the page is what users copy; the lab proves these very objects)."""

from __future__ import annotations

from pathlib import Path

import pytest

from frrnode.api.loader import load_documents
from frrnode.lab import scenario_manifests
from frrnode.pipeline import Settings, build_node_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
NODE = "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-a\n"


def yaml_blocks(markdown: str) -> list[str]:
    blocks = markdown.split("```yaml\n")[1:]
    return [b.split("```", 1)[0] for b in blocks]


@pytest.mark.parametrize("name", list(scenario_manifests.ALL))
def test_manifest_is_on_the_page_verbatim(name: str) -> None:
    blocks = yaml_blocks(DOC.read_text())
    assert scenario_manifests.ALL[name] in blocks, f"{name} differs from docs/scenarios.md"


def test_the_page_shows_no_other_configuration() -> None:
    assert sorted(yaml_blocks(DOC.read_text())) == sorted(scenario_manifests.ALL.values())


@pytest.mark.parametrize("name", list(scenario_manifests.ALL))
def test_manifest_builds(name: str) -> None:
    resources = load_documents(scenario_manifests.ALL[name] + "---\n" + NODE, f"{name}.yaml")
    config = build_node_config(resources, Settings("node-a"))
    assert config.routers and all(r.asn == 64512 for r in config.routers)


def test_the_demo_combination_merges() -> None:
    """The demo adds all but the alternative branches to examples/: they must merge."""
    examples = Path(__file__).resolve().parents[2] / "examples"
    texts = [p.read_text() for p in sorted(examples.glob("*.yaml"))]
    texts += [
        scenario_manifests.DYNAMIC_ROUTING,
        scenario_manifests.SEGREGATION_DEFAULT_TABLE,
        scenario_manifests.ACTIVE_ACTIVE_MULTI_AS,
        scenario_manifests.RETURN_PATH,
    ]
    config = build_node_config(load_documents("---\n".join(texts)), Settings("node-a"))
    (router,) = config.routers
    assert [n.address for n in router.neighbors] == ["172.30.0.2", "172.30.0.3", "172.31.0.2"]
