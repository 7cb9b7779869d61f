"""The API status sink: creates through generateName and the status subresource, writes only
on change, retries 409 after re-reading, deletes gone and duplicate sessions, leaks no secret.
The client is an in-memory stand-in with the API server's optimistic concurrency."""

from __future__ import annotations

import asyncio
import copy
import itertools
from dataclasses import replace
from typing import Any

import pytest
from lightkube.core.exceptions import ApiError
from lightkube.core.internal_models import meta_v1

from frrnode.agent.status import build_node_state, build_session_states
from frrnode.frr.state import SessionState
from frrnode.kube import resources as r
from frrnode.kube.status import ApiStatusSink, _Desired, status_of

NS = "frr-k8s-system"


def _error(code: int) -> ApiError:
    return ApiError(status=meta_v1.Status(code=code, message=f"HTTP {code}"))


class FakeClient:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.rv = itertools.count(1)
        self.calls: list[str] = []
        self.names = itertools.count(1)
        self.fail_deletes = 0
        """An HTTP code every delete fails with (0: none)."""

    def _kind(self, res: Any) -> str:
        return str(res._api_info.resource.kind)

    async def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(dict(obj))
        meta = obj["metadata"]
        if "name" not in meta:
            meta["name"] = meta.pop("generateName") + f"x{next(self.names)}"
        key = (obj["kind"], meta.get("namespace", ""), meta["name"])
        if key in self.objects:
            raise _error(409)
        meta["resourceVersion"] = str(next(self.rv))
        obj.pop("status", None)  # the status subresource: ignored on create
        self.objects[key] = obj
        self.calls.append(f"create {obj['kind']}")
        return copy.deepcopy(obj)

    async def get(self, res: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        key = (self._kind(res), namespace or "", name)
        if key not in self.objects:
            raise _error(404)
        return copy.deepcopy(self.objects[key])

    async def replace(self, obj: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        obj = dict(obj)
        key = (obj["kind"], namespace or "", name)
        stored = self.objects[key]
        if obj["metadata"]["resourceVersion"] != stored["metadata"]["resourceVersion"]:
            raise _error(409)
        stored["status"] = copy.deepcopy(obj["status"])
        stored["metadata"]["resourceVersion"] = str(next(self.rv))
        self.calls.append(f"status {obj['kind']}")
        return copy.deepcopy(stored)

    async def delete(self, res: Any, name: str, namespace: str | None = None) -> None:
        if self.fail_deletes:
            raise _error(self.fail_deletes)
        if self.objects.pop((self._kind(res), namespace or "", name), None) is None:
            raise _error(404)
        self.calls.append(f"delete {self._kind(res)}")

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _, _), o in sorted(self.objects.items()) if k == kind]


def session(peer: str, state: str = "Established", since: int | None = 1_700_000_000) -> SessionState:
    return SessionState(
        vrf="",
        peer=peer,
        bgp_state=state,
        bfd_status="N/A",
        established_since=since,
        connections_established=1,
    )


class Result:
    ok, message, at = True, "success", 1_700_000_000.0


def desired(sessions: list[SessionState], running: str = "router bgp 64512\n") -> _Desired:
    node = build_node_state("n1", running, last_reload=Result(), last_conversion=Result())
    states = build_session_states("n1", sessions, namespace=NS)
    return _Desired(status_of(node), {(s.status.vrf, s.status.peer): status_of(s) for s in states})


def sink_with(client: FakeClient) -> ApiStatusSink:
    sink = ApiStatusSink(client, "n1", NS)  # type: ignore[arg-type]
    sink.client = client  # type: ignore[assignment]
    return sink


def mirror(sink: ApiStatusSink, client: FakeClient) -> None:
    """What the sink's informers would show: the server's objects."""
    sink.node_states.begin()
    for obj in client.of_kind("FRRNodeState"):
        sink.node_states.stage(copy.deepcopy(obj))
    sink.node_states.commit()
    sink.session_states.begin()
    for obj in client.of_kind("BGPSessionState"):
        sink.session_states.stage(copy.deepcopy(obj))
    sink.session_states.commit()


def test_first_sync_creates_then_steady_state_writes_nothing() -> None:
    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        await sink.sync(desired([session("172.30.0.2"), session("fc00::3")]))
        assert client.calls.count("create BGPSessionState") == 2
        assert client.calls.count("status BGPSessionState") == 2
        assert client.calls[:2] == ["create FRRNodeState", "status FRRNodeState"]
        sessions = client.of_kind("BGPSessionState")
        assert all(o["metadata"]["name"].startswith("n1-") for o in sessions)
        labels = sorted(o["metadata"]["labels"]["frrk8s.metallb.io/peer"] for o in sessions)
        assert labels == ["172.30.0.2", "fc00-0000-0000-0000-0000-0000-0000-0003"]
        assert sessions[0]["status"]["bgpStatus"] == "Established"
        node = client.of_kind("FRRNodeState")[0]
        assert node["status"]["lastConversionResult"] == "success"

        before = len(client.calls)
        mirror(sink, client)
        for _ in range(3):
            # Same FRR state; FRR's established time jitters by a second between polls.
            await sink.sync(desired([session("172.30.0.2", since=1_700_000_001), session("fc00::3")]))
        assert client.calls[before:] == []

    asyncio.run(body())


