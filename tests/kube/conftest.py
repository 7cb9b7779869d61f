"""Fixtures for the CRD and manifest tests: the API-server double (module-scoped, in a thread,
127.0.0.1, OS-chosen port) and a kubectl runner bound to it (helpers from tests/apiserver)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apiserver"))

from apiserver_helpers import Kubectl

from frrnode.lab.apiserver import Knobs, RunningDouble, run_in_thread


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDouble]:
    with run_in_thread(tmp_path_factory.mktemp("apiserver"), Knobs(bookmark_interval=0.5)) as double:
        yield double


@pytest.fixture(scope="module")
def kubectl(apiserver: RunningDouble, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    return Kubectl(apiserver.kubeconfig, tmp_path_factory.mktemp("kube-cache"))
