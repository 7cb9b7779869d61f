"""Validating admission: the webhooks of the ValidatingWebhookConfiguration objects in the store,
called over HTTPS with an AdmissionReview v1, as the real API server's admission plugin does.

Implemented: rules (operations, apiGroups, apiVersions, resources incl. `*`, `*/*`, `x/status`,
scope), namespaceSelector, objectSelector, `clientConfig.url` and `clientConfig.service`
(namespace, name, path, port; the service is mapped to a local address through the
`service_endpoints` knob, the certificate is checked for `<name>.<namespace>.svc` as the real
server does), `caBundle`, `timeoutSeconds` (default 10 s, sent as `?timeout=10s`),
`failurePolicy` (Fail, the default, or Ignore), `sideEffects` for dry runs, warnings (returned
to the client as `Warning:` headers), denials reported as "admission webhook \"<name>\" denied
the request: <message>" with the webhook's code and reason. Not implemented: matchConditions
(CEL), matchPolicy Equivalent conversions, mutating webhooks (stored but never called),
reinvocation; webhooks are called one after another, not in parallel.
"""

from __future__ import annotations

import base64
import contextvars
import json
import ssl
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
from yarl import URL

from frrnode.lab.apiserver.kinds import ResourceType
from frrnode.lab.apiserver.selectors import labels_match, selector_from_object
from frrnode.lab.apiserver.status import ApiError, internal
from frrnode.lab.apiserver.store import Store

JSON = dict[str, Any]
WEBHOOKS = ("admissionregistration.k8s.io", "validatingwebhookconfigurations")

ANONYMOUS: JSON = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
current_user: contextvars.ContextVar[JSON | None] = contextvars.ContextVar("current_user", default=None)


def _resource_matches(patterns: list[str], plural: str, sub: str) -> bool:
    full = f"{plural}/{sub}" if sub else plural
    for p in patterns:
        if p == "*/*" or p == full:
            return True
        if p == "*" and not sub:
            return True
        head, _, tail = p.partition("/")
        if tail and sub and (head in ("*", plural)) and (tail in ("*", sub)):
            return True
    return False


def rule_matches(rule: JSON, op: str, rt: ResourceType, sub: str) -> bool:
    ops = rule.get("operations") or []
    if "*" not in ops and op not in ops:
        return False
    groups = rule.get("apiGroups") or []
    if "*" not in groups and rt.group not in groups:
        return False
    versions = rule.get("apiVersions") or []
    if "*" not in versions and rt.version not in versions:
        return False
    if not _resource_matches(rule.get("resources") or [], rt.plural, sub):
        return False
    scope = rule.get("scope", "*")
    return bool(scope == "*" or (scope == "Namespaced") == rt.namespaced)


