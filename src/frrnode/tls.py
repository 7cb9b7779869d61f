"""A self-signed certificate authority and the certificates it issues (EC P-256, `cryptography`).

One implementation for the two places that mint their own: the webhook's self-managed CA
(`kube.certs`, whose bundle is patched into the ValidatingWebhookConfiguration) and the
API-server double's HTTPS endpoint and test webhooks (`lab.apiserver`).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from frrnode.files import write_atomic

CERT_FILE = "tls.crt"
KEY_FILE = "tls.key"

_CA_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, PEM (the key unencrypted, PKCS#8)."""

    cert_pem: bytes
    key_pem: bytes

    def write(
        self, directory: Path, cert_name: str = CERT_FILE, key_name: str = KEY_FILE
    ) -> tuple[Path, Path]:
        """Both files, each atomically (a reloading server never reads half a pair's file);
        the key readable by its owner only."""
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / cert_name, directory / key_name
        write_atomic(key, self.key_pem.decode(), 0o600)
        write_atomic(cert, self.cert_pem.decode(), 0o644)
        return cert, key


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate clocks a little behind
        .not_valid_after(now + datetime.timedelta(days=days))
    )


class CertificateAuthority:
    """A new self-signed CA that signs leaf certificates only (path length 0)."""

    def __init__(self, common_name: str, days: int = 365) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = _name(common_name)
        self.cert = (
            _builder(self._name, self._name, self._key, days)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_USAGE, critical=True)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(
        self, names: Sequence[str], days: int = 365, client: bool = False, common_name: str | None = None
    ) -> KeyPair:
        """A certificate for DNS names and IP addresses (all in the SAN), for a server (or a
        client); the subject's CN is `common_name`, else the first name."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        cert = (
            _builder(_name(common_name or names[0]), self._name, key, days)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return KeyPair(cert.public_bytes(serialization.Encoding.PEM), key_pem)
