#!/usr/bin/env bash
# Installs what frrnode needs on a fresh Debian machine (run as root): FRR with frr-reload.py,
# iproute2, Python's venv, and the package itself (editable, with test tools) in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v vtysh >/dev/null 2>&1 || need_apt+=(frr)
[[ -x /usr/lib/frr/frr-reload.py ]] || need_apt+=(frr-pythontools)   # only a Recommends of frr
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  python3 -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[dev]'
