"""Fixtures for end-to-end tests on a lab of network namespaces with real FRR routers.

`lab` is a module-scoped lab (`t<pid%100000>`, so concurrent runs do not meet) with a node
whose FRR starts empty, routers r1, r2 and the segment-B router rv; it is always torn down,
also when a test fails. `fresh_node` restarts the node's FRR with an empty configuration for
tests that need a clean node. Missing root/FRR fails loudly instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from lab_helpers import require_lab_prerequisites, wait_for

from frrnode.frr.instance import FrrInstance
from frrnode.lab import manage
from frrnode.lab.topology import LabTopology


def lab_prefix(suffix: str = "") -> str:
    return f"t{os.getpid() % 100000}{suffix}"


@pytest.fixture(scope="module")
def lab() -> Iterator[LabTopology]:
    require_lab_prerequisites()
    prefix = lab_prefix()
    manage.down(prefix)  # leftovers of a crashed run that had the same pid
    try:
        yield manage.up(prefix, routers=2)
    finally:
        manage.down(prefix)


@pytest.fixture()
def fresh_node(lab: LabTopology) -> LabTopology:
    """The lab with the node's FRR restarted empty (no BGP config, sessions down)."""
    node = lab.node
    inst = FrrInstance(node.pathspace, node.namespace)
    inst.stop()
    inst.start("")
    return lab


@pytest.fixture()
def wait() -> Callable[..., object]:
    """`wait(check, timeout=30, what="...")`: poll until truthy (see lab_helpers.wait_for)."""
    return wait_for
