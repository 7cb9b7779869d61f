"""Hypothesis strategies that damage valid manifests (issue 9's fuzzing), shared by the loader
fuzz test (tests/unit) and the `vtysh --dryrun` sample (tests/frr).

The corpus is every valid manifest we have: examples/ and the upstream compatibility cases in
../shared/compat (found from this file's location). Two kinds of damage:
- text: characters deleted, inserted (YAML syntax, control characters, unicode), lines
  duplicated, swapped, re-indented, the text cut short;
- structure: the parsed objects with values replaced by other types or hostile strings, keys
  deleted, unknown keys added, lists emptied or wrapped.
One example holds many documents, so 10,000 documents cost tens of seconds.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
FILE = "fuzz/manifests.yaml"


def _corpus_texts() -> list[str]:
    paths = sorted((ROOT / "examples").glob("*.yaml")) + sorted(
        (SHARED / "compat" / "cases").glob("*/input.yaml")
    )
    texts = [p.read_text() for p in paths]
    assert len(texts) >= 10, f"corpus not found under {ROOT} and {SHARED}"
    return texts


TEXTS = _corpus_texts()
DOCS: list[dict[str, Any]] = [d for t in TEXTS for d in yaml.safe_load_all(t) if isinstance(d, dict)]

SNIPPETS = [
    ":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!python/object:os.system ", "|", ">", "'", '"', "%", "@",
    "`", "#", ",", "\n", "\t", "  ", "---\n", "...\n", "\x00", "\x1b[31m", "\r", "\u2028", "é", "\ufeff",
    "0x10", "1e9", "~", "null", "yes", "65000:10", "-1", "4294967296", "::", "/", "%eth0", "\\",
]  # fmt: skip
HOSTILE_VALUES: list[Any] = [
    None, True, 0, -1, 4294967296, 1.5, "", " ", "x\ny", "a\x00", "\x1b[2J", "é" * 3, "a" * 300,
    "192.168.1.1%eth0", "10.0.0.0/33", "neighbor 1.2.3.4 remote-as 1", [], {}, [None], {"x": 1},
    "65000:1", "large:1:2:3", "fe80::1", "eth0", "default", "all", "filtered",
]  # fmt: skip


@st.composite
def damaged_text(draw: st.DrawFn) -> str:
    """One corpus text with 1-4 textual mutations."""
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "dup", "swap", "indent", "cut"]))
        at = draw(st.integers(0, max(0, len(text) - 1)))
        lines = text.splitlines(keepends=True)
        line = min(len(lines) - 1, draw(st.integers(0, max(0, len(lines) - 1)))) if lines else 0
        if op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif op == "dup" and lines:
            text = "".join([*lines[: line + 1], lines[line], *lines[line + 1 :]])
        elif op == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = "".join(lines)
        elif op == "indent" and lines:
            lines[line] = draw(st.sampled_from(["", " ", "  ", "    ", "\t"])) + lines[line].lstrip(" ")
            text = "".join(lines)
        elif op == "cut":
            text = text[:at]
    return text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _mutate(doc: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        op = rng.choice(["replace", "replace", "delete", "unknown", "wrap", "empty"])
        if op == "replace":
            parent[last] = copy.deepcopy(rng.choice(HOSTILE_VALUES))  # never share the pool
        elif op == "delete":
            del parent[last]
        elif op == "unknown" and isinstance(parent[last], dict):
            parent[last][rng.choice(["typo", "Asn", "x\ny", "neighbors "])] = 1
        elif op == "wrap":
            parent[last] = [parent[last]]
        elif op == "empty" and isinstance(parent[last], list | dict):
            parent[last] = type(parent[last])()
    return doc


CONFIGURATIONS = [d for d in DOCS if d.get("kind") == "FRRConfiguration"]


@st.composite
def damaged_documents(
    draw: st.DrawFn, count: int, mutate: float = 0.5, pool: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """`count` corpus objects (from `pool`, default all), a share `mutate` of them damaged,
    renamed so they do not collide."""
    rng = draw(st.randoms(use_true_random=False))
    out = []
    for index in range(count):
        doc = copy.deepcopy(rng.choice(pool or DOCS))
        if rng.random() < mutate:
            doc = _mutate(doc, rng)
        meta = doc.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str) and doc.get("kind") != "Node":
            meta["name"] = f"{meta['name']}-{index}"[:253]
        out.append(doc)
    return out
