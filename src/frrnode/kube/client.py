"""The API client (lightkube, async) and list/watch with bookmarks on top of it.

`make_client` loads `--kubeconfig` or the in-cluster service account. `ListWatch` lists in pages
(memory stays bounded by a page, not by the collection) and watches from a resourceVersion
with `allowWatchBookmarks`, turning a 410 Gone into `Gone` so that the informer relists.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from lightkube import AsyncClient, KubeConfig
from lightkube.config.kubeconfig import SERVICE_ACCOUNT
from lightkube.core.exceptions import ApiError
from lightkube.types import on_error_raise

FIELD_MANAGER = "frrnode"


class Gone(Exception):
    """The resourceVersion is too old (HTTP 410): the cache must be rebuilt from a new list."""


def make_client(
    kubeconfig: Path | None = None,
    namespace: str | None = None,
    timeout: float = 10.0,
    service_account: str | Path = SERVICE_ACCOUNT,
) -> AsyncClient:
    """A client from `kubeconfig`, else the in-cluster service account (then $KUBECONFIG,
    ~/.kube/config). In-cluster, the token is read from its file and read again on a 401:
    kubelet rotates bound service-account tokens (about hourly), the agent runs for months."""
    config = (
        KubeConfig.from_file(kubeconfig)
        if kubeconfig is not None
        else KubeConfig.from_env(service_account=service_account)
    )
    return AsyncClient(
        config, namespace=namespace, timeout=httpx2.Timeout(timeout), field_manager=FIELD_MANAGER, lazy=False
    )


def is_gone(exc: BaseException) -> bool:
    return isinstance(exc, ApiError) and exc.status.code == 410


def status_code(exc: BaseException) -> int | None:
    return exc.status.code if isinstance(exc, ApiError) else None


async def delete_if_present(client: AsyncClient, res: Any, name: str, namespace: str | None = None) -> bool:
    """Delete one object; False when it was gone already (404). Any other error propagates: the
    caller still knows the object and tries again."""
    try:
        await client.delete(res, name, namespace=namespace)
    except ApiError as exc:
        if status_code(exc) != 404:
            raise
        return False
    return True


class ListWatch:
    """List and watch one kind (a lightkube resource class), in one namespace (`"*"`: all of them)
    or cluster-wide, optionally filtered by field and label selectors."""

    def __init__(
        self,
        client: AsyncClient,
        resource: Any,
        namespace: str | None = None,
        fields: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        page_size: int = 500,
        watch_timeout: int = 300,
        idle_timeout: float | None = None,
    ):
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.fields = fields
        self.labels = labels
        self.page_size = page_size
        self.watch_timeout = watch_timeout
        self.idle_timeout = idle_timeout if idle_timeout is not None else watch_timeout + 60.0
        self.list_resource_version = ""

    def describe(self) -> str:
        kind = self.resource._api_info.resource.kind
        where = {None: "", "*": " in all namespaces"}.get(self.namespace, f" in {self.namespace}")
        sel = {**(self.fields or {}), **(self.labels or {})}
        return f"{kind}{where}" + (f" {sel}" if sel else "")

    async def list(self) -> AsyncIterator[dict[str, Any]]:
        """Every object, page by page; afterwards `list_resource_version` is the list's version."""
        kwargs: dict[str, Any] = {"chunk_size": self.page_size, "fields": self.fields, "labels": self.labels}
        if self.namespace is not None:
            kwargs["namespace"] = self.namespace
        pages = self.client.list(self.resource, **kwargs)
        try:
            async for obj in pages:
                yield dict(obj)
        except ApiError as exc:
            if is_gone(exc):  # a continue token expired: start over
                raise Gone(str(exc)) from exc
            raise
        self.list_resource_version = pages.resourceVersion

    async def watch(self, resource_version: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Events after `resource_version` (BOOKMARKs included) until the server ends the watch.

        Raises `Gone` on 410 and `TimeoutError` when nothing arrived for `idle_timeout` seconds
        (a half-open connection); other errors propagate for the informer's backoff.
        """
        # lightkube's public watch() has no allowWatchBookmarks parameter: build the same request
        # through its generic client with that one parameter added.
        generic = self.client._client
        params: dict[str, Any] = {
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            # Spread the reconnections of many agents, as client-go does.
            "timeoutSeconds": int(self.watch_timeout * random.uniform(1.0, 1.5)),
        }
        if self.fields:
            params["fieldSelector"] = ",".join(f"{k}={v}" for k, v in sorted(self.fields.items()))
        if self.labels:
            params["labelSelector"] = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        request = generic.prepare_request(
            "list", res=self.resource, namespace=self.namespace, watch=True, params=params
        )
        stream = generic.watch(request, on_error=on_error_raise)
        try:
            while True:
                try:
                    async with asyncio.timeout(self.idle_timeout):
                        kind, obj = await anext(stream)
                except StopAsyncIteration:
                    return
                except ApiError as exc:
                    if is_gone(exc):
                        raise Gone(str(exc)) from exc
                    raise
                yield kind, dict(obj)
        finally:
            await stream.aclose()
