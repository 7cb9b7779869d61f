"""`frrnode status` and `frrnode routes`: what the node runs and what it learned.

`status` prints the FRRNodeState and BGPSessionStates from the agent's status directory, or,
with `--pathspace`, reads them live from FRR. `routes` shows per neighbor what FRR received,
what passed the inbound filter and which of those the kernel has (read with `ip -j route`
inside the node's network namespace).
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from frrnode.agent import status as st
from frrnode.api.v1beta1 import BGPSessionState, FRRNodeState, FRRNodeStateStatus
from frrnode.cli import app
from frrnode.errors import FrrError
from frrnode.frr import state
from frrnode.frr.policy import why_not_accepted
from frrnode.frr.tree import Context, parse_config
from frrnode.frr.vtysh import Vtysh

DEFAULT_STATUS_DIR = Path(os.environ.get("FRRNODE_STATUS_DIR", "/run/frrnode/status"))

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

_STATE_STYLE = {"Established": "green", "Up": "green", "Down": "red", "N/A": "dim"}


def _style(value: str) -> str:
    color = _STATE_STYLE.get(value, "yellow")
    return f"[{color}]{escape(value)}[/]"


def _live_objects(pathspace: str | None, node: str) -> tuple[list[FRRNodeState], list[BGPSessionState]]:
    vtysh = Vtysh(pathspace)
    snapshot = state.read_snapshot(vtysh)
    if snapshot.error:
        _err.print(f"[yellow]warning[/] {escape(snapshot.error)}")
    running = vtysh.running_config()
    return [st.build_node_state(node, running)], st.build_session_states(node, snapshot)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def display_peer(peer: str) -> str:
    """A peer as FRR prints it: the status files' IPv6 form (`fd00-0029-...-0004`, upstream's
    label-safe spelling) compressed back (`fd00:29::4`), to keep the table narrow."""
    if peer.count("-") == 7:
        try:
            return str(ipaddress.IPv6Address(peer.replace("-", ":")))
        except ValueError:
            pass
    return peer


def _generation(ref: str, generation: str) -> str:
    kind, _, rest = ref.partition("/")
    return f"{rest if kind == 'FRRConfiguration' else ref} @ {generation}"


def _daemons(s: FRRNodeStateStatus) -> str:
    parts = []
    for name, d in s.daemons.items():
        text = name if d.running else f"[red]{escape(name)} down[/]"
        if d.restarts:
            text += f" [yellow]({d.restarts} restart{'s' if d.restarts > 1 else ''})[/]"
        parts.append(text)
    return ", ".join(parts) or "-"


def print_status(nodes: list[FRRNodeState], sessions: list[BGPSessionState], config: bool) -> None:
    """Tables that stay readable in 80 columns: values wrap at spaces only, never inside a word
    (peers, states and numbers never wrap), and the node is in the title, not a column."""
    for n in nodes:
        t = Table(
            title=f"FRRNodeState {escape(n.metadata.name)}",
            show_header=False,
            title_justify="left",
            box=box.SIMPLE,
            pad_edge=False,
            collapse_padding=True,
        )
        t.add_column("field", style="bold", no_wrap=True)
        t.add_column("value", overflow="fold")
        s = n.status
        t.add_row("conversion", _result(s.last_conversion_result, s.last_conversion_time))
        t.add_row("reload", _result(s.last_reload_result, s.last_reload_time))
        if s.last_repair_result:
            t.add_row("repair", _result(s.last_repair_result, s.last_repair_time, ok=True))
        if s.daemons:
            t.add_row("FRR daemons", _daemons(s))
        if s.status_write_error:
            t.add_row("status files", f"[red]{escape(s.status_write_error)}[/]")
        gens = "\n".join(_generation(k, v) for k, v in s.applied_generations.items())
        t.add_row("applied", escape(gens or "-"))
        lines = s.running_config.count("\n")
        summary = f"{lines} lines (--config to show)"
        t.add_row("running config", escape(s.running_config) if config else summary)
        _out.print(t)
    by_node: dict[str, list[BGPSessionState]] = {}
    for o in sessions:
        by_node.setdefault(o.status.node, []).append(o)
    for node, items in sorted(by_node.items()) or [("", [])]:
        title = f"BGP sessions of {escape(node)}" if node else "BGP sessions"
        t = Table(
            title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
        )
        for col in ("vrf", "peer", "BGP", "BFD", "rcvd", "acc", "adv", "up"):
            t.add_column(col, no_wrap=True, justify="right" if col in ("rcvd", "acc", "adv") else "left")
        t.add_column("last error", overflow="fold", min_width=10)
        for o in items:
            s2 = o.status
            t.add_row(
                escape(s2.vrf or "default"),
                escape(display_peer(s2.peer)),
                _style(s2.bgp_status),
                _style(s2.bfd_status),
                _count(s2.received_prefixes),
                str(s2.accepted_prefixes),
                str(s2.advertised_prefixes),
                _duration(_since(s2.established_since)),
                escape(s2.last_error or ""),
            )
        _out.print(t)
    if sessions:
        _out.print("[dim]rcvd: received before the inbound filter; acc: accepted; adv: advertised[/]")


def _result(text: str, when: str | None, ok: bool = False) -> str:
    if not text:
        return "[dim]-[/]"
    color = "green" if ok or text == "success" else "red"
    return f"[{color}]{escape(text)}[/]" + (f" [dim]({escape(when)})[/]" if when else "")


def _since(rfc3339: str | None) -> float | None:
    if rfc3339 is None:
        return None
    try:
        return max(0.0, time.time() - datetime.fromisoformat(rfc3339).timestamp())
    except ValueError:
        return None


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    return (
        f"{s // 86400}d{s % 86400 // 3600:02d}h"
        if s >= 86400
        else f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
    )


@app.command("status")
def status_command(
    status_dir: Annotated[
        Path, typer.Option("--status-dir", help="The agent's status directory (env FRRNODE_STATUS_DIR).")
    ] = DEFAULT_STATUS_DIR,
    pathspace: Annotated[
        str | None, typer.Option("--pathspace", help="Read live from this FRR instance instead of the files.")
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="Read live from the default FRR instance.")] = False,
    node: Annotated[str, typer.Option("--node", help="Node name for live objects.")] = os.uname().nodename,
    as_json: Annotated[bool, typer.Option("--json", help="Print the objects as JSON.")] = False,
    config: Annotated[
        bool, typer.Option("--config", help="Also print the (redacted) running config.")
    ] = False,
) -> None:
    """Show the node's FRRNodeState and BGPSessionStates."""
    try:
        if pathspace is not None or live:
            nodes, sessions = _live_objects(pathspace, node)
        else:
            if not status_dir.is_dir():
                _err.print(
                    f"[red]error[/] no status directory {escape(str(status_dir))} (is the agent running?)"
                )
                raise typer.Exit(1)
            nodes, sessions = st.read_status_dir(status_dir)
    except FrrError as exc:
        _err.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if as_json:
        objs = [o.model_dump(mode="json", by_alias=True, exclude_none=True) for o in [*nodes, *sessions]]
        typer.echo(json.dumps(objs, indent=2))
        return
    print_status(nodes, sessions, config)


