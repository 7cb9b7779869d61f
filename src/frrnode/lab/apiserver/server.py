"""The double's lifecycle: TLS, listening socket, kubeconfig, and the failure knobs (closed
watches, compaction, outages). Runs in the caller's event loop (`ApiServerDouble`) or in a
background thread with its own loop (`run_in_thread`, for synchronous tests and kubectl)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import ssl
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from aiohttp import web

from frrnode.lab.apiserver.admission import Admission
from frrnode.lab.apiserver.api import Api
from frrnode.lab.apiserver.http import HttpKnobs, Routes
from frrnode.lab.apiserver.kinds import Registry
from frrnode.lab.apiserver.store import Store
from frrnode.tls import CertificateAuthority

JSON = dict[str, Any]
T = TypeVar("T")

ADMIN = {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}


@dataclass
class Knobs:
    bookmark_interval: float = 60.0
    """Seconds between BOOKMARK events on a quiet watch (the real server: about 60 s)."""
    watch_timeout: float = 1800.0
    """Server-side end of a watch that sent no timeoutSeconds."""
    history_limit: int = 10000
    """Events kept per resource for watches; older resourceVersions get 410 Gone."""
    webhook_timeout: float = 10.0
    """Default timeoutSeconds of a webhook."""
    service_endpoints: dict[str, tuple[str, int]] = field(default_factory=dict)
    """`<service>.<namespace>` -> (host, port): where webhook Service references are sent."""
    namespace: str = "default"
    """The kubeconfig context's namespace."""


class ApiServerDouble:
    """A Kubernetes API server test double on 127.0.0.1 (HTTPS, bearer token), see the package doc."""

    def __init__(
        self, workdir: Path, knobs: Knobs | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.workdir = workdir
        self.knobs = knobs or Knobs()
        self.host = host
        self.port = port
        self.token = secrets.token_hex(16)
        self.store = Store(self.knobs.history_limit)
        self.registry = Registry()
        self.admission = Admission(self.store, self.knobs.service_endpoints, self.knobs.webhook_timeout)
        self.api = Api(self.registry, self.store, self.admission)
        self.http_knobs = HttpKnobs(
            tokens={self.token: ADMIN},
            bookmark_interval=self.knobs.bookmark_interval,
            watch_timeout=self.knobs.watch_timeout,
        )
        self.routes = Routes(self.api, self.http_knobs)
        self.ca = CertificateAuthority("frrnode-apiserver-double-ca")
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ssl: ssl.SSLContext | None = None
        self.kubeconfig = workdir / "kubeconfig"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        cert, key = self.ca.issue([self.host, "localhost", "kubernetes.default.svc"]).write(
            self.workdir / "pki"
        )
        (self.workdir / "pki" / "ca.crt").write_bytes(self.ca.cert_pem)
        self._ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ssl.load_cert_chain(cert, key)
        self._runner = web.AppRunner(self.routes.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._listen()
        self.write_kubeconfig(self.kubeconfig)

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(
            self._runner, self.host, self.port, ssl_context=self._ssl, reuse_address=True
        )
        await self._site.start()
        if self.port == 0:
            server = self._site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.port = server.sockets[0].getsockname()[1]
        self.http_knobs.address = f"{self.host}:{self.port}"

    async def stop(self) -> None:
        self.store.close_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def write_kubeconfig(self, path: Path, namespace: str | None = None) -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "frrnode-double",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.ca.cert_pem).decode(),
                    },
                }
            ],
            "users": [{"name": "frrnode-admin", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "frrnode-double",
                    "context": {
                        "cluster": "frrnode-double",
                        "user": "frrnode-admin",
                        "namespace": namespace or self.knobs.namespace,
                    },
                }
            ],
            "current-context": "frrnode-double",
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        path.chmod(0o600)
        return path

    # ------------------------------------------------------------------ knobs

    def close_watches(self) -> int:
        """End every open watch stream cleanly, as a server does at its watch timeout. Returns how many."""
        return self.store.close_watches()

    def compact(self, rv: int | None = None) -> int:
        """Forget the event history up to `rv` (default: now): older watches and continue tokens get 410."""
        return self.store.compact(rv)

    def set_service_endpoint(self, service: str, namespace: str, host: str, port: int) -> None:
        """Send calls to the webhook Service `<service>.<namespace>` to host:port (TLS name unchanged)."""
        self.admission.service_endpoints[f"{service}.{namespace}"] = (host, port)

    async def go_down(self) -> None:
        """Become unreachable: watches end, connections drop, new connections are refused."""
        self.store.close_watches()
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            await self._runner.server.shutdown(timeout=1.0)

    async def come_back(self, compact: bool = False) -> None:
        """Listen again on the same port; with `compact`, every older resourceVersion is gone (410)."""
        if compact:
            self.compact()
        if self._site is None:
            await self._listen()

    async def outage(self, seconds: float, compact: bool = False) -> None:
        await self.go_down()
        await asyncio.sleep(seconds)
        await self.come_back(compact)


