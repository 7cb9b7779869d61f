"""Typed errors. Every configuration error names the object and the field path.

`ConfigError` is one problem with one object (bad field, failed rule); `ConflictError` is a
merge conflict and names both objects. `ConfigErrors` carries several so that `validate`
can report all problems at once, not only the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from frrnode.model import ObjectRef


def printable(text: str) -> str:
    """`text` with every non-printable character escaped (`\\n`, `\\x1b`, `\\u2028`): user
    strings quoted in a message or a log line can never start a line of their own."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class FrrNodeError(Exception):
    """Base of all frrnode errors."""


@dataclass(frozen=True)
class Location:
    """Where an object was read from (directory source); empty for API-server objects."""

    file: str = ""
    document: int | None = None

    def __str__(self) -> str:
        if not self.file:
            return ""
        file = printable(self.file)
        return f"{file}#{self.document}" if self.document is not None else file


@dataclass
class ConfigError(FrrNodeError):
    """An object is invalid: `obj` and `path` say exactly where (`spec.bgp.routers[0].asn`)."""

    message: str
    obj: ObjectRef | None = None
    path: str = ""
    location: Location = field(default_factory=Location)
    transient: bool = False
    """True when the object may become valid without being edited (e.g. a missing Secret)."""

    def __str__(self) -> str:
        where = []
        if str(self.location):
            where.append(str(self.location))
        if self.obj is not None:
            where.append(str(self.obj))
        if self.path:
            where.append(self.path)
        text = f"{' '.join(where)}: {self.message}" if where else self.message
        return printable(text)

    def __hash__(self) -> int:
        return hash(str(self))


@dataclass
class ConflictError(ConfigError):
    """Two objects ask for incompatible values of the same thing."""

    other: ObjectRef | None = None
    other_path: str = ""

    def __str__(self) -> str:
        first = f"{self.obj} {self.path}".strip()
        second = f"{self.other} {self.other_path}".strip()
        return printable(f"conflict between {first} and {second}: {self.message}")

    def __hash__(self) -> int:
        return hash(str(self))


class ConfigErrors(FrrNodeError):
    """One or more configuration errors, in a stable order."""

    def __init__(self, errors: Iterable[ConfigError]):
        self.errors: list[ConfigError] = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    @property
    def transient(self) -> bool:
        return bool(self.errors) and all(e.transient for e in self.errors)


def raise_if_any(errors: Sequence[ConfigError]) -> None:
    if errors:
        raise ConfigErrors(errors)


class FrrError(FrrNodeError):
    """FRR refused or failed an operation (syntax check, reload, vtysh call).

    `permanent`: FRR refused the configuration itself (a grammar error, a line a daemon
    rejects); the same input fails the same way, so retrying it is pointless until it changes.
    Otherwise the failure may pass (a timeout, a daemon that is restarting)."""

    def __init__(self, message: str, output: str = "", permanent: bool = False):
        self.output = output
        self.permanent = permanent
        super().__init__(f"{message}\n{output}".rstrip() if output else message)
