"""Render FRR configuration text from a `NodeConfig` (two steps: `plan`, then templates).

`render_config(node)` is a pure function: the same `NodeConfig` and options always give
byte-identical text, with no blank lines, two-space indentation and a final newline.
"""

from __future__ import annotations

from functools import cache

import jinja2

from frrnode.frr.objects import UPSTREAM, FRRConfig, RenderOptions, plan
from frrnode.model import NodeConfig

__all__ = ["UPSTREAM", "RenderOptions", "render_config", "render_frr"]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("frrnode.frr", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # FRR config, not HTML; raw snippets must pass through unchanged
    )


def render_frr(cfg: FRRConfig) -> str:
    """Print planned FRR objects as a config file."""
    text = _environment().get_template("frr.conf.j2").render(cfg=cfg)
    return text if text.endswith("\n") else text + "\n"


def render_config(node: NodeConfig, options: RenderOptions | None = None) -> str:
    """The FRR config for `node`. Default options are the agent's (extras on); pass
    `frrnode.frr.render.UPSTREAM` for exactly what upstream FRR-K8s renders."""
    return render_frr(plan(node, options))
