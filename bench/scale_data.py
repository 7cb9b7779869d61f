"""The big and small manifest sets of issue 10: N nodes, 2 FRRConfigurations per node.

    .venv/bin/python bench/scale_data.py DIR --nodes 3000     # big: 3,000 Nodes, 6,000 configs
    .venv/bin/python bench/scale_data.py DIR --nodes 30       # small: 30 Nodes, 60 configs

One object per file (`DIR/nodes/node-0001.yaml`, `DIR/configs/node-0001-{a,b}.yaml`). Node
`node-NNNN` has labels `kubernetes.io/hostname` and a zone (`rack-<N mod 8>`). Its two
configurations (2 neighbors each; every neighbor receives 5 prefixes and advertises the 3
router prefixes) select it by hostname: `-a` with `matchLabels`, `-b` with a `matchExpressions`
`In` (both selector shapes the pipeline must index). What node `node-0001` renders depends only
on its own index, so it is identical in both sets.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = "frr-k8s-system"
NODE_ASN = 64512
RECEIVE_PREFIXES = 5
ADVERTISE_PREFIXES = 3


def node_name(index: int) -> str:
    return f"node-{index:04d}"


def node_object(index: int) -> dict[str, Any]:
    name = node_name(index)
    labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": f"rack-{index % 8}"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


def advertised(index: int) -> list[str]:
    """The node's own /32s (LoadBalancer IPs): unique per node, fixed by its index."""
    return [f"198.{18 + index // 65000 % 2}.{index // 250 % 256}.{index % 250 + k}/32" for k in range(3)]


def config_object(index: int, part: str) -> dict[str, Any]:
    """Configuration `part` ("a" or "b") of node `index`: 2 neighbors of its rack's routers."""
    name = node_name(index)
    if part == "a":
        selector: dict[str, Any] = {"matchLabels": {"kubernetes.io/hostname": name}}
        third = 0
    else:
        selector = {
            "matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [name]}]
        }
        third = 1
    own = advertised(index)
    neighbors = [
        {
            "address": f"172.31.{third}.{peer + 1}",
            "asn": 64600 + 2 * third + peer,
            "toAdvertise": {"allowed": {"prefixes": own}},
            "toReceive": {
                "allowed": {
                    "prefixes": [
                        {"prefix": f"10.{100 + third * 10 + k}.0.0/16", "le": 24}
                        for k in range(RECEIVE_PREFIXES)
                    ]
                }
            },
        }
        for peer in range(2)
    ]
    return {
        "apiVersion": "frrk8s.metallb.io/v1beta1",
        "kind": "FRRConfiguration",
        "metadata": {"name": f"{name}-{part}", "namespace": NAMESPACE},
        "spec": {
            "nodeSelector": selector,
            "bgp": {"routers": [{"asn": NODE_ASN, "prefixes": own, "neighbors": neighbors}]},
        },
    }


def config_path(directory: Path, index: int, part: str) -> Path:
    return directory / "configs" / f"{node_name(index)}-{part}.yaml"


def write_config(directory: Path, index: int, part: str, edit: int = 0) -> Path:
    """Write (or rewrite) one configuration file; `edit` != 0 changes its content (the first
    neighbor's receive list gets `le` 24 + edit mod 8), so the node's rendered config changes."""
    obj = config_object(index, part)
    if edit:
        neighbor = obj["spec"]["bgp"]["routers"][0]["neighbors"][0]
        neighbor["toReceive"]["allowed"]["prefixes"][0]["le"] = 24 + edit % 8
    path = config_path(directory, index, part)
    path.write_text(yaml.safe_dump(obj, sort_keys=False))
    return path


def generate(directory: Path, nodes: int) -> None:
    """Write the set for `nodes` nodes (2 configurations each) into `directory`."""
    (directory / "nodes").mkdir(parents=True, exist_ok=True)
    (directory / "configs").mkdir(parents=True, exist_ok=True)
    for index in range(1, nodes + 1):
        (directory / "nodes" / f"{node_name(index)}.yaml").write_text(
            yaml.safe_dump(node_object(index), sort_keys=False)
        )
        for part in ("a", "b"):
            write_config(directory, index, part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--nodes", type=int, default=3000)
    args = parser.parse_args()
    generate(args.directory, args.nodes)
    print(f"{args.directory}: {args.nodes} Nodes, {2 * args.nodes} FRRConfigurations")


if __name__ == "__main__":
    main()
