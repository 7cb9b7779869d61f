#!/usr/bin/env bash
# Installs everything, then runs the whole test suite: lint, types, unit, FRR and end-to-end
# (network namespaces with real FRR routers). Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy"; .venv/bin/mypy
echo "== import layers (docs/architecture.md)"; .venv/bin/lint-imports --no-cache
echo "== pytest"
.venv/bin/pytest -p no:cacheprovider "$@"
