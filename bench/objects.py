"""What a Kubernetes-mode pass costs to turn the informer caches into `Resources`.

`.venv/bin/python bench/objects.py [--services 3000] [--reps 5]` (no root, no API server).
The MetalLB speaker reads every Service and EndpointSlice of the cluster; each change of any
of them starts a pass. Timed, median of `--reps`, in this process:
- baseline: the objects as one JSON `List` document parsed by the manifest loader (what
  `kube.resources.load_objects` did on every pass before `ObjectCache`);
- `ObjectCache`, first pass (every object validated, straight from its decoded JSON);
- `ObjectCache`, a pass after one object changed (one validated, the rest reused).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from frrnode.api.loader import load_documents
from frrnode.kube.resources import ObjectCache
from frrnode.metallb.api import KINDS


def objects(n: int) -> list[dict[str, Any]]:
    """`n` Services of type LoadBalancer (ETP Local, an IP each) and their EndpointSlices."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        name = f"svc-{i:05d}"
        items.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "default", "resourceVersion": str(i)},
                "spec": {
                    "type": "LoadBalancer",
                    "selector": {"app": name},
                    "ports": [{"port": 80, "protocol": "TCP"}],
                    "externalTrafficPolicy": "Local",
                },
                "status": {"loadBalancer": {"ingress": [{"ip": f"10.{i // 250}.{i % 250}.1"}]}},
            }
        )
        items.append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-x1",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "endpoints": [
                    {
                        "addresses": [f"10.244.{i // 250}.{i % 250}"],
                        "conditions": {"ready": True},
                        "nodeName": f"node-{i % 100:04d}",
                    }
                ],
                "ports": [{"port": 80}],
            }
        )
    return items


def median(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    items = objects(args.services)

    def as_list() -> object:
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
        return load_documents(text, file="", extra_kinds=KINDS)

    def first() -> object:
        return ObjectCache(KINDS).resources(items)

    cache = ObjectCache(KINDS)
    cache.resources(items)
    changed = [0]

    def after_one_change() -> object:
        changed[0] += 1
        item = items[0]
        items[0] = {**item, "metadata": {**item["metadata"], "resourceVersion": f"x{changed[0]}"}}
        return cache.resources(items)

    baseline = median(as_list, args.reps)
    cold = median(first, args.reps)
    warm = median(after_one_change, args.reps)
    print(
        json.dumps(
            {
                "objects": len(items),
                "list_reparsed_s": round(baseline, 3),
                "object_cache_first_pass_s": round(cold, 3),
                "object_cache_after_one_change_s": round(warm, 4),
                "first_pass_speedup": round(baseline / cold, 1),
                "pass_after_one_change_speedup": round(baseline / warm, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
