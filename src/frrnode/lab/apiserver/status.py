"""API errors as the real API server reports them: a `Status` object with code, reason and message.

Messages follow apimachinery's wording (`k8s.io/apimachinery/pkg/api/errors` and
`pkg/util/validation/field`) because clients and people match on them: kubectl prints them
verbatim after `Error from server (<reason>): `.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answered as a `Status` (kind Status, apiVersion v1)."""

    def __init__(self, code: int, reason: str, message: str, details: JSON | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> JSON:
        body: JSON = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(name: str, group: str, kind: str) -> JSON:
    out: JSON = {"name": name, "kind": kind}
    if group:
        out["group"] = group
    return out


def qualified(plural: str, group: str) -> str:
    """`frrconfigurations.frrk8s.metallb.io`, or `secrets` for the core group."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{qualified(plural, group)} "{name}" not found', _details(name, group, plural)
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified(plural, group)} "{name}" already exists',
        _details(name, group, plural),
    )


def conflict(plural: str, group: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": {why}',
        _details(name, group, plural),
    )


STALE = "the object has been modified; please apply your changes to the latest version and try again"


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media(accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        + ", ".join(accepted),
    )


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def internal(message: str) -> ApiError:
    return ApiError(
        500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]}
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


# ------------------------------------------------------------------ field errors (422)


def _value_text(value: Any) -> str:
    """How `field.Error` prints a value: strings quoted, numbers and booleans bare, others as JSON."""
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class FieldError:
    """One `field.Error`: `<path>: <Type>[: <value>][: <detail>]`."""

    path: str
    type: str  # "Invalid value", "Required value", "Unsupported value", "Too many", "Too long", ...
    reason: str  # the StatusCause reason, e.g. FieldValueInvalid
    value: Any = None
    detail: str = ""
    show_value: bool = True

    def __str__(self) -> str:
        body = self.type
        if self.show_value:
            body += f": {_value_text(self.value)}"
        if self.detail:
            body += f": {self.detail}"
        return f"{self.path}: {body}" if self.path else body


def invalid_value(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, "Invalid value", "FieldValueInvalid", value, detail)


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, "Required value", "FieldValueRequired", detail=detail, show_value=False)


def unsupported(path: str, value: Any, allowed: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(json.dumps(v) for v in allowed)
    return FieldError(path, "Unsupported value", "FieldValueNotSupported", value, detail)


def too_many(path: str, actual: int, limit: int) -> FieldError:
    return FieldError(path, "Too many", "FieldValueTooMany", actual, f"must have at most {limit} items")


def too_long(path: str, limit: int) -> FieldError:
    return FieldError(
        path, "Too long", "FieldValueTooLong", detail=f"may not be more than {limit} bytes", show_value=False
    )


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(path, "Duplicate value", "FieldValueDuplicate", value)


def invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """422: `<Kind>.<group> "<name>" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`."""
    what = f"{kind}.{group}" if group else kind
    text = [str(e) for e in errors]
    joined = text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"
    details: JSON = {
        "name": name,
        "kind": kind,
        "causes": [
            {"reason": e.reason, "message": str(e).removeprefix(f"{e.path}: "), "field": e.path}
            for e in errors
        ],
    }
    if group:
        details["group"] = group
    return ApiError(422, "Invalid", f'{what} "{name}" is invalid: {joined}', details)
