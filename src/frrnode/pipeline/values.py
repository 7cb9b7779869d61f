"""Parsers and safety checks for every string that can reach the FRR configuration.

FRR reads its config line by line and takes `password LINE` to the end of the line, so any
string we interpolate must be proven harmless: addresses and prefixes must parse (and carry
no IPv6 zone, which Python would accept with arbitrary text after `%`), names follow the
kernel's interface rules, and passwords are printable ASCII without whitespace.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Literal

from frrnode.model import Community

IPFamily = Literal["ipv4", "ipv6"]

_ADDRESS_CHARS = re.compile(r"^[0-9A-Fa-f.:]+\Z")
_CIDR_CHARS = re.compile(r"^[0-9A-Fa-f.:]+/[0-9]+\Z")
_BFD_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,63}\Z")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})\Z")
IFNAMSIZ = 16
TCP_MD5SIG_MAXKEYLEN = 80


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address as Go's `net.ParseIP` reads it (no zone, no prefix, no whitespace)."""
    if not _ADDRESS_CHARS.match(text):
        raise ValueError(f"{text!r} is not an IP address")
    return ipaddress.ip_address(text)


def ip_family(text: str) -> IPFamily:
    """Family of an address; IPv4-mapped IPv6 counts as IPv4 (upstream `ipfamily.ForAddress`)."""
    addr = parse_ip(text)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is None:
        return "ipv6"
    return "ipv4"


@functools.lru_cache(maxsize=8192)
def parse_cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR as Go's `net.ParseCIDR` reads it: host bits are allowed (the string is kept verbatim).

    Cached: the same prefixes are parsed for every neighbor that lists them."""
    if not _CIDR_CHARS.match(text):
        raise ValueError(f"{text!r} is not a CIDR")
    network = ipaddress.ip_network(text, strict=False)
    if isinstance(network, ipaddress.IPv6Network) and network.network_address.ipv4_mapped is not None:
        raise ValueError(f"{text!r} is an IPv4-mapped IPv6 prefix; use the IPv4 form")
    return network


def cidr_family(text: str) -> IPFamily:
    return "ipv4" if parse_cidr(text).version == 4 else "ipv6"


def interface_name_problem(name: str) -> str | None:
    """Why `name` is not a valid Linux interface (or VRF) name, or None (kernel `dev_valid_name`)."""
    if not name:
        return "must not be empty"
    if len(name) >= IFNAMSIZ:
        return f"must be at most {IFNAMSIZ - 1} characters"
    if name in (".", ".."):
        return "must not be '.' or '..'"
    for char in name:
        if not (char.isascii() and char.isprintable()) or char.isspace():
            return "must be printable ASCII without whitespace"
        if char in "/:":
            return "must not contain '/' or ':'"
    return None


def bfd_profile_name_problem(name: str) -> str | None:
    if not _BFD_NAME.match(name):
        return "must be 1-63 characters among letters, digits, '_', '.', ':' and '-'"
    return None


def password_problem(password: str) -> str | None:
    """Why a TCP-MD5 password cannot be written to FRR's config, or None.

    FRR takes `password LINE` up to the end of the line and joins words with single spaces,
    so newlines would inject commands and spaces would be silently altered: both refused.
    """
    if len(password.encode()) > TCP_MD5SIG_MAXKEYLEN:
        return f"must be at most {TCP_MD5SIG_MAXKEYLEN} bytes (TCP-MD5 key limit)"
    for char in password:
        if not ("!" <= char <= "~"):
            return "must be printable ASCII without whitespace or control characters"
    return None


def hostname_problem(hostname: str) -> str | None:
    if not _HOSTNAME.match(hostname):
        return "must be 1-253 characters among letters, digits, '_', '.' and '-'"
    return None


def _uint(text: str, bits: int) -> int:
    """`strconv.ParseUint(text, 10, bits)`: ASCII digits only, no sign."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a number")
    value = int(text)
    if value >= 1 << bits:
        raise ValueError(f"{text!r} is out of range")
    return value


def parse_community(text: str) -> Community:
    """A standard `A:B` (16-bit parts) or large `large:A:B:C` (32-bit parts) community (spec §4.8)."""
    parts = text.split(":")
    if len(parts) == 2:
        try:
            a, b = (_uint(p, 16) for p in parts)
        except ValueError as exc:
            raise ValueError(f"invalid community value: {exc}") from None
        return Community(f"{a}:{b}", large=False)
    if len(parts) == 4 and parts[0] == "large":
        try:
            a, b, c = (_uint(p, 32) for p in parts[1:])
        except ValueError as exc:
            raise ValueError(f"invalid community value: {exc}") from None
        return Community(f"{a}:{b}:{c}", large=True)
    raise ValueError("invalid community format: use A:B or large:A:B:C")
