#!/usr/bin/env bash
# The README's main command. Until the devnet exists: a self-check that runs the BLS12-381 spec vectors and
# prints our benchmark figures next to blst's (@chainsafe/blst) measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/npm-oracles.sh
./scripts/build.sh
./build/ci/tests/bls/bls_spec_test --vectors tests/vectors/bls
./bench/compare_blst.sh
