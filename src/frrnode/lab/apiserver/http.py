"""The HTTP face of the double (aiohttp): authentication, routing of resource paths, content
negotiation (JSON, Table, PartialObjectMetadata), warnings headers, and watch streams with
bookmarks, timeouts, initial events and 410 errors as events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from frrnode.lab.apiserver import discovery, protobuf, tables
from frrnode.lab.apiserver.admission import ANONYMOUS, current_user
from frrnode.lab.apiserver.api import Api, Result
from frrnode.lab.apiserver.kinds import ResourceType
from frrnode.lab.apiserver.selectors import (
    fields_match,
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from frrnode.lab.apiserver.status import ApiError, bad_request, method_not_allowed, unauthorized
from frrnode.lab.apiserver.store import Watcher

JSON = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


@dataclass
class HttpKnobs:
    tokens: dict[str, JSON]
    """Bearer token -> userInfo; requests without a known token get 401 (except health and version)."""
    bookmark_interval: float = 60.0
    """Seconds between BOOKMARK events on a quiet watch that asked for them (real: about a minute)."""
    watch_timeout: float = 1800.0
    """Server-side watch timeout when the client sends no timeoutSeconds (real: 30-60 min)."""
    address: str = "127.0.0.1:0"


def encode(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def respond(
    obj: Any, status: int = 200, content_type: str = "application/json", warnings: list[str] | None = None
) -> web.Response:
    # Exactly "application/json" (no charset): lightkube only decodes errors with that header.
    resp = web.Response(body=encode(obj), status=status, content_type=content_type)
    if content_type == TABLE:
        resp.headers["Content-Type"] = TABLE
    for w in warnings or []:
        text = w.replace("\\", "\\\\").replace('"', '\\"')
        resp.headers.add("Warning", f'299 - "{text}"')
    return resp


def error_response(exc: ApiError) -> web.Response:
    return respond(exc.status(), exc.code)


def _wants(request: web.Request) -> str:
    accept = request.headers.get("Accept", "")
    for part in accept.split(","):
        params = {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in part.split(";")[1:])}
        if params.get("g") == "meta.k8s.io" and params.get("v") == "v1":
            if params.get("as") == "Table":
                return "Table"
            if params.get("as") in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return "Partial"
    return "JSON"


class Routes:
    def __init__(self, api: Api, knobs: HttpKnobs) -> None:
        self.api = api
        self.knobs = knobs
        self.requests: list[tuple[str, str]] = []
        """(method, path?query) of every request, for tests."""

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs))
        open_paths = ("/healthz", "/livez", "/readyz", "/version")
        auth = request.headers.get("Authorization", "")
        user = (
            self.knobs.tokens.get(auth.removeprefix("Bearer ").strip())
            if auth.startswith("Bearer ")
            else None
        )
        if user is None and request.path not in open_paths:
            return error_response(unauthorized())
        current_user.set(user or ANONYMOUS)
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        registry = self.api.registry
        if request.path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if request.path == "/version":
            return respond(discovery.VERSION)
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi(parts[2:])
        if parts == ["api"]:
            return respond(discovery.api_versions(self.knobs.address))
        if parts == ["apis"]:
            return respond(discovery.group_list(registry))
        if parts and parts[0] == "api":
            group, version, rest = "", parts[1] if len(parts) > 1 else "", parts[2:]
        elif parts and parts[0] == "apis" and len(parts) >= 2:
            if len(parts) == 2:
                doc = discovery.group(registry, parts[1])
                if doc is None:
                    raise _not_found_path(request.path)
                return respond(doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise _not_found_path(request.path)
        if not rest:
            doc = discovery.resource_list(registry, group, version)
            if doc is None:
                raise _not_found_path(request.path)
            return respond(doc)
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else ""
        rt = registry.get(group, version, plural)
        if rt is None or len(rest) > 3 or (sub and not (sub == "status" and rt.status_subresource)):
            raise _not_found_path(request.path)
        if rt.namespaced and name is not None and namespace is None:
            raise _not_found_path(request.path)
        if not rt.namespaced and namespace is not None:
            raise _not_found_path(request.path)
        return await self._resource(request, rt, namespace, name, sub)

    def _openapi(self, rest: list[str]) -> web.Response:
        registry = self.api.registry
        if not rest:
            return respond(discovery.openapi_root(registry))
        if rest[0] == "api" and len(rest) == 2:
            doc = discovery.openapi_doc(registry, "", rest[1])
        elif rest[0] == "apis" and len(rest) == 3:
            doc = discovery.openapi_doc(registry, rest[1], rest[2])
        else:
            doc = None
        if doc is None:
            raise _not_found_path("/openapi/v3/" + "/".join(rest))
        return respond(doc)

    async def _body(self, request: web.Request) -> Any:
        raw = await request.read()
        if request.headers.get("Content-Type", "").startswith(protobuf.MEDIA):
            return protobuf.decode(raw)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            try:
                import yaml

                return yaml.safe_load(raw)
            except Exception as exc:
                raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc

    async def _resource(
        self, request: web.Request, rt: ResourceType, ns: str | None, name: str | None, sub: str
    ) -> web.StreamResponse:
        query = dict(request.query)
        method = request.method
        api = self.api
        if name is None:
            if method == "GET" and query.get("watch") in ("true", "1"):
                return await self._watch(request, rt, ns, query)
            if method == "GET":
                listed = api.list(rt, ns, query)
                return self._render_list(request, rt, listed)
            if method == "POST":
                if rt.namespaced and ns is None:
                    raise method_not_allowed()
                result = await api.create(rt, ns or "", await self._body(request), query)
                return self._render(request, rt, result)
            if method == "DELETE":
                options = await self._body(request) or {}
                return respond(await api.delete_collection(rt, ns, options, query))
            raise method_not_allowed()
        nsname = ns or ""
        if method == "GET":
            return self._render(request, rt, Result(api.get(rt, nsname, name)))
        if method == "PUT":
            return self._render(
                request, rt, await api.update(rt, nsname, name, await self._body(request), sub, query)
            )
        if method == "PATCH":
            ctype = request.headers.get("Content-Type", "")
            return self._render(
                request, rt, await api.patch(rt, nsname, name, ctype, await request.read(), sub, query)
            )
        if method == "DELETE" and not sub:
            options = await self._body(request) or {}
            return self._render(request, rt, await api.delete(rt, nsname, name, options, query))
        raise method_not_allowed()

    def _render(self, request: web.Request, rt: ResourceType, result: Result) -> web.Response:
        wants = _wants(request)
        if wants == "Table":
            tbl = tables.table(rt, [result.obj], request.query.get("includeObject", "Metadata"))
            return respond(tbl, result.code, TABLE, result.warnings)
        if wants == "Partial":
            return respond(tables.row_object(result.obj, "Metadata"), result.code, warnings=result.warnings)
        return respond(result.obj, result.code, warnings=result.warnings)

    def _render_list(self, request: web.Request, rt: ResourceType, listed: JSON) -> web.Response:
        wants = _wants(request)
        if wants == "Table":
            tbl = tables.table(
                rt,
                listed["items"],
                request.query.get("includeObject", "Metadata"),
                list_meta=listed["metadata"],
            )
            return respond(tbl, content_type=TABLE)
        if wants == "Partial":
            items = [tables.row_object(o, "Metadata") for o in listed["items"]]
            return respond(
                {
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": listed["metadata"],
                    "items": items,
                }
            )
        return respond(listed)

    # ------------------------------------------------------------------ watch

    async def _watch(
        self, request: web.Request, rt: ResourceType, ns: str | None, query: dict[str, str]
    ) -> web.StreamResponse:
        store = self.api.store
        labels = parse_label_selector(query.get("labelSelector", ""))
        getters = rt.field_getters
        fields = parse_field_selector(query.get("fieldSelector", ""), getters)
        scope_ns = ns if rt.namespaced else None

        def accepts(obj: JSON) -> bool:
            meta = obj["metadata"]
            if scope_ns is not None and meta.get("namespace") != scope_ns:
                return False
            return labels_match(labels, meta.get("labels") or {}) and fields_match(fields, obj, getters)

        rv = query.get("resourceVersion", "")
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        initial = query.get("sendInitialEvents") in ("true", "1")
        if initial and (query.get("resourceVersionMatch") != "NotOlderThan" or not bookmarks):
            raise ApiError(
                422,
                "Invalid",
                'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: '
                "Forbidden: sendInitialEvents requires setting resourceVersionMatch to "
                "NotOlderThan, allowWatchBookmarks: Forbidden: sendInitialEvents "
                "requires setting allowWatchBookmarks to true]",
            )
        if rv and not rv.isdigit():
            raise bad_request(f"invalid resource version: {rv}")
        first: list[tuple[str, JSON]] = []
        error: ApiError | None = None
        # No await between reading the state and subscribing: no event can fall in between.
        if initial or rv in ("", "0"):
            first = [("ADDED", o) for o in store.items(rt.storage_key, scope_ns) if accepts(o)]
        else:
            try:
                for ev in store.events_since(rt.storage_key, int(rv)):
                    w = Watcher(accepts)
                    w.offer(ev)
                    while not w.queue.empty():
                        item = w.queue.get_nowait()
                        if item is not None:
                            first.append(item)
            except ApiError as exc:
                error = exc
        watcher = Watcher(accepts)
        if error is None:
            store.subscribe(rt.storage_key, watcher)
        initial_rv = store.rv
        timeout = float(query.get("timeoutSeconds") or self.knobs.watch_timeout)
        deadline = time.monotonic() + timeout
        wants_table = _wants(request) == "Table"
        resp = web.StreamResponse(status=200)
        resp.content_type = "application/json"
        if wants_table:
            resp.headers["Content-Type"] = TABLE
        resp.enable_chunked_encoding()
        headers_sent = False

        def frame(kind: str, obj: JSON) -> bytes:
            nonlocal headers_sent
            if wants_table and kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = tables.table(
                    rt, [obj], request.query.get("includeObject", "Metadata"), headers=not headers_sent
                )
                headers_sent = True
            elif kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = self.api._serve(rt, obj)
            return encode({"type": kind, "object": obj}) + b"\n"

        def bookmark(rv_now: int, end_of_initial: bool = False) -> bytes:
            meta: JSON = {"resourceVersion": str(rv_now)}
            if end_of_initial:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            return (
                encode(
                    {
                        "type": "BOOKMARK",
                        "object": {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": meta},
                    }
                )
                + b"\n"
            )

        try:
            await resp.prepare(request)
            if error is not None:
                await resp.write(encode({"type": "ERROR", "object": error.status()}) + b"\n")
                await resp.write_eof()
                return resp
            for kind, obj in first:
                await resp.write(frame(kind, obj))
            if initial:
                await resp.write(bookmark(initial_rv, end_of_initial=True))
            last_bookmark = time.monotonic()
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = remaining
                if bookmarks:
                    wait = min(
                        wait, max(0.0, last_bookmark + self.knobs.bookmark_interval - time.monotonic())
                    )
                try:
                    item = await asyncio.wait_for(watcher.queue.get(), timeout=wait)
                except TimeoutError:
                    if bookmarks and time.monotonic() >= last_bookmark + self.knobs.bookmark_interval:
                        await resp.write(bookmark(store.rv))
                        last_bookmark = time.monotonic()
                    continue
                if item is None:
                    break
                await resp.write(frame(*item))
            await resp.write_eof()
        except ConnectionResetError:
            pass
        finally:
            store.unsubscribe(rt.storage_key, watcher)
            watcher.closed = True
        return resp


def _not_found_path(path: str) -> ApiError:
    """What the real server answers for a path it does not serve (the path is not in the message)."""
    del path
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})
