"""Which FRRConfiguration's raw snippet holds a line FRR refused.

FRR's errors quote the failing line (`line 2: % Unknown command[25]:  neighbor 1.2.3.4 foo`,
`line 9: Failure to communicate[13] to bgpd, line:  neighbor ...`) with the line number of the
file it was fed, which is the rendered config or a delta batch, not the user's object. The
rendered parts are validated before they reach FRR, so a refused line is nearly always from a
`rawConfig`: find it there by its text and name the object (issue 9, defect 11).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from frrnode.model import RawSnippet

_QUOTED_RE = re.compile(r"^line \d+: [^\n]*?(?:\]|, line):\s+(\S[^\n]*?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Culprit:
    snippet: RawSnippet
    line_number: int
    """1-based, within the snippet's rawConfig."""
    line: str

    def __str__(self) -> str:
        return f"{self.snippet.source} spec.raw.rawConfig line {self.line_number} ({self.line!r})"


def refused_lines(message: str) -> list[str]:
    """The config lines FRR quotes as refused in an error message, in order, without repeats."""
    out: list[str] = []
    for m in _QUOTED_RE.finditer(message):
        line = " ".join(m.group(1).split())
        if line not in out:
            out.append(line)
    return out


def blame_raw(message: str, snippets: Iterable[RawSnippet]) -> list[Culprit]:
    """The raw snippet lines matching the lines FRR refused in `message`."""
    refused = refused_lines(message)
    out: list[Culprit] = []
    for snippet in snippets:
        for number, text in enumerate(snippet.text.splitlines(), start=1):
            if " ".join(text.split()) in refused:
                out.append(Culprit(snippet, number, text.strip()))
    return out


def explain(message: str, snippets: Iterable[RawSnippet]) -> str:
    """`message` prefixed with the objects whose rawConfig FRR refused, when found."""
    culprits = blame_raw(message, snippets)
    if not culprits:
        return message
    where = "; ".join(str(c) for c in culprits)
    return f"FRR refuses the rawConfig of {where}: {message}"
