"""TLS for the webhook: a mounted certificate (reloaded when its files change), or a
self-managed CA (`frrnode.tls`) whose bundle is patched into the ValidatingWebhookConfiguration.

Reloading loads the new pair into the *same* `SSLContext`: the next handshake uses it, open
connections keep theirs, nothing restarts. Kubernetes updates a mounted Secret by swapping a
symlink, so the files are compared by content, not by inotify events on one path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError

from frrnode.files import write_atomic
from frrnode.kube import resources as r
from frrnode.kube.client import status_code
from frrnode.tls import CERT_FILE, KEY_FILE, CertificateAuthority, KeyPair

log = logging.getLogger(__name__)

CA_FILE = "ca.crt"


class ReloadingCert:
    """An SSLContext serving `cert_dir/tls.crt` + `tls.key`, reloaded when they change."""

    def __init__(self, cert_dir: Path):
        self.cert_dir = cert_dir
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.loads = 0
        self._digest = ""
        self.reload()

    def _read_digest(self) -> str:
        h = hashlib.sha256()
        for name in (CERT_FILE, KEY_FILE):
            h.update((self.cert_dir / name).read_bytes())
        return h.hexdigest()

    def reload(self) -> bool:
        """Load the pair if it changed; True when it did. A half-written pair is retried later."""
        try:
            digest = self._read_digest()
            if digest == self._digest:
                return False
            self.context.load_cert_chain(self.cert_dir / CERT_FILE, self.cert_dir / KEY_FILE)
        except (OSError, ssl.SSLError) as exc:
            if not self._digest:
                raise
            log.warning("cannot load the new certificate yet: %s", exc)
            return False
        self._digest = digest
        self.loads += 1
        if self.loads > 1:
            log.info("reloaded the serving certificate from %s", self.cert_dir)
        return True

    async def watch(self, interval: float = 2.0) -> None:
        while True:
            await asyncio.sleep(interval)
            self.reload()


@dataclass(frozen=True)
class Issued(KeyPair):
    """The serving pair and the CA that signed it (a bundle for the webhook configuration)."""

    ca_pem: bytes


def dns_names(service: str, namespace: str) -> list[str]:
    base = f"{service}.{namespace}"
    return [service, base, f"{base}.svc", f"{base}.svc.cluster.local", "localhost"]


def issue(service: str, namespace: str, days: int = 3650) -> Issued:
    """A new CA and a serving certificate for the Service (and localhost, for one machine)."""
    ca = CertificateAuthority("frrnode-webhook-ca", days)
    names = [*dns_names(service, namespace), "127.0.0.1", "::1"]
    pair = ca.issue(names, days, common_name=f"{service}.{namespace}.svc")
    return Issued(cert_pem=pair.cert_pem, key_pem=pair.key_pem, ca_pem=ca.cert_pem)


def write_issued(issued: Issued, cert_dir: Path) -> None:
    issued.write(cert_dir)
    write_atomic(cert_dir / CA_FILE, issued.ca_pem.decode(), 0o644)


async def patch_ca_bundle(client: AsyncClient, configuration: str, webhook: str, ca_pem: bytes) -> bool:
    """Put `ca_pem` into the `caBundle` of `webhook` in the ValidatingWebhookConfiguration
    `configuration` (read, change, replace; a 409 reads again). False if either does not exist."""
    bundle = base64.b64encode(ca_pem).decode()
    for _ in range(10):
        try:
            vwc: dict[str, Any] = dict(await client.get(r.ValidatingWebhookConfiguration, configuration))
        except ApiError as exc:
            if status_code(exc) == 404:
                return False
            raise
        hooks = [h for h in vwc.get("webhooks") or [] if h.get("name") == webhook]
        if not hooks:
            return False
        for hook in hooks:
            hook.setdefault("clientConfig", {})["caBundle"] = bundle
        try:
            await client.replace(r.ValidatingWebhookConfiguration(**vwc))
        except ApiError as exc:
            if status_code(exc) == 409:
                continue
            raise
        log.info("patched the CA bundle of %s in %s", webhook, configuration)
        return True
    raise RuntimeError(f"{configuration} kept changing while patching its CA bundle")
