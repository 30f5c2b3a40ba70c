#!/usr/bin/env bash
# The README's main command: installs, builds the `phalanx` binary only (not the tests, benchmarks and fuzz
# replays: ./scripts/test.sh builds those) and runs `phalanx devnet` — a 3-of-4 distributed-validator cluster
# (trusted-dealer keys) against the beacon-node simulator, every node a real `phalanx run` process talking
# QBFT and exchanging partial signatures over loopback. Extra arguments go to `phalanx devnet` (e.g. `--mode
# vc`, `--fault crash-one`, `--report /tmp/devnet.json`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh phalanx
if [ "$#" -eq 0 ]; then set -- --mode embedded; fi
exec ./build/ci/bin/phalanx devnet "$@"
