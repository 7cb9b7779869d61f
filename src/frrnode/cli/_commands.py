"""Imports every command module so that its commands are registered on the app."""

from frrnode.cli import config, demo, diff, k8s, lab, metallb, migrate, run, status, webhook  # noqa: F401
