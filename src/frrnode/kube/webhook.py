"""`frrnode webhook`: the validating admission webhook over HTTPS (spec §2.1), answering from
informer caches (all Nodes, all FRRConfigurations), plus the status cleaner (spec §7.3).

Registration as upstream: path `/validate-frrk8s-metallb-io-v1beta1-frrconfiguration`, name
`frrconfigurationsvalidationwebhook.metallb.io`, CREATE and UPDATE, AdmissionReview v1;
`GET /healthz` answers `{"status": "ok"}` (405 for other methods). `/readyz` says whether the
caches have synced; until then reviews are refused with 503 (failurePolicy Fail denies).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from frrnode.kube.admission import AdmissionIndex

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/validate-frrk8s-metallb-io-v1beta1-frrconfiguration"
WEBHOOK_NAME = "frrconfigurationsvalidationwebhook.metallb.io"
DEFAULT_PORT = 19443


def review_response(
    uid: str, allowed: bool, message: str = "", warnings: list[str] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {"uid": uid, "allowed": allowed}
    if not allowed:
        response["status"] = {"code": 403, "reason": "Forbidden", "message": message}
    if warnings:
        response["warnings"] = warnings
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


@dataclass
class WebhookStats:
    reviews: int = 0
    denied: int = 0
    seconds: list[float] = field(default_factory=list)
    """Time to answer each review (kept for the benchmark; bounded)."""


class WebhookServer:
    def __init__(
        self,
        index: AdmissionIndex,
        ready: Callable[[], bool],
        ssl_context: ssl.SSLContext | None,
        host: str = "0.0.0.0",
        port: int = DEFAULT_PORT,
    ):
        self.index = index
        self.ready = ready
        self.ssl_context = ssl_context
        self.host = host
        self.port = port
        self.stats = WebhookStats()
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app.router.add_post(WEBHOOK_PATH, self._review)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self._runner: web.AppRunner | None = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ok = self.ready()
        return web.json_response({"status": "ok" if ok else "caches not synced"}, status=200 if ok else 503)

    async def _review(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        try:
            body = await request.json()
            req = body["request"]
            uid = str(req["uid"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "expected an AdmissionReview v1"}, status=400)
        if not self.ready():
            return web.json_response({"error": "caches not synced yet"}, status=503)
        obj = req.get("object") or {}
        meta = obj.setdefault("metadata", {})
        if not meta.get("namespace") and req.get("namespace"):
            meta["namespace"] = req["namespace"]
        verdict = self.index.review(str(req.get("operation", "")), obj, req.get("oldObject"))
        self.stats.reviews += 1
        if not verdict.allowed:
            self.stats.denied += 1
            log.info("denied %s/%s: %s", meta.get("namespace"), meta.get("name"), verdict.message)
        self.stats.seconds.append(time.perf_counter() - started)
        del self.stats.seconds[:-10000]
        return web.json_response(review_response(uid, verdict.allowed, verdict.message, verdict.warnings))

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        log.info("webhook listening on %s:%d (%s)", self.host, self.port, WEBHOOK_PATH)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def serve_until(stop: asyncio.Event, *coroutines: Any) -> None:
    """Run `coroutines` as tasks until `stop` is set or one of them fails."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = None if task is stopper else task.exception()
            if exc is not None:
                raise exc
    finally:
        for task in [*tasks, stopper]:
            task.cancel()
        await asyncio.gather(*tasks, stopper, return_exceptions=True)
