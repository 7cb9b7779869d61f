"""Fixtures for the API-server double's tests: one double per module (in a background thread, on
127.0.0.1 with an OS-chosen port, stopped at the end even when tests fail) and a `kubectl`
runner bound to its kubeconfig. Each test works in its own namespace."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from apiserver_helpers import Kubectl

from frrnode.lab.apiserver import Knobs, RunningDouble, run_in_thread

_ns_counter = itertools.count(1)


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDouble]:
    with run_in_thread(tmp_path_factory.mktemp("apiserver"), Knobs(bookmark_interval=0.2)) as double:
        yield double


@pytest.fixture
def kubectl(apiserver: RunningDouble, tmp_path: Path) -> Kubectl:
    return Kubectl(apiserver.kubeconfig, tmp_path / "kube-cache")


@pytest.fixture
def namespace(kubectl: Kubectl) -> str:
    name = f"t{next(_ns_counter)}"
    kubectl("create", "namespace", name)
    return name
