"""Status objects (FRRNodeState, BGPSessionState) and the embedded-mode status files.

Built from plain inputs: the node name, FRR's running config, the last reload/conversion
results (anything with `ok`, `message`, `at`, like `agent.state.Result`) and a
`frr.state.Snapshot`. The wire shape is upstream's (spec §1.3, §1.4, §7) plus documented,
additive fields:

FRRNodeState.status
  runningConfig, lastReloadResult, lastConversionResult   upstream (passwords redacted)
  lastReloadTime, lastConversionTime                      RFC 3339 UTC of those results
  appliedGenerations                                      {"FRRConfiguration/<ns>/<name>": "<generation>"}
                                                          of the objects the running config reflects
                                                          (metadata.generation, or a content hash in
                                                          directory mode); empty until a config applied
  daemons                                                 per FRR daemon: running, restarts,
                                                          lastRestartTime, downSince
  lastRepairResult, lastRepairTime                        the last time FRR's config was put back
  statusWriteError                                        why the last status write failed
  notes                                                   objects the agent skipped and why (at most
                                                          MAX_NOTES lines); absent when none
BGPSessionState.status
  bgpStatus, bfdStatus, node, peer, vrf                   upstream
  receivedPrefixes                                        pre-policy (absent when FRR keeps no
                                                          Adj-RIB-In: no soft-reconfiguration inbound)
  acceptedPrefixes, advertisedPrefixes                    post-policy received / sent
  lastError                                               FRR's last reset/notification reason, if any
  connectionsEstablished, connectionsDropped
  establishedSince                                        RFC 3339 UTC, while Established (stable
                                                          between polls, unlike an uptime)

No password may reach a status file or object: the running config and reload results go
through `redact()` (upstream's `password.*` -> `password <retracted>`), and both sinks write
`status_data()`, which redacts the argument of FRR's secret-taking commands in every string.
Redaction is by position in FRR's syntax, never by searching for known secret values (see
`redact`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ValidationError

from frrnode.agent.state import DaemonStatus
from frrnode.api.core import ObjectMeta
from frrnode.api.v1beta1 import (
    BGPSessionState,
    BGPSessionStateStatus,
    FRRDaemonState,
    FRRNodeState,
    FRRNodeStateStatus,
)
from frrnode.files import write_atomic
from frrnode.frr.state import SessionState, Snapshot

LABEL_NODE = "frrk8s.metallb.io/node"
LABEL_PEER = "frrk8s.metallb.io/peer"
LABEL_VRF = "frrk8s.metallb.io/vrf"
RETRACTED = "<retracted>"

_PASSWORD_RE = re.compile(r"password.*")
MAX_NOTES = 20

# FRR commands whose argument is a secret, and FRR reads it to the end of the line (`password
# LINE`): the neighbor password, key chains' key-string, OSPF/IS-IS/RIP authentication keys.
_FRR_SECRET_ARG_RE = re.compile(
    r"(\bneighbor\s+\S+\s+password\s+"
    r"|\bkey-string\s+"
    r"|\bauthentication-key\s+"
    r"|\bmessage-digest-key\s+\d+\s+md5\s+)"
    r"\S[^\n]*"
)


# ---------------------------------------------------------------- redaction and formatting
#
# By position only: a secret is hidden where FRR's syntax puts one (the argument of
# `password`, `key-string` ...), never by searching for known values. A value search would
# rewrite every occurrence of a short value (a Secret `1` turns `router bgp 64512` into
# `router bgp 645<retracted>2`), and the pattern of holes would give the value away.


def redact(text: str) -> str:
    """Upstream's redaction of FRR text (`password.*` to end of line -> `password <retracted>`),
    for the running config and reload results (upstream's e2e expects `password <retracted>`)."""
    return redact_log(_PASSWORD_RE.sub(f"password {RETRACTED}", text))


def redact_log(text: str) -> str:
    """Log-safe text: the argument of every FRR secret-taking command (FRR echoes failing
    lines in its errors) is replaced. Narrower than `redact()`, whose `password.*` would
    garble ordinary messages such as "multiple passwords specified for <neighbor>"."""
    return _FRR_SECRET_ARG_RE.sub(rf"\g<1>{RETRACTED}", text)


class SecretsLogFilter(logging.Filter):
    """Redacts FRR secrets (by position, `redact_log`) from the records of the loggers it is
    attached to, before any handler: the appliers log FRR's error output, which quotes the
    failing config lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_log(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_log(record.exc_text)
        return True

    def attach(self, prefix: str = "frrnode") -> None:
        """Attach to `prefix` and every existing logger below it (a logger's filters apply only
        to records created on that logger, not to those propagating through it)."""
        names = [n for n in logging.Logger.manager.loggerDict if n == prefix or n.startswith(prefix + ".")]
        for name in {prefix, *names}:
            logging.getLogger(name).addFilter(self)


LOG_FILTER = SecretsLogFilter()
"""The process-wide filter; `agent.wiring` attaches it."""


def format_peer(peer: str) -> str:
    """Peer as upstream labels it: IPv4 verbatim, IPv6 fully expanded with `:` -> `-`,
    anything else (an interface) verbatim."""
    try:
        addr = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if isinstance(addr, ipaddress.IPv6Address):
        return addr.exploded.replace(":", "-")
    return peer


def _rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_NAME_BAD = re.compile(r"[^a-z0-9.-]+")


def _dns_name(*parts: str) -> str:
    """A stable, DNS-subdomain-ish object name (also a safe file name)."""
    name = _NAME_BAD.sub("-", "-".join(p.lower() for p in parts if p)).strip("-.")
    return name[:253] or "unnamed"


# ---------------------------------------------------------------- objects


StatusObject = FRRNodeState | BGPSessionState


class ResultLike(Protocol):
    """A step's outcome; `agent.state.Result` fits."""

    @property
    def ok(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def at(self) -> float: ...


def conversion_result(error: object | None) -> str:
    """Upstream's `lastConversionResult` text for an error (None = success)."""
    return "success" if error is None else f"failed: {error}"


def build_node_state(
    node: str,
    running_config: str,
    last_reload: ResultLike | None = None,
    last_conversion: ResultLike | None = None,
    applied_generations: Mapping[str, str | int] | None = None,
    daemons: Mapping[str, DaemonStatus] | None = None,
    last_repair: ResultLike | None = None,
    status_write_error: str | None = None,
    notes: Iterable[str] = (),
) -> FRRNodeState:
    """The node's FRRNodeState. Results' messages are used verbatim (`success`, FRR's error,
    `failed: ...`), except that FRR's secret arguments are redacted (by position)."""

    def text(r: ResultLike | None, clean: Callable[[str], str] = redact) -> str:
        return "" if r is None else clean("success" if r.ok and not r.message else r.message)

    return FRRNodeState(
        metadata=ObjectMeta(name=node),  # cluster-scoped: no namespace
        status=FRRNodeStateStatus(
            running_config=redact(running_config),
            last_reload_result=_reload_text(text(last_reload), last_reload),
            # Upstream leaves conversion errors unredacted (they quote no password values, see
            # pipeline.merge); `password.*` would cut "multiple passwords specified for X" short.
            last_conversion_result=text(last_conversion, redact_log),
            last_reload_time=_rfc3339(last_reload.at) if last_reload else None,
            last_conversion_time=_rfc3339(last_conversion.at) if last_conversion else None,
            applied_generations={k: str(v) for k, v in sorted((applied_generations or {}).items())},
            notes=_capped(list(notes)) or None,
            daemons={
                name: FRRDaemonState(
                    running=d.running,
                    restarts=d.restarts,
                    last_restart_time=_rfc3339(d.last_restart_at),
                    down_since=_rfc3339(d.down_since),
                )
                for name, d in sorted((daemons or {}).items())
            },
            last_repair_result=text(last_repair) if last_repair is not None else None,
            last_repair_time=_rfc3339(last_repair.at) if last_repair is not None else None,
            status_write_error=status_write_error,
        ),
    )


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[: MAX_NOTES - 1], f"... and {len(notes) - MAX_NOTES + 1} more (see the agent's log)"]


def _reload_text(text: str, result: ResultLike | None) -> str:
    """A failed reload reads `ERROR: ...` like upstream's (frr-reload.py's own output), which
    clients match on (upstream's e2e: "lastReloadResult contains ERROR")."""
    if result is None or result.ok or "ERROR" in text:
        return text
    return f"ERROR: {text}"


def session_name(node: str, vrf: str, peer: str) -> str:
    """Deterministic name (upstream uses generateName `<node>-`; files need stable names)."""
    return _dns_name(node, vrf or "default", format_peer(peer))


def build_session_state(node: str, session: SessionState, namespace: str | None = None) -> BGPSessionState:
    peer = format_peer(session.peer)
    return BGPSessionState(
        metadata=ObjectMeta(
            name=session_name(node, session.vrf, session.peer),
            namespace=namespace or "",
            labels={LABEL_NODE: node, LABEL_PEER: peer, LABEL_VRF: session.vrf},
        ),
        status=BGPSessionStateStatus(
            bgp_status=session.bgp_state,
            bfd_status=session.bfd_status,
            node=node,
            peer=peer,
            vrf=session.vrf,
            received_prefixes=session.received,
            accepted_prefixes=session.accepted,
            advertised_prefixes=session.advertised,
            last_error=session.last_error,
            connections_established=session.connections_established,
            connections_dropped=session.connections_dropped,
            established_since=_rfc3339(session.established_since),
        ),
    )


def build_session_states(
    node: str, sessions: Snapshot | Iterable[SessionState], namespace: str | None = None
) -> list[BGPSessionState]:
    """One BGPSessionState per (vrf, peer), sorted; a duplicate key keeps the first."""
    items = sessions.sessions if isinstance(sessions, Snapshot) else sessions
    out: dict[tuple[str, str], BGPSessionState] = {}
    for s in items:
        out.setdefault((s.vrf, s.peer), build_session_state(node, s, namespace))
    return [out[k] for k in sorted(out)]


# ---------------------------------------------------------------- YAML files


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the running config) as readable `|` blocks."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return redact_log(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    return value


