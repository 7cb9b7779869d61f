"""Builders for pipeline tests: API objects as plain dicts, loaded through the real YAML loader."""

from __future__ import annotations

import base64
from typing import Any

import yaml

from frrnode.api.loader import load_documents
from frrnode.errors import ConfigError, ConfigErrors
from frrnode.model import NodeConfig, ObjectRef
from frrnode.pipeline import Settings, build_node_config

NS = "frr-k8s-system"
GV = "frrk8s.metallb.io/v1beta1"
SETTINGS = Settings(node_name="node1", node_labels={"kubernetes.io/hostname": "node1"})


def ref(name: str, ns: str = NS) -> ObjectRef:
    return ObjectRef("FRRConfiguration", ns, name)


def neighbor(**fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"address": "192.168.1.2", "asn": 65001}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def router(*neighbors: dict[str, Any], **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"asn": 65000, "neighbors": list(neighbors)}
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def config(
    name: str = "a",
    *routers: dict[str, Any],
    ns: str = NS,
    bfd: list[dict[str, Any]] | None = None,
    raw: dict[str, Any] | None = None,
    selector: dict[str, Any] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"bgp": {"routers": list(routers)}}
    if bfd is not None:
        spec["bgp"]["bfdProfiles"] = bfd
    if raw is not None:
        spec["raw"] = raw
    if selector is not None:
        spec["nodeSelector"] = selector
    return {
        "apiVersion": GV,
        "kind": "FRRConfiguration",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def secret(
    name: str, password: str | None = "s3cret", type_: str = "kubernetes.io/basic-auth", ns: str = NS
) -> dict[str, Any]:
    data = {} if password is None else {"password": base64.b64encode(password.encode()).decode()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": type_,
        "data": data,
    }


def node(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


def dump(*docs: dict[str, Any]) -> str:
    return yaml.safe_dump_all(list(docs), sort_keys=False)


def build(*docs: dict[str, Any], settings: Settings = SETTINGS) -> NodeConfig:
    return build_node_config(load_documents(dump(*docs), "test.yaml"), settings)


def errors_of(*docs: dict[str, Any], settings: Settings = SETTINGS) -> list[ConfigError]:
    """Every error found loading and building `docs` ([] when valid)."""
    try:
        build(*docs, settings=settings)
    except ConfigErrors as exc:
        return exc.errors
    return []
