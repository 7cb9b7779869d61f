"""A Kubernetes API server test double (a real kube-apiserver cannot run on these machines).

It speaks the real protocol to the real clients — kubectl v1.32 and lightkube — over HTTPS on
127.0.0.1 with a self-signed CA and a bearer token (kubeconfig written by `start()`).

Implemented
- Discovery: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version> (legacy,
  unaggregated documents, as servers before 1.26: kubectl falls back to them), including every
  served version of the CustomResourceDefinitions stored; /openapi/v3 (paths with the
  `fieldValidation` parameter and the CRD schemas, enough for kubectl's server-side validation
  and `kubectl explain`); /healthz, /livez, /readyz.
- Built-in kinds: Namespace, Node, Pod, Secret, ConfigMap, Service, ServiceAccount, Event,
  EndpointSlice, DaemonSet, Deployment, (Cluster)Role(Binding), Validating/MutatingWebhookConfiguration,
  CustomResourceDefinition, Lease. They are stored as given (no schema validation besides
  metadata; no controllers: Deployments get no Pods, Services no endpoints).
- CRUD: get, list, create (generateName), update (PUT), patch (JSON merge, JSON patch,
  strategic merge for built-in kinds, server-side apply approximated), delete (finalizers,
  preconditions, namespace contents, ownerReferences cascade), deletecollection; dryRun=All.
- Metadata: uid, resourceVersion (one global counter, like etcd's revision),
  creationTimestamp, generation (CRs, CRDs, workloads: bumped only when something other than
  metadata — and status, with a status subresource — changes); no-op writes are not written
  (no new resourceVersion, no event); managedFields are not kept.
- Status subresource: writes to the main resource ignore status, writes to /status ignore
  everything else; create drops the status of custom resources (as the real server).
- 409 Conflict for a stale resourceVersion on update/patch; updates of custom resources
  without resourceVersion are refused (422) as the real server does.
- Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (metadata.name,
  metadata.namespace, a few built-in ones, CRD selectableFields); limit/continue pagination
  (later pages read the current state, not a snapshot).
- Watch: from a resourceVersion, from "" / "0" (initial ADDED events), sendInitialEvents with the
  initial-events-end bookmark, BOOKMARKs every `bookmark_interval` when asked, timeoutSeconds,
  objects entering/leaving a selection reported ADDED/DELETED; a resourceVersion older than the
  kept history gets an ERROR event with a 410 Expired Status (knob: `compact()`).
- Custom resources: pruning of unknown fields, `fieldValidation=Strict` (kubectl's default)
  refuses them with the real message ("strict decoding error: unknown field \"spec.x\""),
  `Warn` (the default) answers them as Warning headers; defaults; OpenAPI value validation with
  the real 422 messages. CEL rules (x-kubernetes-validations) are NOT evaluated.
- Validating admission webhooks from stored ValidatingWebhookConfigurations (see admission.py).
- Server-side printing (Table) for `kubectl get`, with CRD printer columns.
- Protobuf request bodies of Namespace, Secret and ConfigMap (what `kubectl create namespace|
  secret|configmap` send, protobuf.py); any other protobuf body is refused with 415.
- Knobs (`Knobs`, `ApiServerDouble` methods): bookmark interval, default watch timeout,
  history length, webhook timeout and service endpoints; `close_watches()`, `compact()`,
  `go_down()` / `come_back(compact=...)` / `outage(seconds)`; `api.stats` counts writes,
  `routes.requests` records every request, `admission.calls` every AdmissionReview.

Not implemented: authorization (every valid token is cluster-admin), protobuf responses and
other protobuf request bodies, CBOR, HTTP/2, aggregated discovery, /openapi/v2, field managers
and apply conflicts, admission for anything but validating webhooks, resource quotas,
pods/exec/logs, conversion webhooks, CEL.
"""

from frrnode.lab.apiserver.server import ApiServerDouble, Knobs, RunningDouble, run_in_thread

__all__ = ["ApiServerDouble", "Knobs", "RunningDouble", "run_in_thread"]
