"""Option values shared by several commands, checked the same way everywhere."""

from __future__ import annotations

import logging
from typing import Annotated, get_args

import typer

from frrnode.api.v1beta1 import LogLevel

LOG_LEVELS: tuple[str, ...] = get_args(LogLevel)
"""frr-k8s's levels (spec §4.13). Upstream maps any other word to `informational` without a
word; frrnode refuses it, so a typo (`verbose`, `warning`) cannot silently change FRR's logging."""

_PYTHON_LEVELS = {
    "all": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "none": logging.CRITICAL,
}


def check_log_level(value: str) -> str:
    """typer callback: `value` must be one of LOG_LEVELS."""
    if value not in LOG_LEVELS:
        raise typer.BadParameter(f"{value!r} is not a log level; use one of: {', '.join(LOG_LEVELS)}")
    return value


def split_cidrs(values: list[str] | None) -> list[str]:
    """typer callback of `--always-block`: repeatable, and each value may be a comma-separated
    list as upstream's flag takes (`--always-block=192.167.9.0/24,fc00:f553:ccd:e799::/64`)."""
    return [cidr.strip() for value in values or () for cidr in value.split(",") if cidr.strip()]


AlwaysBlockOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--always-block",
        help="CIDR never accepted from any neighbor (repeatable, or comma-separated).",
        callback=split_cidrs,
    ),
]


def python_log_level(level: str) -> int:
    """The agent's own logging level for a frr-k8s level."""
    return _PYTHON_LEVELS[level]


def setup_logging(level: str = "info") -> None:
    """Logging of a long-running command (agent, webhook, MetalLB's processes) at frr-k8s
    `level`. The API client's line per request only at `all`: at INFO they would drown the
    command's own messages."""
    logging.basicConfig(
        level=python_log_level(level), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx2").setLevel(logging.DEBUG if level == "all" else logging.WARNING)
