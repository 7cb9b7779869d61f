"""Imports every command module so its commands are registered on the app."""

import contextlib
import importlib

for _name in ("config", "demo", "lab", "run", "status"):
    # A command module that is not written yet must not break the others.
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module(f"frrnode.cli.{_name}")
