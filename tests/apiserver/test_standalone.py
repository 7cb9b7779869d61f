"""`frrnode lab apiserver`: one command that prints a kubeconfig path and serves until stopped;
kubectl works against it, and its control port closes watches. The process is owned (by PID)
by the test and stopped with SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from apiserver_helpers import WIDGET_CRD, Kubectl, dump


def test_standalone_command(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "frrnode",
            "lab",
            "apiserver",
            "--dir",
            str(tmp_path / "api"),
            "--control-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        kubeconfig = Path(proc.stdout.readline().strip())
        control = proc.stdout.readline().strip()
        assert kubeconfig == tmp_path / "api" / "kubeconfig" and kubeconfig.exists()
        kubectl = Kubectl(kubeconfig, tmp_path / "cache")
        kubectl("apply", "-f", "-", stdin=dump(WIDGET_CRD))
        assert "widgets" in kubectl("api-resources", "--api-group=example.com")
        watch = kubectl.popen("get", "crds", "--watch", "-o", "name")
        assert watch.stdout is not None
        assert (
            watch.stdout.readline().strip()
            == "customresourcedefinition.apiextensions.k8s.io/widgets.example.com"
        )
        request = urllib.request.Request(f"{control}/close-watches", method="POST")
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert json.load(resp)["closed"] >= 1
        # kubectl get --watch ends when the server closes its watch.
        assert watch.wait(timeout=60) == 0
        with urllib.request.urlopen(f"{control}/stats", timeout=30) as resp:
            stats = json.load(resp)
        assert {"verb": "create", "resource": "customresourcedefinitions", "subresource": "", "count": 1} in (
            stats["writes"]
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