class RunningDouble:
    """A double running in a background thread; its methods are safe to call from the test thread."""

    def __init__(
        self, double: ApiServerDouble, loop: asyncio.AbstractEventLoop, thread: threading.Thread
    ) -> None:
        self.double = double
        self.loop = loop
        self.thread = thread

    @property
    def kubeconfig(self) -> Path:
        return self.double.kubeconfig

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine in the double's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def sync(self, fn: Any, *args: Any) -> Any:
        """Run a plain function in the double's loop (store and knobs are not thread-safe)."""

        async def run() -> Any:
            return fn(*args)

        return self.call(run())

    def close_watches(self) -> int:
        return int(self.sync(self.double.close_watches))

    def compact(self, rv: int | None = None) -> int:
        return int(self.sync(self.double.compact, rv))

    def set_service_endpoint(self, service: str, namespace: str, host: str, port: int) -> None:
        self.sync(self.double.set_service_endpoint, service, namespace, host, port)

    def go_down(self) -> None:
        self.call(self.double.go_down())

    def come_back(self, compact: bool = False) -> None:
        self.call(self.double.come_back(compact))

    def stop(self) -> None:
        try:
            self.call(self.double.stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)


@contextlib.contextmanager
def run_in_thread(workdir: Path, knobs: Knobs | None = None) -> Iterator[RunningDouble]:
    """Start a double in a background thread for the duration of the `with` block."""
    loop = asyncio.new_event_loop()
    double = ApiServerDouble(workdir, knobs)
    started = threading.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(started.set)
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=main, name="apiserver-double", daemon=True)
    thread.start()
    started.wait(30)
    running = RunningDouble(double, loop, thread)
    try:
        running.call(double.start())
        yield running
    finally:
        running.stop()


# ------------------------------------------------------------------ standalone (`frrnode lab apiserver`)


def _control_app(double: ApiServerDouble) -> web.Application:
    """Plain-HTTP knobs for a double running as its own process (127.0.0.1 only, no auth)."""

    async def close_watches(_: web.Request) -> web.Response:
        return web.json_response({"closed": double.close_watches()})

    async def compact(request: web.Request) -> web.Response:
        rv = request.query.get("rv")
        return web.json_response({"floor": double.compact(int(rv) if rv else None)})

    async def outage(request: web.Request) -> web.Response:
        seconds = float(request.query.get("seconds", "30"))
        asyncio.get_running_loop().create_task(
            double.outage(seconds, request.query.get("compact") in ("1", "true"))
        )
        return web.json_response({"down_for": seconds})

    async def stats(_: web.Request) -> web.Response:
        writes = [
            {"verb": v, "resource": p, "subresource": s, "count": n}
            for (v, p, s), n in sorted(double.api.stats.writes.items())
        ]
        return web.json_response(
            {
                "resourceVersion": double.store.rv,
                "writes": writes,
                "admission_calls": len(double.admission.calls),
            }
        )

    app = web.Application()
    app.router.add_post("/close-watches", close_watches)
    app.router.add_post("/compact", compact)
    app.router.add_post("/outage", outage)
    app.router.add_get("/stats", stats)
    return app


async def serve(
    workdir: Path, knobs: Knobs, port: int = 0, control_port: int | None = None, announce: Any = print
) -> None:
    """Run a double until SIGINT/SIGTERM; `announce` gets the kubeconfig path, then the control URL."""
    import signal

    double = ApiServerDouble(workdir, knobs, port=port)
    await double.start()
    control: web.AppRunner | None = None
    announce(str(double.kubeconfig))
    if control_port is not None:
        control = web.AppRunner(_control_app(double), access_log=None)
        await control.setup()
        site = web.TCPSite(control, "127.0.0.1", control_port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        bound = server.sockets[0].getsockname()[1]
        (workdir / "control-url").write_text(f"http://127.0.0.1:{bound}\n")
        announce(f"http://127.0.0.1:{bound}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if control is not None:
            await control.cleanup()
        await double.stop()
