"""Imports every command module so that its commands are registered on the app."""

from frrnode.cli import config, demo, diff, lab, run, status  # noqa: F401
