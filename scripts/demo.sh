#!/usr/bin/env bash
# Installs everything, builds the lab (a node and external FRR routers in network namespaces),
# runs the agent on examples/ and shows what the node learned and advertised. Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/frrnode demo up "$@"
