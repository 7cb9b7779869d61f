"""Helpers for tests that drive the API-server double: a kubectl runner, polling, test CRDs."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class Kubectl:
    """Runs the real kubectl against one kubeconfig, with a private discovery cache."""

    def __init__(self, kubeconfig: Path, cache_dir: Path) -> None:
        binary = shutil.which("kubectl")
        if binary is None:
            raise RuntimeError("kubectl is not installed (these tests need the real kubectl v1.32)")
        self.binary = binary
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(cache_dir)}

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.binary, *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=timeout
        )

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        """Run and require success; returns stdout."""
        proc = self.run(*args, stdin=stdin)
        assert proc.returncode == 0, f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
        return proc.stdout

    def fails(self, *args: str, stdin: str | None = None) -> str:
        """Run and require failure; returns stderr."""
        proc = self.run(*args, stdin=stdin)
        assert proc.returncode != 0, f"kubectl {' '.join(args)} unexpectedly succeeded:\n{proc.stdout}"
        return proc.stderr

    def get(self, *args: str) -> Any:
        return yaml.safe_load(self("get", "-o", "yaml", *args))

    def apply(self, manifest: str) -> str:
        return self("apply", "-f", "-", stdin=manifest)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {
            "kind": "Widget",
            "listKind": "WidgetList",
            "plural": "widgets",
            "singular": "widget",
            "shortNames": ["wd"],
            "categories": ["all"],
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Mode", "type": "string", "jsonPath": ".spec.mode"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer", "minimum": 0, "maximum": 10},
                                    "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                                    "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                                    "cidr": {"type": "string", "format": "cidr"},
                                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                },
                                "required": ["size"],
                            },
                            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
                        },
                    }
                },
            }
        ],
    },
}

GADGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Gadget", "listKind": "GadgetList", "plural": "gadgets", "singular": "gadget"},
        "scope": "Cluster",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        },
                    }
                },
            }
        ],
    },
}


def dump(*objs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(objs), sort_keys=False)


class Webhook:
    """A validating webhook for tests: HTTPS with a certificate of `ca` for `names`, answering
    AdmissionReviews with `decide(request) -> response fields` (default: allow)."""

    def __init__(self, ca: Any, names: list[str], path: str = "/validate") -> None:
        self.ca = ca
        self.names = names
        self.path = path
        self.reviews: list[dict[str, Any]] = []
        self.decide: Callable[[dict[str, Any]], dict[str, Any]] = lambda _req: {"allowed": True}
        self.delay = 0.0
        self.port = 0
        self._runner: Any = None

    async def start(self, workdir: Path) -> int:
        import asyncio
        import ssl

        from aiohttp import web

        cert, key = self.ca.issue(self.names).write(workdir)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)

        async def handle(request: web.Request) -> web.Response:
            review = await request.json()
            self.reviews.append(review)
            if self.delay:
                await asyncio.sleep(self.delay)
            response = {"uid": review["request"]["uid"], **self.decide(review["request"])}
            return web.json_response(
                {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
            )

        app = web.Application()
        app.router.add_post(self.path, handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
