"""MetalLB's status in the embedded mode: files in `<status-dir>/metallb/` (spec §2.1, §6.1, §6.2).

- `service-<ns>_<name>.yaml`: the Service's `status.loadBalancer.ingress` and the annotation
  `metallb.io/ip-allocated-from-pool` (what the controller writes to the API). These files are
  also the allocator's memory: a restarted agent reads them back, so an assigned IP never moves.
- `servicebgpstatus-<node>_<ns>_<name>.yaml`: which peers this node announces the Service to.
- `configurationstate-speaker-<node>.yaml`, `configurationstate-controller.yaml`: Valid/Invalid
  and why (MetalLB keeps its last good configuration meanwhile).

Files are written atomically and only when their content changes; stale ones are removed.
What was written is remembered: an unchanged object is not even serialized again (a file
removed by hand comes back when its content changes, or when the agent restarts).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import yaml

from frrnode.errors import ConfigError
from frrnode.files import write_atomic
from frrnode.metallb.allocator import POOL_ANNOTATION, Key
from frrnode.metallb.stage import StageState

ERROR_ANNOTATION = "frrnode.io/allocation-error"


def _dump(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)


def service_status(key: Key, ips: tuple[str, ...], pool: str, error: str) -> dict[str, Any]:
    annotations = {POOL_ANNOTATION: pool} if pool else {}
    if error:
        annotations[ERROR_ANNOTATION] = error
    meta: dict[str, Any] = {"name": key[1], "namespace": key[0]}
    if annotations:
        meta["annotations"] = annotations
    ingress = {"ingress": [{"ip": ip} for ip in ips]} if ips else {}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "status": {"loadBalancer": ingress}}


def bgp_status(node: str, namespace: str, service: str, peers: tuple[str, ...], ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "metallb.io/v1beta1",
        "kind": "ServiceBGPStatus",
        "metadata": {
            "name": f"bgp-{node}.{namespace}.{service}",
            "namespace": ns,
            "labels": {
                "metallb.io/node": node,
                "metallb.io/service-name": service,
                "metallb.io/service-namespace": namespace,
            },
        },
        "status": {"node": node, "serviceName": service, "serviceNamespace": namespace, "peers": list(peers)},
    }


def configuration_state(component: str, node: str, errors: list[ConfigError], ns: str) -> dict[str, Any]:
    name = "controller" if component == "controller" else f"speaker-{node}"
    labels = {"metallb.io/component-type": component}
    if component == "speaker":
        labels["metallb.io/node-name"] = node
    summary = "; ".join(str(e) for e in errors)
    return {
        "apiVersion": "metallb.io/v1beta1",
        "kind": "ConfigurationState",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "status": {
            "result": "Invalid" if errors else "Valid",
            "errorSummary": summary,
            "conditions": [
                {
                    "type": "configReconcilerValid",
                    "status": "False" if errors else "True",
                    "reason": "ConfigurationError" if errors else "Reconciled",
                    "message": summary,
                }
            ],
        },
    }


class StatusWriter:
    """Writes the stage's state into `<status_dir>/metallb/`; reads the persisted allocations."""

    def __init__(self, status_dir: Path, node: str, namespace: str):
        self.dir = Path(status_dir) / "metallb"
        self.node = node
        self.namespace = namespace
        self._written: dict[str, dict[str, Any]] = {}
        """File name -> the object last written to it."""

    def read_allocations(self) -> dict[Key, tuple[str, ...]]:
        """What the controller assigned before (the allocator's starting point after a restart)."""
        out: dict[Key, tuple[str, ...]] = {}
        for path in sorted(self.dir.glob("service-*.yaml")):
            try:
                data = yaml.safe_load(path.read_text())
                meta, ingress = data["metadata"], data["status"]["loadBalancer"].get("ingress", [])
                ips = tuple(str(i["ip"]) for i in ingress if i.get("ip"))
                key = (str(meta["namespace"]), str(meta["name"]))
            except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
                continue  # a damaged file only loses its memory: the Service is allocated again
            if ips:
                out[key] = ips
        return out

    def _write(self, name: str, obj: dict[str, Any]) -> str:
        if self._written.get(name) == obj:
            return name
        text = _dump(obj)
        path = self.dir / name
        try:
            same = path.read_text() == text
        except OSError:
            same = False
        if not same:
            self.dir.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        self._written[name] = obj
        return name

    def _prune(self, pattern: str, keep: set[str]) -> None:
        for path in self.dir.glob(pattern):
            if path.name not in keep:
                self._written.pop(path.name, None)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def write(self, state: StageState) -> None:
        keep = {
            self._write(f"service-{ns}_{name}.yaml", service_status((ns, name), a.ips, a.pool, a.error))
            for (ns, name), a in state.allocations.items()
        }
        self._prune("service-*.yaml", keep)
        node = self.node
        keep = {
            self._write(
                f"servicebgpstatus-{node}_{a.namespace}_{a.service}.yaml",
                bgp_status(node, a.namespace, a.service, a.peers, self.namespace),
            )
            for a in state.announcements
            if a.announced
        }
        self._prune(f"servicebgpstatus-{node}_*.yaml", keep)
        self._write(
            "configurationstate-controller.yaml",
            configuration_state("controller", node, state.controller_errors, self.namespace),
        )
        self._write(
            f"configurationstate-speaker-{node}.yaml",
            configuration_state("speaker", node, state.speaker_errors, self.namespace),
        )
