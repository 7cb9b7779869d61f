"""The controller's IP allocation for Services of type LoadBalancer (spec §2.1).

Pure and deterministic: `allocate` takes the pools, the Services and what each Service was
assigned before (its persisted `status.loadBalancer.ingress`) and returns every Service's IPs.
Services that already hold IPs keep them first (as long as they are still allowed), so an
assigned IP never moves because the allocator restarted or a Service appeared; the others
are served in name order. Requests: `metallb.io/loadBalancerIPs` (or `spec.loadBalancerIP`),
`metallb.io/address-pool`, sharing with `metallb.io/allow-shared-ip` (legacy
`metallb.universe.tf/*` annotations too).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from frrnode.metallb import api
from frrnode.metallb.config import IPAddress, Pool, selects

PREFIXES = ("metallb.io/", "metallb.universe.tf/")
POOL_ANNOTATION = "metallb.io/ip-allocated-from-pool"

Key = tuple[str, str]
"""(namespace, name) of a Service."""


def annotation(service: api.Service, name: str) -> str:
    for prefix in PREFIXES:
        value = service.metadata.annotations.get(prefix + name)
        if value is not None:
            return value
    return ""


@dataclass(frozen=True)
class Allocation:
    """A Service's IPs (ingress order: the Service's family order) and pool, or why none."""

    ips: tuple[str, ...] = ()
    pool: str = ""
    error: str = ""


class AllocationError(Exception):
    pass


@dataclass(frozen=True)
class _Request:
    key: Key
    families: tuple[int, ...]
    """Wanted IP versions in order; for PreferDualStack the second one is optional."""
    optional_second: bool
    ips: tuple[IPAddress, ...]
    pool: str
    sharing: str
    backend: str
    ports: frozenset[tuple[str, int]]
    namespace: str
    labels: Mapping[str, str]


def _request(service: api.Service) -> _Request:
    spec = service.spec
    key = (service.metadata.namespace, service.metadata.name)
    families = tuple(4 if f == "IPv4" else 6 for f in spec.ip_families) or (4,)
    policy = spec.ip_family_policy or "SingleStack"
    if policy == "SingleStack":
        families = families[:1]
    elif len(families) == 1:
        families = (families[0], 10 - families[0])
    requested = annotation(service, "loadBalancerIPs")
    if requested and spec.load_balancer_ip:
        raise AllocationError("spec.loadBalancerIP and the loadBalancerIPs annotation are mutually exclusive")
    texts = [t.strip() for t in requested.split(",") if t.strip()] if requested else []
    if spec.load_balancer_ip:
        texts = [spec.load_balancer_ip]
    try:
        ips = tuple(ipaddress.ip_address(t) for t in texts)
    except ValueError as exc:
        raise AllocationError(f"invalid requested IP: {exc}") from None
    backend = ""
    if spec.external_traffic_policy == "Local":
        backend = ",".join(f"{k}={v}" for k, v in sorted(spec.selector.items()))
    return _Request(
        key=key,
        families=families,
        optional_second=policy == "PreferDualStack",
        ips=ips,
        pool=annotation(service, "address-pool"),
        sharing=annotation(service, "allow-shared-ip"),
        backend=backend,
        ports=frozenset((p.protocol, p.port) for p in spec.ports),
        namespace=key[0],
        labels=service.metadata.labels,
    )


def pool_serves(pool: Pool, namespace: str, labels: Mapping[str, str]) -> bool:
    """`serviceAllocation`: namespaces (explicit or by selector) and service selectors; none = all."""
    alloc = pool.allocation
    if alloc is None:
        return True
    if (alloc.namespaces or alloc.namespace_selectors) and namespace not in alloc.namespaces:
        return False
    return not alloc.service_selectors or selects(alloc.service_selectors, labels)


def buggy(ip: IPAddress) -> bool:
    """`.0` and `.255` IPv4 addresses confuse some CPE firmware (avoidBuggyIPs)."""
    return ip.version == 4 and ip.packed[3] in (0, 255)


@dataclass
class _Users:
    sharing: str
    backend: str
    ports: dict[tuple[str, int], Key] = field(default_factory=dict)
    services: set[Key] = field(default_factory=set)


class _Allocator:
    def __init__(self, pools: Mapping[str, Pool]):
        self.pools = pools
        self.used: dict[IPAddress, _Users] = {}

    def pool_for(self, ip: IPAddress) -> Pool | None:
        for pool in self.pools.values():
            if pool.contains(ip) and not (pool.avoid_buggy_ips and buggy(ip)):
                return pool
        return None

    def can_use(self, ip: IPAddress, req: _Request) -> bool:
        users = self.used.get(ip)
        if users is None or users.services <= {req.key}:
            return True
        if not users.sharing or users.sharing != req.sharing or users.backend != req.backend:
            return False
        return not any(users.ports.get(p, req.key) != req.key for p in req.ports)

    def take(self, ip: IPAddress, req: _Request) -> None:
        users = self.used.setdefault(ip, _Users(req.sharing, req.backend))
        users.services.add(req.key)
        for port in req.ports:
            users.ports[port] = req.key

    def candidates(self, pool: Pool, version: int) -> Iterator[IPAddress]:
        for entry in pool.ranges:
            if entry.version != version:
                continue
            for cidr in entry.cidrs:
                for ip in (cidr.network_address + i for i in range(cidr.num_addresses)):
                    if not (pool.avoid_buggy_ips and buggy(ip)):
                        yield ip

    def from_pool(self, pool: Pool, req: _Request) -> tuple[IPAddress, ...] | None:
        """One free (or shareable) IP per wanted family from `pool`, or None."""
        out: list[IPAddress] = []
        for index, version in enumerate(req.families):
            if version not in pool.versions:
                if index == 1 and req.optional_second:
                    continue
                return None
            ip = next((ip for ip in self.candidates(pool, version) if self.can_use(ip, req)), None)
            if ip is None:
                return None
            out.append(ip)
        return tuple(out)

    def keep(self, ips: Sequence[IPAddress], req: _Request) -> Allocation:
        """Assign exactly `ips` (requested, or held before) if every rule allows it."""
        versions = [ip.version for ip in ips]
        wanted = list(req.families)
        if versions != wanted and not (req.optional_second and versions == wanted[:1]):
            fams = "/".join(f"IPv{v}" for v in wanted)
            raise AllocationError(
                f"IPs {', '.join(map(str, ips))} do not match the Service's families {fams}"
            )
        found = [self.pool_for(ip) for ip in ips]
        names = {p.name if p is not None else "" for p in found}
        pool = found[0] if len(names) == 1 else None
        if pool is None:
            raise AllocationError(f"IPs {', '.join(map(str, ips))} are not in one IPAddressPool")
        if req.pool and pool.name != req.pool:
            raise AllocationError(f"IPs {', '.join(map(str, ips))} are not in the requested pool {req.pool}")
        if not pool_serves(pool, req.namespace, req.labels):
            raise AllocationError(
                f"IPAddressPool {pool.name} does not serve this Service (serviceAllocation)"
            )
        for ip in ips:
            if not self.can_use(ip, req):
                raise AllocationError(f"IP {ip} is already in use by another Service that does not share it")
        for ip in ips:
            self.take(ip, req)
        if len(ips) < len(wanted) and wanted[1] in pool.versions:
            # PreferDualStack: the missing family comes later, from the same pool (service.go:159-173).
            extra = next((ip for ip in self.candidates(pool, wanted[1]) if self.can_use(ip, req)), None)
            if extra is not None:
                self.take(extra, req)
                ips = (*ips, extra)
        return Allocation(tuple(str(ip) for ip in ips), pool.name)

    def auto_pools(self, req: _Request) -> list[Pool]:
        if req.pool:
            pool = self.pools.get(req.pool)
            if pool is None:
                raise AllocationError(f"unknown IPAddressPool {req.pool!r}")
            if not pool_serves(pool, req.namespace, req.labels):
                raise AllocationError(
                    f"IPAddressPool {pool.name} does not serve this Service (serviceAllocation)"
                )
            return [pool]
        pinned = [
            p
            for p in self.pools.values()
            if p.auto_assign and p.allocation is not None and pool_serves(p, req.namespace, req.labels)
        ]
        # Lower priority numbers first; 0 (unset) is the lowest preference (allocator.go:594-610).
        pinned.sort(key=lambda p: (_priority(p) == 0, _priority(p), p.name))
        free = sorted((p for p in self.pools.values() if p.auto_assign and p.allocation is None), key=_name)
        return pinned + free

    def new(self, req: _Request) -> Allocation:
        if req.ips:
            return self.keep(req.ips, req)
        for pool in self.auto_pools(req):
            ips = self.from_pool(pool, req)
            if ips:
                for ip in ips:
                    self.take(ip, req)
                return Allocation(tuple(str(ip) for ip in ips), pool.name)
        raise AllocationError("no available IPs" + (f" in pool {req.pool}" if req.pool else ""))


def _priority(pool: Pool) -> int:
    return pool.allocation.priority if pool.allocation is not None else 0


def _name(pool: Pool) -> str:
    return pool.name


def previous_ips(service: api.Service) -> tuple[str, ...]:
    """The IPs a Service's status says it holds (what a restarted controller starts from)."""
    return tuple(i.ip for i in service.status.load_balancer.ingress if i.ip)


