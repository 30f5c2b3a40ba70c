#!/usr/bin/env bash
# Configures and builds Phalanx (preset ci = Release + warnings as errors) into build/ci. With arguments,
# builds only those targets and what they need (`./scripts/build.sh phalanx`); without, every target (tests,
# benchmarks, fuzz replays).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET="${PHX_PRESET:-ci}"
cmake --preset "$PRESET" >/dev/null
if [ "$#" -gt 0 ]; then
  cmake --build --preset "$PRESET" -j "$(nproc)" --target "$@"
else
  cmake --build --preset "$PRESET" -j "$(nproc)"
fi
