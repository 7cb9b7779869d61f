"""Imports every command module so that its commands are registered on the app."""

from frrnode.cli import config, demo, lab, run, status, webhook  # noqa: F401
