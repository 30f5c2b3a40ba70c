#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs every `fast` test (unit, spec vectors,
# differential against npm oracles, fuzz-corpus replays, layer check) and the `interop` ones (Lodestar 1.23 BN +
# VCs on Deneb against two 4-node clusters, tests/interop/lodestar). Ends with CTest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/npm-oracles.sh
./scripts/build.sh
ctest --preset ci
