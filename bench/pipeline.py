"""Pipeline cost versus input size: are loading and `build_node_config` linear in the neighbors?

Run: `.venv/bin/python bench/pipeline.py [--repeat 3]`. Builds manifests of growing size
(objects x 50 neighbors each, every neighbor advertising all router prefixes with a community
and receiving a selector; all objects select the node and share one router, so the merge
works on every neighbor) and prints, per size, the best time of `--repeat` runs for YAML
loading and for `build_node_config`, the cost per neighbor, and that cost as a ratio to the
smallest size. Ratios near 1.0 mean linear scaling; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import yaml

from frrnode.api.loader import load_documents
from frrnode.pipeline import Settings, build_node_config

NEIGHBORS_PER_OBJECT = 50


def manifest(objects: int) -> str:
    docs: list[dict[str, Any]] = []
    for o in range(objects):
        prefix = f"192.{o % 250}.{o // 250}.0/24"
        neighbors = [
            {
                "address": f"10.{o % 250}.{o // 250 * 4 + i // 250}.{i % 250 + 1}",
                "asn": 65001,
                "toAdvertise": {
                    "allowed": {"mode": "all"},
                    "withCommunity": [{"prefixes": [prefix], "community": "65000:1"}],
                },
                "toReceive": {"allowed": {"prefixes": [{"prefix": "172.20.0.0/16", "le": 24}]}},
            }
            for i in range(NEIGHBORS_PER_OBJECT)
        ]
        docs.append(
            {
                "apiVersion": "frrk8s.metallb.io/v1beta1",
                "kind": "FRRConfiguration",
                "metadata": {"name": f"c{o}", "namespace": "frr-k8s-system"},
                "spec": {"bgp": {"routers": [{"asn": 65000, "prefixes": [prefix], "neighbors": neighbors}]}},
            }
        )
    return yaml.safe_dump_all(docs)


def best(repeat: int, fn: Any) -> tuple[float, Any]:
    times: list[float] = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings("node1")
    base: tuple[float, float] | None = None
    print(
        f"{'neighbors':>9} {'load s':>8} {'build s':>8} {'load us/n':>10} {'build us/n':>11} "
        f"{'ratio load':>10} {'ratio build':>11}"
    )
    for objects in (2, 8, 32, 128):
        text = manifest(objects)
        t_load, resources = best(args.repeat, lambda text=text: load_documents(text))
        t_build, node = best(args.repeat, lambda r=resources: build_node_config(r, settings))
        count = sum(len(r.neighbors) for r in node.routers)
        per = (t_load / count * 1e6, t_build / count * 1e6)
        base = base or per
        print(
            f"{count:>9} {t_load:>8.3f} {t_build:>8.3f} {per[0]:>10.1f} {per[1]:>11.1f} "
            f"{per[0] / base[0]:>10.2f} {per[1] / base[1]:>11.2f}"
        )


if __name__ == "__main__":
    main()
