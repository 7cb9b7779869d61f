"""Kubernetes-mode end-to-end helpers: the API-server double, the real kubectl (the runner of
tests/apiserver), the webhook in a thread of this process, and agents run as the DaemonSet runs
them (`frrnode run --kubernetes` processes with NODE_NAME and a kubeconfig)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apiserver"))

from apiserver_helpers import Kubectl as Kubectl  # the e2e tests take it from here

from frrnode.kube import certs
from frrnode.kube.client import make_client
from frrnode.kube.runner import WebhookRunner
from frrnode.kube.webhook import WEBHOOK_NAME, WEBHOOK_PATH
from frrnode.lab.topology import LabTopology

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "frr-k8s-system"
WEBHOOK_SERVICE = "frr-k8s-webhook-service"
WEBHOOK_CONFIGURATION = "frr-k8s-validating-webhook-configuration"
AGENT_LABELS = {"app.kubernetes.io/component": "frr-k8s"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_configuration() -> str:
    """The ValidatingWebhookConfiguration of spec §2.1 (its caBundle is patched by the webhook)."""
    return yaml.safe_dump(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": WEBHOOK_CONFIGURATION},
            "webhooks": [
                {
                    "name": WEBHOOK_NAME,
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": "Fail",
                    "clientConfig": {
                        "service": {"name": WEBHOOK_SERVICE, "namespace": NAMESPACE, "path": WEBHOOK_PATH}
                    },
                    "rules": [
                        {
                            "apiGroups": ["frrk8s.metallb.io"],
                            "apiVersions": ["v1beta1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["frrconfigurations"],
                        }
                    ],
                }
            ],
        }
    )


def agent_pod(node: str) -> str:
    """A Pod object standing for the DaemonSet's pod on `node` (the status cleaner reads them)."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"frrnode-{node}", "namespace": NAMESPACE, "labels": AGENT_LABELS},
            "spec": {"nodeName": node, "containers": [{"name": "frrnode", "image": "frrnode"}]},
        }
    )


class WebhookThread:
    """`frrnode webhook` (self-managed CA patched into the configuration, status cleaner) in a
    thread of the test process, on 127.0.0.1:`port`."""

    def __init__(self, kubeconfig: Path, workdir: Path, port: int):
        self.kubeconfig, self.workdir, self.port = kubeconfig, workdir, port
        self.loop = asyncio.new_event_loop()
        self.runner: WebhookRunner | None = None
        self.error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="webhook", daemon=True)

    async def _run(self) -> None:
        from frrnode.kube.cleaner import StatusCleaner

        self._stop = asyncio.Event()
        client = make_client(self.kubeconfig, namespace=NAMESPACE)
        issued = certs.issue(WEBHOOK_SERVICE, NAMESPACE)
        certs.write_issued(issued, self.workdir)
        assert await certs.patch_ca_bundle(client, WEBHOOK_CONFIGURATION, WEBHOOK_NAME, issued.ca_pem)
        cleaner = StatusCleaner(client, NAMESPACE, AGENT_LABELS)
        self.runner = WebhookRunner(client, NAMESPACE, self.workdir, "127.0.0.1", self.port, cleaner)
        await self.runner.run(self._stop)

    def _main(self) -> None:
        try:
            self.loop.run_until_complete(self._run())
        except BaseException as exc:
            self.error = exc

    def start(self) -> WebhookThread:
        self._thread.start()
        deadline = time.monotonic() + 30
        while self.runner is None or not self.runner.ready():
            assert self.error is None, f"webhook failed: {self.error!r}"
            assert time.monotonic() < deadline, "the webhook's caches did not sync"
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


class LoggedProcess:
    """A process of ours with its output in `log`; `stop()` ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, cmd: list[str], log: Path, env: dict[str, str] | None = None):
        self.log = log
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            cmd, env=env or dict(os.environ), stdout=self._out, stderr=subprocess.STDOUT
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._out.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def frrnode(*args: str) -> list[str]:
    """The command line of this venv's `frrnode`."""
    return [str(Path(sys.executable).parent / "frrnode"), *args]


class AgentProcess(LoggedProcess):
    """`frrnode run --kubernetes` for one lab node, as the DaemonSet runs it."""

    def __init__(self, kubeconfig: Path, topo: LabTopology, node_name: str, workdir: Path):
        self.node_name = node_name
        self.pathspace = topo.node.pathspace
        self.metrics_port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NODE_NAME": node_name, "NAMESPACE": NAMESPACE}
        cmd = frrnode(
            "run", "--kubernetes", "--kubeconfig", str(kubeconfig),
            "--frr-pathspace", topo.node.pathspace, "--frr-netns", topo.node.namespace,
            "--hostname", node_name, "--metrics-address", f"127.0.0.1:{self.metrics_port}",
            "--poll-interval", "1", "--debounce", "0.1", "--workdir", str(workdir / f"frr-{node_name}"),
        )  # fmt: skip
        super().__init__(cmd, workdir / f"agent-{node_name}.log", env)

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"


@contextlib.contextmanager
def agent(kubeconfig: Path, topo: LabTopology, node_name: str, workdir: Path) -> Iterator[AgentProcess]:
    proc = AgentProcess(kubeconfig, topo, node_name, workdir)
    try:
        yield proc
    finally:
        proc.stop()
