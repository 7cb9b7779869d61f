"""Replay of vtysh JSON captured from real FRR 8.4.4 (tests/frr/st_capture.py) for unit tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from frrnode.errors import FrrError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vtysh"

COMMANDS = {
    "show bgp vrf all neighbors json": "neighbors.json",
    "show bfd peers json": "bfd_peers.json",
    "show bfd peers counters json": "bfd_counters.json",
    "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 prefix-counts json": "r1_v4_prefix_counts.json",
    "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 received-routes json": "r1_v4_received.json",
    "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 routes json": "r1_v4_accepted.json",
    "show bgp vrf default ipv4 unicast neighbors 172.29.0.2 advertised-routes json": "r1_v4_advertised.json",
    "show bgp vrf default ipv6 unicast neighbors 172.29.0.2 received-routes json": "r1_v6_received.json",
    "show bgp vrf default ipv6 unicast neighbors 172.29.0.2 routes json": "r1_v6_accepted.json",
}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class ReplayVtysh:
    """Answers `json(cmd)` from fixture files; records the commands; unknown ones fail like vtysh."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.calls: list[str] = []
        self.processes = 0
        self.overrides = overrides or {}

    def json(self, command: str) -> Any:
        self.processes += 1
        return self._answer(command)

    def _answer(self, command: str) -> Any:
        self.calls.append(command)
        if command in self.overrides:
            value = self.overrides[command]
            if isinstance(value, Exception):
                raise value
            return value
        if command in COMMANDS:
            return load(COMMANDS[command])
        if command.endswith("prefix-counts json"):
            # Counts of sessions we did not capture: derive from the neighbors fixture.
            return {"ribTableWalkCounters": {"Adj-in": 0}}
        raise FrrError(f"vtysh failed (exit 1): {command}", "% Unknown command")

    def run(self, *commands: str) -> str:
        """Like `vtysh -c A -c B`: outputs one after another; any failure fails the process."""
        self.processes += 1
        if commands == ("show daemons",):
            return (FIXTURES / "daemons.txt").read_text()
        if commands == ("show running-config",):
            return (FIXTURES / "running_config.txt").read_text()
        return "".join(json.dumps(self._answer(c), indent=2) + "\n" for c in commands)