def allocate(
    pools: Mapping[str, Pool],
    services: Sequence[api.Service],
    previous: Mapping[Key, Sequence[str]],
) -> dict[Key, Allocation]:
    """Every Service's allocation. `services` are the LoadBalancer Services MetalLB handles;
    `previous` what each held before (persisted status). Holders are served first."""
    alloc = _Allocator(pools)
    requests: dict[Key, _Request] = {}
    out: dict[Key, Allocation] = {}
    for service in sorted(services, key=lambda s: (s.metadata.namespace, s.metadata.name)):
        try:
            requests[(service.metadata.namespace, service.metadata.name)] = _request(service)
        except AllocationError as exc:
            out[(service.metadata.namespace, service.metadata.name)] = Allocation(error=str(exc))
    later: list[_Request] = []
    for key, req in requests.items():
        held = previous.get(key, ())
        try:
            ips = tuple(ipaddress.ip_address(ip) for ip in held)
        except ValueError:
            ips = ()
        if not ips or (req.ips and set(req.ips) != set(ips)):
            later.append(req)
            continue
        try:
            out[key] = alloc.keep(ips, req)
        except AllocationError:
            later.append(req)  # no longer allowed: allocate again
    for req in later:
        try:
            out[req.key] = alloc.new(req)
        except AllocationError as exc:
            out[req.key] = Allocation(error=str(exc))
    return dict(sorted(out.items()))
