"""BGP communities as MetalLB parses, prints and orders them (spec §1.7)."""

from __future__ import annotations

from dataclasses import dataclass


class CommunityFormatError(ValueError):
    """Not a community at all (maybe an alias that does not exist yet: transient)."""


@dataclass(frozen=True)
class BGPCommunity:
    """A legacy `A:B` (two 16-bit values) or a large `G:L1:L2` (three 32-bit values) community."""

    values: tuple[int, ...]

    @property
    def large(self) -> bool:
        return len(self.values) == 3

    def __str__(self) -> str:
        """Canonical form: `A:B`, large ones without their `large:` prefix (community.go:92-118)."""
        return ":".join(str(v) for v in self.values)

    @property
    def frrk8s(self) -> str:
        """How frr-k8s mode writes it in `withCommunity` (frrk8s.go:313-319)."""
        return f"large:{self}" if self.large else str(self)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Legacy values compare as if they were large `(A<<16|B):0:0` (community.go:133-160)."""
        if self.large:
            return (self.values[0], self.values[1], self.values[2])
        return ((self.values[0] << 16) | self.values[1], 0, 0)


def parse_community(text: str) -> BGPCommunity:
    """Parse `A:B` or `large:G:L1:L2`. A wrong shape raises `CommunityFormatError`; a number out of
    range raises `ValueError` (MetalLB treats only the latter as a definitive error)."""
    fields = text.split(":")
    if len(fields) == 2:
        bits = 16
    elif len(fields) == 4 and fields[0] == "large":
        fields, bits = fields[1:], 32
    else:
        raise CommunityFormatError(
            f"invalid community format {text!r} (expected AA:NN or large:GG:L1:L2, or an alias)"
        )
    values = []
    for field in fields:
        if not field.isascii() or not field.isdigit():
            raise ValueError(f"invalid community value {text!r}: {field!r} is not a number")
        value = int(field)
        if value >= 1 << bits:
            raise ValueError(f"invalid community value {text!r}: {value} does not fit in {bits} bits")
        values.append(value)
    return BGPCommunity(tuple(values))
