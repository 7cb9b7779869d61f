"""Imports every command module so that its commands are registered on the app."""

from frrnode.cli import config, demo, lab, metallb, migrate, run, status  # noqa: F401
