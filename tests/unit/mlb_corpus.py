"""The MetalLB corpus (../shared/compat-metallb beside the checkout): cases and session replays.

`replay(session_input)` drives frrnode's session layer with the calls a MetalLB Go test made
(`session_input.yaml`), so the FRR backends can be compared with upstream's goldens byte for byte.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from frrnode.api.v1beta1 import parse_duration
from frrnode.metallb.community import parse_community
from frrnode.metallb.sessions import Advertisement, BFDProfile, SessionParams, SessionState

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "compat-metallb"


def cases(mode: str) -> list[Any]:
    """(case_dir, case.yaml) per case of `mode` (frrk8s or native), as pytest params with ids."""
    found = []
    for case_dir in sorted((CORPUS / mode).iterdir()):
        case = yaml.safe_load((case_dir / "case.yaml").read_text())
        found.append(pytest.param(case_dir, case, id=case_dir.name))
    return found


def _duration(value: str | None) -> int | None:
    return None if value is None else parse_duration(value)


def session_params(p: dict[str, Any]) -> SessionParams:
    ref = p["PasswordRef"]
    return SessionParams(
        peer_address=p["PeerAddress"] or "",
        peer_port=p["PeerPort"],
        peer_interface=p["PeerInterface"],
        source_address=p["SourceAddress"] or "",
        my_asn=p["MyASN"],
        router_id=p["RouterID"] or "",
        peer_asn=p["PeerASN"],
        dynamic_asn=p["DynamicASN"],
        hold_time=_duration(p["HoldTime"]),
        keepalive_time=_duration(p["KeepAliveTime"]),
        connect_time=_duration(p["ConnectTime"]),
        password=p["Password"],
        password_ref=(ref["Name"], ref["Namespace"]),
        bfd_profile=p["BFDProfile"],
        graceful_restart=p["GracefulRestart"],
        ebgp_multihop=p["EBGPMultiHop"],
        vrf=p["VRFName"],
        session_name=p["SessionName"],
        dual_stack=p["DualStackAddressFamily"],
        disable_mp=p["DisableMP"],
        local_asn=p["LocalASN"],
    )


def _bfd(p: dict[str, Any]) -> BFDProfile:
    return BFDProfile(
        name=p["Name"],
        receive_interval=p["ReceiveInterval"],
        transmit_interval=p["TransmitInterval"],
        detect_multiplier=p["DetectMultiplier"],
        echo_interval=p["EchoInterval"],
        echo_mode=p["EchoMode"],
        passive_mode=p["PassiveMode"],
        minimum_ttl=p["MinimumTTL"],
    )


def replay(session_input: dict[str, Any]) -> SessionState:
    """The session manager's state at `CompareWithGolden` (steps of one repetition)."""
    state = SessionState()
    sessions: dict[str, SessionParams] = {}
    for step in session_input["steps"]:
        op = step["op"]
        if op == "NewSession":
            sessions[step["session"]] = session_params(step["params"])
            state.new_session(sessions[step["session"]])
        elif op == "Set":
            advs = tuple(
                Advertisement(
                    prefix=a["Prefix"],
                    local_pref=a["LocalPref"],
                    communities=tuple(parse_community(c) for c in a["Communities"]),
                    peers=tuple(a["Peers"]),
                )
                for a in step["advertisements"]
            )
            state.set(sessions[step["session"]], advs)
        elif op == "Close":
            state.close(sessions[step["session"]])
        elif op == "SyncBFDProfiles":
            state.sync_bfd_profiles({name: _bfd(p) for name, p in step["profiles"].items()})
        elif op == "SyncExtraInfo":
            state.extras = step["extras"]
        elif op == "CompareWithGolden":
            return state
        elif op not in ("ReloadCurrentConfig", "ValidateWithFRRReload"):
            raise AssertionError(f"unknown op {op}")
    return state
