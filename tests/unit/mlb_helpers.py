"""Builders for MetalLB tests: objects as dicts, loaded through the real loader with MetalLB's kinds."""

from __future__ import annotations

from typing import Any

import yaml

from frrnode.api.loader import Resources, load_documents
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.metallb.api import KINDS
from frrnode.metallb.config import Config, parse
from frrnode.metallb.resources import MetalLBResources, Settings

NS = "metallb-system"
SETTINGS = Settings()


def obj(kind: str, name: str, spec: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    version = "metallb.io/v1beta2" if kind == "BGPPeer" else "metallb.io/v1beta1"
    out: dict[str, Any] = {
        "apiVersion": version,
        "kind": kind,
        "metadata": {"name": name, "namespace": NS, **meta},
    }
    if spec is not None:
        out["spec"] = spec
    return out


def pool(name: str, *addresses: str, **spec: Any) -> dict[str, Any]:
    return obj("IPAddressPool", name, {"addresses": list(addresses), **spec})


def peer(
    name: str, address: str = "10.0.0.1", asn: int = 64513, my_asn: int = 64512, **spec: Any
) -> dict[str, Any]:
    return obj("BGPPeer", name, {"myASN": my_asn, "peerASN": asn, "peerAddress": address, **spec})


def adv(name: str, **spec: Any) -> dict[str, Any]:
    return obj("BGPAdvertisement", name, spec)


def node(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
    }


def service(
    name: str,
    ip: str | None = None,
    namespace: str = "default",
    etp: str = "Cluster",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": annotations or {},
            "labels": labels or {},
        },
        "spec": {"type": "LoadBalancer", "externalTrafficPolicy": etp, "ports": [{"port": 80}], **spec},
    }
    if ip:
        out["status"] = {"loadBalancer": {"ingress": [{"ip": i} for i in ip.split(",")]}}
    return out


def endpoints(svc: str, *nodes: str, namespace: str = "default", ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{svc}-abc",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": svc},
        },
        "addressType": "IPv4",
        "endpoints": [
            {"addresses": [f"10.244.0.{i + 10}"], "conditions": {"ready": ready}, "nodeName": n}
            for i, n in enumerate(nodes)
        ],
    }


def secret(name: str, password: str, type_: str = "kubernetes.io/basic-auth") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": NS},
        "type": type_,
        "stringData": {"password": password},
    }


def load(*docs: dict[str, Any]) -> Resources:
    return load_documents(yaml.safe_dump_all(docs), "test.yaml", extra_kinds=KINDS)


def mlb(*docs: dict[str, Any], settings: Settings = SETTINGS) -> MetalLBResources:
    return MetalLBResources.from_resources(load(*docs), settings)


def problems(
    *docs: dict[str, Any], node_name: str | None = None, settings: Settings = SETTINGS
) -> list[ConfigError]:
    """Every problem: schema errors from the loader, else the parser's."""
    try:
        res = mlb(*docs, settings=settings)
    except ConfigErrors as exc:
        return exc.errors
    return parse(res, settings, node_name)[1]


def parsed(*docs: dict[str, Any], node_name: str | None = None, settings: Settings = SETTINGS) -> Config:
    config, errors = parse(mlb(*docs, settings=settings), settings, node_name)
    assert not errors, [str(e) for e in errors]
    assert config is not None
    return config
