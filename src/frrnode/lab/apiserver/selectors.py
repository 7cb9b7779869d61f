"""Label and field selectors in their query-string syntax (`labelSelector=`, `fieldSelector=`).

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`,
comma-separated (AND), as `k8s.io/apimachinery/pkg/labels.Parse`. Field selectors: `f=v`,
`f==v`, `f!=v`, comma-separated; which fields are selectable is decided by the resource type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from frrnode.lab.apiserver.status import ApiError, bad_request

_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        has = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return has and value in self.values
        if self.op in ("!=", "notin"):
            return not has or value not in self.values
        if self.op == "exists":
            return has
        if self.op == "!":
            return not has
        if not has or value is None:
            return False
        try:
            left, right = int(value), int(self.values[0])
        except ValueError:
            return False
        return left > right if self.op == "gt" else left < right


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return [t.strip() for t in terms]


_SET = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")
_CMP = re.compile(r"^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(.*)$")


def _bad(term: str, why: str) -> ApiError:
    return bad_request(f"unable to parse requirement: {why}: {term!r}")


def _check_key(key: str, term: str) -> str:
    if not _KEY.match(key) or len(key.rpartition("/")[2]) > 63:
        raise _bad(term, f"invalid label key {key!r}")
    return key


def _check_value(value: str, term: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise _bad(term, f"invalid label value: {value!r}")
    return value


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse a label selector; an empty string selects everything. Bad syntax is a 400."""
    if not text.strip():
        return []
    out: list[Requirement] = []
    for term in _split_terms(text):
        if not term:
            raise _bad(text, "found '', expected: identifier")
        if m := _SET.match(term):
            key, op, body = m.groups()
            values = tuple(_check_value(v.strip(), term) for v in body.split(",")) if body.strip() else ()
            out.append(Requirement(_check_key(key, term), op, values))
        elif term.startswith("!"):
            out.append(Requirement(_check_key(term[1:].strip(), term), "!"))
        elif m := _CMP.match(term):
            key, op, value = m.groups()
            value = value.strip()
            if op in (">", "<"):
                if not value.lstrip("-").isdigit():
                    raise _bad(term, f"for 'Gt', 'Lt' operators, the value must be an integer: {value!r}")
                out.append(Requirement(_check_key(key, term), "gt" if op == ">" else "lt", (value,)))
            else:
                out.append(
                    Requirement(
                        _check_key(key, term), "!=" if op == "!=" else "=", (_check_value(value, term),)
                    )
                )
        else:
            out.append(Requirement(_check_key(term, term), "exists"))
    return out


def labels_match(reqs: list[Requirement], labels: Mapping[str, str]) -> bool:
    return all(r.matches(labels) for r in reqs)


def selector_from_object(sel: Mapping[str, Any] | None) -> list[Requirement] | None:
    """A `metav1.LabelSelector` object as requirements; None (the field absent) selects everything,
    as for webhook namespaceSelector/objectSelector."""
    if sel is None:
        return None
    reqs = [Requirement(k, "=", (str(v),)) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in sel.get("matchExpressions") or []:
        op = ops.get(expr.get("operator", ""))
        if op is None:
            raise bad_request(f"{expr.get('operator')!r} is not a valid label selector operator")
        reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return reqs


# ------------------------------------------------------------------ field selectors

FieldGetter = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool


def parse_field_selector(text: str, supported: Mapping[str, FieldGetter]) -> list[FieldRequirement]:
    """Parse `metadata.name=x,spec.nodeName!=y`; a field the type does not index is a 400."""
    if not text.strip():
        return []
    out = []
    for term in _split_terms(text):
        m = re.match(r"^([^=!]+?)\s*(==|=|!=)\s*(.*)$", term)
        if m is None:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, value = m.groups()
        if name not in supported:
            raise bad_request(f"field label not supported: {name}")
        out.append(FieldRequirement(name, value, op == "!="))
    return out


def fields_match(
    reqs: list[FieldRequirement], obj: Mapping[str, Any], supported: Mapping[str, FieldGetter]
) -> bool:
    for r in reqs:
        actual = supported[r.field](obj) or ""
        if (actual == r.value) == r.negate:
            return False
    return True
