#!/usr/bin/env bash
# Configures and builds Phalanx (preset ci = Release + warnings as errors) into build/ci.
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${PHX_PRESET:-ci}"
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET" -j "$(nproc)"