def test_changed_and_gone_sessions_and_duplicates() -> None:
    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        await sink.sync(desired([session("172.30.0.2"), session("172.30.0.3")]))
        # A duplicate for .2 (e.g. a crash between create and status) appears.
        await client.create(
            {
                "kind": "BGPSessionState",
                "apiVersion": r.API_VERSION,
                "metadata": {
                    "generateName": "n1-",
                    "namespace": NS,
                    "labels": {
                        "frrk8s.metallb.io/node": "n1",
                        "frrk8s.metallb.io/peer": "172.30.0.2",
                        "frrk8s.metallb.io/vrf": "",
                    },
                },
            }
        )
        mirror(sink, client)
        client.calls.clear()
        await sink.sync(desired([session("172.30.0.2", state="Active", since=None)]))
        assert sorted(client.calls) == [
            "delete BGPSessionState",
            "delete BGPSessionState",
            "status BGPSessionState",
        ]
        left = client.of_kind("BGPSessionState")
        assert len(left) == 1 and left[0]["status"]["bgpStatus"] == "Active"

    asyncio.run(body())


def test_a_failed_delete_is_retried_and_a_gone_object_is_fine() -> None:
    """A session object the API refused to delete (403, 500 ...) stays known and is deleted on
    the next pass; one someone else deleted already (404) is simply gone."""

    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        await sink.sync(desired([session("172.30.0.2"), session("172.30.0.3")]))
        mirror(sink, client)
        client.fail_deletes = 500
        with pytest.raises(ApiError):
            await sink.sync(desired([session("172.30.0.2")]))
        assert len(client.of_kind("BGPSessionState")) == 2
        client.fail_deletes = 0
        await sink.sync(desired([session("172.30.0.2")]))
        left = client.of_kind("BGPSessionState")
        assert [o["metadata"]["labels"]["frrk8s.metallb.io/peer"] for o in left] == ["172.30.0.2"]
        # Deleted by someone else while our cache still has it: no error, and forgotten.
        (obj,) = client.of_kind("BGPSessionState")
        client.objects.pop(("BGPSessionState", NS, obj["metadata"]["name"]))
        await sink.sync(desired([]))
        assert sink.session_states.objects == {}

    asyncio.run(body())


def test_a_generated_name_taken_is_the_api_error() -> None:
    """A 409 on a generateName create (the server's generated name collided) propagates as the
    API's error for the sink's backoff, not as a lookup of a name the body does not have."""

    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        await sink.sync(desired([session("172.30.0.2")]))
        mirror(sink, client)
        client.names = itertools.count(1)  # the next generated name is taken
        with pytest.raises(ApiError):
            await sink.sync(desired([session("172.30.0.2"), session("172.30.0.3")]))

    asyncio.run(body())


def test_conflict_rereads_and_retries() -> None:
    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        await sink.sync(desired([]))
        mirror(sink, client)
        # Someone else writes the object: our cached resourceVersion is now stale.
        key = ("FRRNodeState", "", "n1")
        client.objects[key]["metadata"]["resourceVersion"] = "999"
        await sink.sync(desired([], running="router bgp 64999\n"))
        assert sink.stats.conflicts == 1
        assert "64999" in client.objects[key]["status"]["runningConfig"]

    asyncio.run(body())


@pytest.mark.parametrize("where", ["running", "error"])
def test_secrets_are_redacted_by_position_before_the_api(where: str) -> None:
    """FRR's secret arguments never reach the API, wherever they appear (the running config, or
    FRR's error text quoting a failing line); by position only, so a short password `1` does not
    punch holes in `router bgp 64512` (issue 9, defect 5)."""

    async def body() -> None:
        client = FakeClient()
        sink = sink_with(client)
        running = "router bgp 64512\n neighbor 1.2.3.4 password 1\n"
        peer = session("1.2.3.4")
        if where == "error":
            running = "router bgp 64512\n"
            peer = replace(peer, last_error="line 2: % Unknown command: neighbor 1.2.3.4 password 1")
        sink.write(build_node_state("n1", running), build_session_states("n1", [peer], namespace=NS))
        assert sink._desired is not None
        await sink.sync(sink._desired)
        stored = str(client.objects)
        assert "password 1" not in stored and "password <retracted>" in stored
        assert "router bgp 64512" in stored

    asyncio.run(body())
