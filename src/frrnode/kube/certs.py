"""TLS for the webhook: a mounted certificate (reloaded when its files change), or a
self-managed CA (`frrnode.tls`) whose bundle is patched into the ValidatingWebhookConfiguration.
The self-managed CA and serving pair are kept in a Secret (`load_or_issue`), so that a
restarted (or a second) webhook serves what the API server already trusts.

Reloading loads the new pair into the *same* `SSLContext`: the next handshake uses it, open
connections keep theirs, nothing restarts. Kubernetes updates a mounted Secret by swapping a
symlink, so the files are compared by content, not by inotify events on one path.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from lightkube import AsyncClient
from lightkube.core.exceptions import ApiError

from frrnode.files import write_atomic
from frrnode.kube import resources as r
from frrnode.kube.client import status_code
from frrnode.tls import CERT_FILE, KEY_FILE, CertificateAuthority, KeyPair

log = logging.getLogger(__name__)

CA_FILE = "ca.crt"
SECRET_NAME = "frr-k8s-webhook-server-cert"
"""Where the self-managed CA and serving pair are kept (upstream's name for its webhook cert)."""
RENEW_BEFORE = datetime.timedelta(days=30)


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


def _from_secret(obj: dict[str, Any], service: str, namespace: str) -> Issued | None:
    """The pair kept in a Secret, if it is complete, for this Service and not about to expire."""
    data = obj.get("data") or {}
    try:
        cert_pem, key_pem, ca_pem = (base64.b64decode(data[k]) for k in (CERT_FILE, KEY_FILE, CA_FILE))
        cert = x509.load_pem_x509_certificate(cert_pem)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (KeyError, ValueError, TypeError, x509.ExtensionNotFound):
        return None
    expires = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    if expires < RENEW_BEFORE or f"{service}.{namespace}.svc" not in names.get_values_for_type(x509.DNSName):
        return None
    return Issued(cert_pem=cert_pem, key_pem=key_pem, ca_pem=ca_pem)


async def load_or_issue(
    client: AsyncClient, service: str, namespace: str, secret: str = SECRET_NAME
) -> Issued:
    """The CA and serving pair of Secret `secret`, or a new pair stored there when it is missing,
    incomplete, for another Service or expiring within `RENEW_BEFORE`. Two webhooks starting
    at once end with the same pair: the second one's write conflicts (409) and it reads again."""
    for _ in range(5):
        try:
            current: dict[str, Any] | None = dict(await client.get(r.Secret, secret, namespace=namespace))
        except ApiError as exc:
            if status_code(exc) != 404:
                raise
            current = None
        kept = _from_secret(current, service, namespace) if current is not None else None
        if kept is not None:
            log.info("serving the certificate kept in Secret %s/%s", namespace, secret)
            return kept
        issued = issue(service, namespace)
        pems = {CERT_FILE: issued.cert_pem, KEY_FILE: issued.key_pem, CA_FILE: issued.ca_pem}
        data = {name: base64.b64encode(pem).decode() for name, pem in pems.items()}
        try:
            if current is None:
                meta = {"name": secret, "namespace": namespace}
                await client.create(r.Secret({"metadata": meta, "type": "kubernetes.io/tls", "data": data}))
            else:  # its resourceVersion makes a concurrent writer's update conflict
                await client.replace(r.Secret({**current, "data": data}), secret, namespace=namespace)
        except ApiError as exc:
            if status_code(exc) == 409:
                continue  # another webhook wrote it first: use that one
            raise
        log.info("issued a new CA and serving certificate, kept in Secret %s/%s", namespace, secret)
        return issued
    raise RuntimeError(f"Secret {namespace}/{secret} kept changing while storing the webhook's certificate")


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