# ---------------------------------------------------------------- routes


def _normalize(prefix: str) -> str:
    if prefix == "default":
        return prefix
    try:
        return str(ipaddress.ip_network(prefix, strict=False))
    except ValueError:
        return prefix


def read_kernel_routes(netns: str | None = None, vrf: str = "") -> dict[str, list[str]]:
    """Kernel routes (IPv4 and IPv6) of the main table, or of a VRF: prefix -> gateways/devices."""
    out: dict[str, list[str]] = {}
    for fam in ("-4", "-6"):
        cmd = ["ip", "-j"]
        if netns:
            cmd += ["-n", netns]
        cmd += [fam, "route", "show"]
        if vrf:
            cmd += ["vrf", vrf]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
        if proc.returncode != 0:
            raise FrrError(f"cannot read kernel routes ({' '.join(cmd)})", proc.stderr.strip())
        for r in json.loads(proc.stdout or "[]"):
            dst = r.get("dst", "")
            if dst == "default":
                dst = "0.0.0.0/0" if fam == "-4" else "::/0"
            hops = [h.get("gateway") or h.get("dev", "") for h in r.get("nexthops", [])] or [
                r.get("gateway") or r.get("dev", "")
            ]
            out.setdefault(_normalize(dst), []).extend(h for h in hops if h)
    return out