class Admission:
    def __init__(
        self,
        store: Store,
        service_endpoints: dict[str, tuple[str, int]] | None = None,
        default_timeout: float = 10.0,
    ) -> None:
        self.store = store
        self.service_endpoints: dict[str, tuple[str, int]] = dict(service_endpoints or {})
        """`<service>.<namespace>` -> (host, port): where a webhook Service reference is sent."""
        self.default_timeout = default_timeout
        self.calls: list[JSON] = []
        """Every AdmissionReview request sent (for tests), with the webhook name."""
        self.on_call: Callable[[JSON], None] | None = None

    async def __call__(
        self,
        op: str,
        rt: ResourceType,
        ns: str,
        name: str,
        obj: JSON | None,
        old: JSON | None,
        dry: bool,
        sub: str,
    ) -> list[str]:
        warnings: list[str] = []
        for cfg in self.store.items(WEBHOOKS):
            for hook in cfg.get("webhooks") or []:
                if not self._selected(hook, op, rt, ns, obj, old, sub):
                    continue
                if dry and hook.get("sideEffects") not in ("None", "NoneOnDryRun"):
                    raise ApiError(
                        400, "BadRequest", f'admission webhook "{hook.get("name")}" does not support dry run'
                    )
                warnings += await self._call(hook, op, rt, ns, name, obj, old, dry, sub)
        return warnings

    def _selected(
        self, hook: JSON, op: str, rt: ResourceType, ns: str, obj: JSON | None, old: JSON | None, sub: str
    ) -> bool:
        if not any(rule_matches(r, op, rt, sub) for r in hook.get("rules") or []):
            return False
        ns_sel = selector_from_object(hook.get("namespaceSelector"))
        if ns_sel:
            if rt.namespaced:
                nsobj = self.store.get(("", "namespaces"), "", ns)
                if not labels_match(ns_sel, (nsobj or {}).get("metadata", {}).get("labels") or {}):
                    return False
            elif rt.plural == "namespaces" and rt.group == "":
                target = obj or old or {}
                if not labels_match(ns_sel, target.get("metadata", {}).get("labels") or {}):
                    return False
        obj_sel = selector_from_object(hook.get("objectSelector"))
        if obj_sel:
            candidates = [o for o in (obj, old) if o is not None]
            if not any(labels_match(obj_sel, o.get("metadata", {}).get("labels") or {}) for o in candidates):
                return False
        return True

    def _target(self, hook: JSON) -> tuple[str, str, str]:
        """(URL as the real server would show it, URL to connect to, TLS server name)."""
        cc = hook.get("clientConfig") or {}
        timeout = int(hook.get("timeoutSeconds") or self.default_timeout)
        if cc.get("url"):
            url = URL(str(cc["url"])).update_query({"timeout": f"{timeout}s"})
            return str(url), str(url), url.host or ""
        svc = cc.get("service") or {}
        server = f"{svc.get('name', '')}.{svc.get('namespace', '')}.svc"
        port = int(svc.get("port") or 443)
        path = svc.get("path") or "/"
        shown = f"https://{server}:{port}{path}?timeout={timeout}s"
        host, real_port = self.service_endpoints.get(
            f"{svc.get('name')}.{svc.get('namespace')}", (server, port)
        )
        return shown, f"https://{host}:{real_port}{path}?timeout={timeout}s", server

    def _ssl(self, hook: JSON) -> ssl.SSLContext:
        ca = (hook.get("clientConfig") or {}).get("caBundle")
        ctx = ssl.create_default_context()
        if ca:
            ctx = ssl.create_default_context(cadata=base64.b64decode(ca).decode())
        return ctx

    async def _call(
        self,
        hook: JSON,
        op: str,
        rt: ResourceType,
        ns: str,
        name: str,
        obj: JSON | None,
        old: JSON | None,
        dry: bool,
        sub: str,
    ) -> list[str]:
        hook_name = str(hook.get("name", ""))
        shown, url, server_name = self._target(hook)
        uid = str(uuid.uuid4())
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        gvr = {"group": rt.group, "version": rt.version, "resource": rt.plural}
        request: JSON = {
            "uid": uid,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": name,
            "operation": op,
            "userInfo": current_user.get() or ANONYMOUS,
            "object": obj,
            "oldObject": old,
            "dryRun": dry,
            "options": {
                "apiVersion": "meta.k8s.io/v1",
                "kind": {"CREATE": "CreateOptions", "UPDATE": "UpdateOptions"}.get(op, "DeleteOptions"),
            },
        }
        if sub:
            request["subResource"] = sub
        if rt.namespaced:
            request["namespace"] = ns
        review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
        self.calls.append({"webhook": hook_name, **request})
        if self.on_call is not None:
            self.on_call(request)
        timeout = int(hook.get("timeoutSeconds") or self.default_timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session,
                session.post(
                    url,
                    data=json.dumps(review).encode(),
                    ssl=self._ssl(hook),
                    server_hostname=server_name,
                    headers={"Content-Type": "application/json", "Accept": "application/json"},
                ) as resp,
            ):
                body = await resp.read()
                if resp.status != 200:
                    raise _CallError(
                        f"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, "
                        f"got {resp.status} {resp.reason}: {body[:200]!r}"
                    )
                answer = json.loads(body)
        except TimeoutError:
            return self._failed(hook, f'failed to call webhook: Post "{shown}": context deadline exceeded')
        except aiohttp.ClientConnectorCertificateError as exc:
            return self._failed(
                hook,
                f'failed to call webhook: Post "{shown}": tls: failed to verify '
                f"certificate: {exc.certificate_error}",
            )
        except aiohttp.ClientError as exc:
            return self._failed(hook, f'failed to call webhook: Post "{shown}": {exc}')
        except (_CallError, ValueError) as exc:
            return self._failed(hook, f"received invalid webhook response: {exc}")
        response = answer.get("response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            return self._failed(hook, "received invalid webhook response: response is missing")
        if response.get("uid") != uid:
            return self._failed(
                hook,
                f"received invalid webhook response: expected response.uid={uid!r}, "
                f"got {response.get('uid')!r}",
            )
        warnings = [str(w) for w in response.get("warnings") or []]
        if response.get("allowed"):
            return warnings
        status = response.get("status") or {}
        denied = f'admission webhook "{hook_name}" denied the request'
        message = status.get("message") or status.get("reason")
        code = int(status.get("code") or 400)
        raise ApiError(
            code if code >= 400 else 400,
            str(status.get("reason", "")),
            f"{denied}: {message}" if message else f"{denied} without explanation",
        )

    def _failed(self, hook: JSON, why: str) -> list[str]:
        if hook.get("failurePolicy", "Fail") == "Ignore":
            return []
        raise internal(f'failed calling webhook "{hook.get("name")}": {why}')


class _CallError(Exception):
    pass
