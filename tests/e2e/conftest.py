"""Fixtures for end-to-end tests on a lab of network namespaces with real FRR routers.

`lab` is a module-scoped lab (`t<pid%100000>`, so concurrent runs do not meet; the body of
every lab fixture, `agent_harness.lab_session`) with a node whose FRR starts empty, routers r1,
r2 and the segment-B router rv; it is always torn down, also when a test fails (or the run is
stopped by SIGTERM: tests/conftest.py). `fresh_node` restarts the node's FRR with an empty
configuration for tests that need a clean node. Missing root/FRR fails loudly, never skips.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from agent_harness import lab_session

from frrnode.frr.instance import FrrInstance
from frrnode.lab.topology import LabTopology


@pytest.fixture(scope="module")
def lab() -> Iterator[LabTopology]:
    yield from lab_session("t")


@pytest.fixture()
def fresh_node(lab: LabTopology) -> LabTopology:
    """The lab with the node's FRR restarted empty (no BGP config, sessions down)."""
    node = lab.node
    inst = FrrInstance(node.pathspace, node.namespace)
    inst.stop()
    inst.start("")
    return lab
