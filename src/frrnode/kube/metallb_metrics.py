"""/metrics of MetalLB's two processes in Kubernetes mode: the `metallb_*` families (spec §6.4)
that the embedded agent serves, each from the process that owns them, as upstream:

- the speaker: its node's MetalLB peers' BGP and BFD series, `metallb_speaker_announced` and
  the config gauges. The BGP/BFD series are the agent's `frrk8s_bgp_*` / `frrk8s_bfd_*` of the
  node, read from the agent's /metrics (both run on the host network), renamed and relabelled
  exactly as in the embedded mode (`frrnode.metallb.metrics`): the speaker needs no access to
  FRR and no rights of the agent.
- the controller: the config gauges and the allocator's pool gauges.

Computed at scrape time; the agent's /metrics is read at most every `max_age` seconds.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import generate_latest

from frrnode.agent.metrics import Family, exposition_text
from frrnode.metallb.metrics import families
from frrnode.metallb.stage import StageState

log = logging.getLogger(__name__)

_FRR_PREFIXES = ("frrk8s_bgp_", "frrk8s_bfd_")


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}


def frr_families_from_text(text: str) -> list[Family]:
    """The agent's `frrk8s_bgp_*` / `frrk8s_bfd_*` families of a /metrics text, with their names
    exactly as written (`agent.metrics.exposition_text`; prometheus_client's parser would add
    `_total` to counters that upstream names without it)."""
    helps: dict[str, str] = {}
    types: dict[str, str] = {}
    samples: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            helps[name] = help_
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            types[name] = kind.strip()
        elif line.startswith(_FRR_PREFIXES):
            match = _SAMPLE.match(line)
            if match is None:
                continue
            labels = tuple(
                (k, re.sub(r"\\[\\n\"]", lambda m: _UNESCAPE[m.group(0)], v))
                for k, v in _LABEL.findall(match.group(2) or "")
            )
            samples.setdefault(match.group(1), []).append((labels, float(match.group(3))))
    return [Family(n, types.get(n, "gauge"), helps.get(n, ""), tuple(s)) for n, s in samples.items()]


class MetalLBMetrics:
    """`exposition()` for `agent.metrics.MetricsServer`: process series and the `metallb_*` ones
    of `state()` (the speaker's or the controller's), with the agent's FRR series when
    `agent_metrics` (a URL) is given."""

    def __init__(
        self, state: Callable[[], StageState], agent_metrics: str | None = None, max_age: float = 2.0
    ) -> None:
        self.state = state
        self.agent_metrics = agent_metrics
        self.max_age = max_age
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        self._lock = threading.Lock()
        self._frr: list[Family] = []
        self._read_at = float("-inf")

    def _frr_families(self) -> list[Family]:
        if self.agent_metrics is None:
            return []
        with self._lock:
            if time.monotonic() - self._read_at >= self.max_age:
                self._read_at = time.monotonic()
                try:
                    with urllib.request.urlopen(self.agent_metrics, timeout=2.0) as response:
                        self._frr = frr_families_from_text(response.read().decode())
                except (OSError, ValueError) as exc:
                    # No agent (yet): the sessions' series are absent, as when FRR is unreachable.
                    log.warning("cannot read the agent's metrics at %s: %s", self.agent_metrics, exc)
                    self._frr = []
            return self._frr

    def exposition(self) -> bytes:
        fams = [Family(*f) for f in families(self._frr_families(), self.state())]
        return generate_latest(self.registry) + exposition_text(fams).encode()
