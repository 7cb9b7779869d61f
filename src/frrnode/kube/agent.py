"""The Kubernetes parts of `frrnode run --kubernetes`: the source and the status sink, sharing
one API client."""

from __future__ import annotations

from pathlib import Path

from frrnode.kube.client import make_client
from frrnode.kube.source import KubernetesSource
from frrnode.kube.status import ApiStatusSink
from frrnode.pipeline import Settings


def kubernetes_parts(
    settings: Settings, kubeconfig: Path | None = None, page_size: int = 500
) -> tuple[KubernetesSource, ApiStatusSink]:
    """Call from inside the event loop that will run the agent (the client binds to it)."""
    client = make_client(kubeconfig, namespace=settings.namespace)
    source = KubernetesSource.from_client(client, settings.node_name, settings.namespace, page_size)
    return source, ApiStatusSink(client, settings.node_name, settings.namespace)
