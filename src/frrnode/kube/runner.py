"""Wiring of `frrnode webhook`: informers -> admission index, the HTTPS server, the cleaner."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lightkube import AsyncClient

from frrnode.kube import resources as r
from frrnode.kube.admission import AdmissionIndex
from frrnode.kube.certs import ReloadingCert
from frrnode.kube.cleaner import StatusCleaner
from frrnode.kube.client import ListWatch
from frrnode.kube.informer import Informer
from frrnode.kube.webhook import WebhookServer, serve_until


class WebhookRunner:
    def __init__(
        self,
        client: AsyncClient,
        namespace: str,
        cert_dir: Path | None,
        host: str = "0.0.0.0",
        port: int = 19443,
        cleaner: StatusCleaner | None = None,
    ):
        self.index = AdmissionIndex(namespace)
        self.informers = (
            Informer(ListWatch(client, r.Node), self.index.nodes),
            Informer(ListWatch(client, r.FRRConfiguration, namespace="*"), self.index.configs),
        )
        self.cert = ReloadingCert(cert_dir) if cert_dir is not None else None
        self.server = WebhookServer(
            self.index, self.ready, self.cert.context if self.cert else None, host=host, port=port
        )
        self.cleaner = cleaner

    def ready(self) -> bool:
        return all(i.synced.is_set() for i in self.informers)

    async def run(self, stop: asyncio.Event) -> None:
        await self.server.start()
        try:
            jobs = [i.run() for i in self.informers]
            if self.cert is not None:
                jobs.append(self.cert.watch())
            if self.cleaner is not None:
                jobs.append(self.cleaner.run())
            await serve_until(stop, *jobs)
        finally:
            await self.server.stop()