def status_data(model: BaseModel) -> dict[str, Any]:
    """A status object (or its `.status`) as JSON, every string with FRR's secret arguments
    redacted by position: what both sinks write (the files here, the API in `kube.status`), so
    FRR text quoting a failing line is safe wherever it lands (a result, a note, a lastError)."""
    return dict(_redact_strings(model.model_dump(mode="json", by_alias=True, exclude_none=True)))


def to_yaml(obj: StatusObject) -> str:
    data = status_data(obj)
    # Metadata as the API server shows it: no empty namespace (FRRNodeState is cluster-scoped),
    # no empty labels/annotations.
    data["metadata"] = {k: v for k, v in data["metadata"].items() if v not in ("", {}, [])}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)


def file_name(obj: StatusObject) -> str:
    return f"{obj.kind.lower()}-{obj.metadata.name}.yaml"


_SINCE_JITTER = 2.0


def _epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339).timestamp()


def stable_since(
    since: str | None, connections: int | None, seen_since: str | None, seen_connections: int | None
) -> str | None:
    """`establishedSince` to write: the one written before (`seen_*`) for the same connection.

    FRR derives `bgpTimerUpEstablishedEpoch` from a monotonic uptime at every call, so it
    jitters by a second between polls; without this every poll would write. A new connection
    (another `connectionsEstablished`) or a real jump takes the new value."""
    if not since or not seen_since or connections != seen_connections:
        return since
    try:
        drift = abs(_epoch(since) - _epoch(seen_since))
    except ValueError:  # not written by us (an API object edited by someone else)
        return since
    return seen_since if drift <= _SINCE_JITTER else since


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class StatusWriter:
    """Writes status objects into `status_dir`, one YAML file per object.

    Atomic (temp file in the same directory + rename), only when the content changed, and
    `write_sessions` deletes the files of sessions that disappeared.
    """

    def __init__(self, status_dir: str | Path) -> None:
        self.status_dir = Path(status_dir)
        self._since: dict[str, tuple[int | None, str | None]] = {}

    def _stable(self, obj: BGPSessionState) -> BGPSessionState:
        """Keep the `establishedSince` written for one connection (`stable_since`)."""
        st, key = obj.status, obj.metadata.name
        if st.established_since is None:
            self._since.pop(key, None)
            return obj
        seen_connections, seen_since = self._since.get(key, (None, None))
        since = stable_since(st.established_since, st.connections_established, seen_since, seen_connections)
        if since != st.established_since:
            return obj.model_copy(update={"status": st.model_copy(update={"established_since": since})})
        self._since[key] = (st.connections_established, st.established_since)
        return obj

    def _write(self, obj: StatusObject, report: WriteReport) -> str:
        if isinstance(obj, BGPSessionState):
            obj = self._stable(obj)
        name = file_name(obj)
        text = to_yaml(obj)
        path = self.status_dir / name
        try:
            if path.read_text() == text:
                report.unchanged.append(name)
                return name
        except OSError:
            pass
        self.status_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, 0o644)
        report.written.append(name)
        return name

    def write_node_state(self, state: FRRNodeState) -> WriteReport:
        report = WriteReport()
        self._write(state, report)
        return report

    def write_sessions(self, sessions: Iterable[BGPSessionState]) -> WriteReport:
        """Write the complete current set of sessions; files of other sessions are deleted."""
        report = WriteReport()
        keep = {self._write(s, report) for s in sessions}
        for path in sorted(self.status_dir.glob("bgpsessionstate-*.yaml")):
            if path.name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                report.deleted.append(path.name)
        return report

    def write(self, node_state: FRRNodeState | None, sessions: Iterable[BGPSessionState]) -> WriteReport:
        report = self.write_sessions(sessions)
        if node_state is not None:
            r = self.write_node_state(node_state)
            report.written += r.written
            report.unchanged += r.unchanged
        return report


def read_status_dir(status_dir: str | Path) -> tuple[list[FRRNodeState], list[BGPSessionState]]:
    """Parse the status files (for `frrnode status`); unreadable or foreign files are skipped."""
    nodes: list[FRRNodeState] = []
    sessions: list[BGPSessionState] = []
    for path in sorted(Path(status_dir).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        try:
            if data.get("kind") == "FRRNodeState":
                nodes.append(FRRNodeState.model_validate(data))
            elif data.get("kind") == "BGPSessionState":
                sessions.append(BGPSessionState.model_validate(data))
        except ValidationError:
            continue
    return nodes, sessions