def routes_rows(
    nr: state.NeighborRoutes, kernel: dict[str, list[str]] | None, running: Context | None = None
) -> list[dict[str, Any]]:
    """One row per prefix: received / accepted / in the kernel, with next hops; for a route
    received but not accepted, why (`running`: FRR's parsed running config, for the filter)."""
    received = {r.prefix: r for r in nr.received or ()}
    accepted = {r.prefix: r for r in nr.accepted}
    rows = []
    for prefix in sorted(set(received) | set(accepted), key=lambda p: (":" in p, p)):
        route = accepted.get(prefix) or received[prefix]
        in_kernel = None if kernel is None else _normalize(prefix) in kernel
        rows.append(
            {
                "prefix": prefix,
                "nextHops": list(route.next_hops),
                "received": True if prefix in received else (None if nr.received is None else False),
                "accepted": prefix in accepted,
                "kernel": in_kernel,
                "kernelNextHops": (kernel or {}).get(_normalize(prefix), []),
            }
        )
        if prefix in received and prefix not in accepted:
            rows[-1]["notAcceptedBecause"] = why_not_accepted(
                running or Context(""), nr.route_map_in, prefix, route.as_path, nr.local_as
            )
    return rows


def _mark(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "[dim]?[/]"}[value]


@app.command("routes")
def routes_command(
    neighbor: Annotated[
        str | None, typer.Option("--neighbor", help="Only this neighbor (as FRR prints it).")
    ] = None,
    vrf: Annotated[str, typer.Option("--vrf", help="VRF name ('' or 'default' for the default VRF).")] = "",
    pathspace: Annotated[str | None, typer.Option("--pathspace", help="FRR instance (vtysh -N).")] = None,
    netns: Annotated[
        str | None, typer.Option("--netns", help="Network namespace of the node's kernel.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    advertised: Annotated[
        bool, typer.Option("--advertised", help="Also list what is sent to the peer.")
    ] = False,
) -> None:
    """Per neighbor: routes received, accepted by the filter, and installed in the kernel."""
    vrf = "" if vrf == state.DEFAULT_VRF else vrf
    vtysh = Vtysh(pathspace)
    try:
        if neighbor is None:
            peers = [s.peer for s in state.read_sessions(vtysh, received=False) if s.vrf == vrf]
        else:
            peers = [neighbor]
        tables = [nr for p in peers for nr in state.read_routes(vtysh, p, vrf)]
        running = parse_config(vtysh.running_config())
    except LookupError as exc:
        _err.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except FrrError as exc:
        _err.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    try:
        kernel: dict[str, list[str]] | None = read_kernel_routes(netns, vrf)
    except (FrrError, OSError, ValueError) as exc:
        _err.print(f"[yellow]warning[/] kernel routes unavailable: {escape(str(exc))}")
        kernel = None
    if as_json:
        doc = [
            {
                "vrf": nr.vrf,
                "peer": nr.peer,
                "family": nr.family,
                "receivedKnown": nr.received is not None,
                "routes": routes_rows(nr, kernel, running),
                **({"advertised": [r.prefix for r in nr.advertised]} if advertised else {}),
            }
            for nr in tables
        ]
        typer.echo(json.dumps(doc, indent=2))
        return
    for nr in tables:
        title = f"{escape(nr.peer)} [dim]vrf {escape(nr.vrf or 'default')} {escape(nr.family)}[/]"
        t = Table(
            title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
        )
        rows = routes_rows(nr, kernel, running)
        for col in ("prefix", "next hop", "received", "accepted", "kernel"):
            t.add_column(col, no_wrap=True)
        t.add_column("why not accepted", overflow="fold", min_width=10)
        for row in rows:
            t.add_row(
                escape(row["prefix"]),
                escape(", ".join(row["nextHops"])),
                _mark(row["received"]),
                _mark(row["accepted"]),
                _mark(row["kernel"]),
                escape(row.get("notAcceptedBecause", "")),
            )
        _out.print(t)
        if nr.received is None:
            _out.print(
                "[dim]  received (pre-policy) unknown: no soft-reconfiguration inbound for this neighbor[/]"
            )
        if advertised:
            _out.print("  advertised: " + (escape(", ".join(r.prefix for r in nr.advertised)) or "-"))
