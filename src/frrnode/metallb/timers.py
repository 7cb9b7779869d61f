"""BGPPeer timers as MetalLB resolves them, and Go's duration text (`1m30s`) for writing them back."""

from __future__ import annotations

from frrnode.api.v1beta1 import NS_PER_SECOND


def parse_timers(hold: int | None, keepalive: int | None) -> tuple[int | None, int | None]:
    """(hold, keepalive) in nanoseconds, as `parseTimers` (config.go:942-972).

    Only hold -> keepalive is hold/3; only keepalive -> hold is 3x; a given hold is rounded down
    to whole seconds and must then be 0 or at least 3 s; keepalive must not exceed hold.
    Raises `ValueError` naming the field (`holdTime:` / `keepaliveTime:` prefix).
    """
    if hold is None and keepalive is None:
        return None, None
    if hold is not None:
        hold = hold // NS_PER_SECOND * NS_PER_SECOND
        if hold != 0 and hold < 3 * NS_PER_SECOND:
            raise ValueError(f"holdTime: invalid hold time {go_duration(hold)}: must be 0 or >=3s")
    if keepalive is None:
        assert hold is not None
        keepalive = hold // 3
    if hold is None:
        hold = keepalive * 3
    if keepalive > hold:
        raise ValueError(
            f"keepaliveTime: invalid keepaliveTime {go_duration(keepalive)}: "
            f"must be lower than holdTime {go_duration(hold)}"
        )
    return hold, keepalive


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10**digits)
    text = str(frac).rjust(digits, "0").rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def go_duration(ns: int) -> str:
    """Go's `time.Duration.String()`: `0s`, `1.5s`, `1m30s`, `2h0m0s`, `500ms`, `1µs`, `3ns`."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 3)}µs"
    if ns < NS_PER_SECOND:
        return f"{sign}{_fraction(ns, 6)}ms"
    hours, rest = divmod(ns, 3600 * NS_PER_SECOND)
    minutes, rest = divmod(rest, 60 * NS_PER_SECOND)
    seconds = _fraction(rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"
