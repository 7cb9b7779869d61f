"""The few core Kubernetes kinds frrnode reads: ObjectMeta, Secret (passwords) and Node (labels)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

BASIC_AUTH = "kubernetes.io/basic-auth"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL_OR_EMPTY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"


class ObjectMeta(BaseModel):
    """Object metadata. Server-populated keys (uid, managedFields, ...) are ignored, not errors:
    objects exported with `kubectl get -o yaml` must load."""

    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True, frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
    """A DNS subdomain, as the API server requires: names appear in errors, status and logs."""
    namespace: Annotated[str, Field(max_length=63, pattern=DNS_LABEL_OR_EMPTY)] = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    generation: int | None = None
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    uid: str | None = None


class _Kind(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)

    api_version: Literal["v1"] = Field(default="v1", alias="apiVersion")
    metadata: ObjectMeta


class Secret(_Kind):
    kind: Literal["Secret"] = "Secret"
    type: str = "Opaque"
    data: dict[str, str] = Field(default_factory=dict)
    """Base64-encoded values (checked at load time)."""
    string_data: dict[str, str] = Field(default_factory=dict, alias="stringData")
    immutable: bool | None = None

    @field_validator("data")
    @classmethod
    def _base64(cls, value: dict[str, str]) -> dict[str, str]:
        for key, encoded in value.items():
            try:
                base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"data[{key!r}] is not valid base64") from exc
        return value

    def get(self, key: str) -> bytes | None:
        """The decoded value of `key`; `stringData` wins over `data`, as the API server merges them."""
        if key in self.string_data:
            return self.string_data[key].encode()
        if key in self.data:
            return base64.b64decode(self.data[key], validate=True)
        return None


class Node(_Kind):
    """A Node: only name and labels matter; spec and status are kept opaque."""

    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True, frozen=True)

    kind: Literal["Node"] = "Node"
    spec: dict[str, Any] = Field(default_factory=dict)
    status: dict[str, Any] = Field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def labels(self) -> dict[str, str]:
        return self.metadata.labels
